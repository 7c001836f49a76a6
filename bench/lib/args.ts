/**
 * Command line of `npm run bench`: `[scenario...] [--services N] [--streams P] [--quick]
 * [--mode sotw|delta|both] [--changes K] [--processes C] [--no-pin] [--out DIR] [--profile]`.
 * Problems are returned as messages, never thrown, so the runner can print usage.
 */

export interface BenchArgs {
  /** Scenario names to run; empty means all. */
  readonly scenarios: readonly string[];
  readonly services: number | undefined;
  readonly streams: number | undefined;
  readonly quick: boolean;
  readonly modes: readonly ('sotw' | 'delta')[] | undefined;
  readonly changes: number | undefined;
  readonly processes: number | undefined;
  /** Pin the server and the load generators to different cores with taskset. */
  readonly pin: boolean;
  readonly outDir: string | undefined;
  /** Write a CPU profile of the server during each measured section. */
  readonly profile: boolean;
  readonly help: boolean;
  /** Internal (scenario-process.ts): write the results here as JSON, and no report. */
  readonly resultsJson: string | undefined;
}

export type ParseResult = { readonly ok: true; readonly args: BenchArgs } | { readonly ok: false; readonly error: string };

const NUMERIC = new Set(['--services', '--streams', '--changes', '--processes']);

/** Options that take a value in the next argument (unless given as --flag=value). */
export const OPTIONS_WITH_VALUE: ReadonlySet<string> = new Set([...NUMERIC, '--mode', '--out', '--results-json']);

/** Parses argv (without node and script). Numbers must be positive integers. */
export function parseBenchArgs(argv: readonly string[]): ParseResult {
  const scenarios: string[] = [];
  const numbers = new Map<string, number>();
  let quick = false;
  let pin = true;
  let profile = false;
  let help = false;
  let modes: ('sotw' | 'delta')[] | undefined;
  let outDir: string | undefined;
  let resultsJson: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const raw = argv[i] ?? '';
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string | undefined => {
      if (inline !== undefined) return inline;
      i += 1;
      return argv[i];
    };
    if (flag === '--quick') quick = true;
    else if (flag === '--no-pin') pin = false;
    else if (flag === '--profile') profile = true;
    else if (flag === '--help' || flag === '-h') help = true;
    else if (NUMERIC.has(flag)) {
      const text = value();
      const n = Number(text);
      if (text === undefined || !Number.isInteger(n) || n < 1) return { ok: false, error: `${flag} needs a positive integer, got ${JSON.stringify(text ?? null)}` };
      numbers.set(flag, n);
    } else if (flag === '--mode') {
      const text = value();
      if (text === 'sotw' || text === 'delta') modes = [text];
      else if (text === 'both') modes = ['sotw', 'delta'];
      else return { ok: false, error: `--mode takes sotw, delta or both, got ${JSON.stringify(text ?? null)}` };
    } else if (flag === '--out') {
      const text = value();
      if (text === undefined || text === '') return { ok: false, error: '--out needs a folder' };
      outDir = text;
    } else if (flag === '--results-json') {
      const text = value();
      if (text === undefined || text === '') return { ok: false, error: '--results-json needs a file' };
      resultsJson = text;
    } else if (raw.startsWith('-')) return { ok: false, error: `unknown option ${raw}` };
    else scenarios.push(raw);
  }
  return {
    ok: true,
    args: {
      scenarios,
      services: numbers.get('--services'),
      streams: numbers.get('--streams'),
      quick,
      modes,
      changes: numbers.get('--changes'),
      processes: numbers.get('--processes'),
      pin,
      outDir,
      profile,
      help,
      resultsJson,
    },
  };
}

export const USAGE = `usage: npm run bench -- [scenario...] [options]
  scenarios: all when none is named (see the list below)
  --services N    mesh size (services, 3 endpoints each)
  --streams P     ADS streams opened by the load generator
  --quick         reduced sizes, finishes in under 3 minutes
  --mode M        sotw | delta | both (endpoint-convergence; default both)
  --changes K     changes measured (default 100; broadcast 20)
  --processes C   load generator processes (default 2)
  --no-pin        do not pin server and load generators to different cores
  --out DIR       where results go (default bench/results)
  --profile       also write a .cpuprofile of the server per measured section, next to the results`;
