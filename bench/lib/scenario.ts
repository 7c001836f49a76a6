/** What every benchmark scenario implements, and what it is given by the runner. */
import type { ScenarioResult } from './report.ts';

/** Sizes and switches from the command line, already defaulted by the runner where it must. */
export interface ScenarioOptions {
  readonly quick: boolean;
  /** Mesh size asked for on the command line (undefined: the scenario's own sizes). */
  readonly services: number | undefined;
  readonly streams: number | undefined;
  readonly changes: number | undefined;
  readonly processes: number | undefined;
  readonly modes: readonly ('sotw' | 'delta')[] | undefined;
  /** CPU core for load generator processes (undefined: no pinning). */
  readonly loadCore: number | undefined;
  /** When set, scenarios write CPU profiles of measured sections into this folder. */
  readonly profileDir: string | undefined;
  /** Progress lines (stderr), never part of the results. */
  readonly progress: (line: string) => void;
}

/** A named benchmark; `run` returns one result per size/mode it measured. */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  run(options: ScenarioOptions): Promise<ScenarioResult[]>;
}
