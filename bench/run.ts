/**
 * `npm run bench -- [scenario...] [--services N] [--streams P] [--quick] ...`: runs the named
 * scenarios (all by default), prints a markdown table naming the machine, and writes
 * bench/results/<date>.json and .md. Exit code 1 on bad arguments or a failed scenario.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseBenchArgs, USAGE } from './lib/args.ts';
import { calibrationMs } from './lib/calibration.ts';
import { machineDescription, toMarkdown, writeReport, type ScenarioResult } from './lib/report.ts';
import type { Scenario } from './lib/scenario.ts';
import { optionsOnly, runScenarioInChild } from './lib/scenario-process.ts';
import { certificates } from './scenarios/certificates.ts';
import { coldStart } from './scenarios/cold-start.ts';
import { broadcast } from './scenarios/broadcast.ts';
import { bytes } from './scenarios/bytes.ts';
import { churn } from './scenarios/churn.ts';
import { connectStorm } from './scenarios/connect-storm.ts';
import { memory } from './scenarios/memory.ts';
import { reconnect } from './scenarios/reconnect.ts';
import { endpointConvergence } from './scenarios/endpoint-convergence.ts';
import { rotation } from './scenarios/rotation.ts';
import { slowClients } from './scenarios/slow-clients.ts';
import { incremental } from './scenarios/incremental.ts';
import { translation } from './scenarios/translation.ts';

/** Every scenario, in the order `npm run bench` runs them. A new scenario is one line here. */
export const SCENARIOS: readonly Scenario[] = [coldStart, translation, incremental, endpointConvergence, certificates, rotation, connectStorm, memory, reconnect, churn, broadcast, bytes, slowClients];

const SERVER_CORE = 0;
const LOAD_CORE = 1;

/** Pins this process to `core`; false when taskset is missing or refuses. */
function pinSelf(core: number): boolean {
  try {
    execFileSync('taskset', ['-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseBenchArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error}\n${USAGE}\n`);
    return 1;
  }
  const args = parsed.args;
  const list = `scenarios:\n${SCENARIOS.map((s) => `  ${s.name.padEnd(22)} ${s.description}`).join('\n')}`;
  if (args.help) {
    process.stdout.write(`${USAGE}\n${list}\n`);
    return 0;
  }
  const unknown = args.scenarios.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}\n${list}\n`);
    return 1;
  }
  process.env['TRELLIS_LOG'] ??= 'warn';
  const selected = args.scenarios.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => args.scenarios.includes(s.name));
  // Several scenarios: each in a fresh process (scenario-process.ts), this one only collects.
  const isolate = selected.length > 1 && args.resultsJson === undefined;
  // Server (this process's main thread; `taskset -p` pins one thread) and load generators on
  // different cores. A parent that only collects pins nothing: its children would inherit the
  // mask in every thread, V8's GC and compiler helpers included, and run slower than one
  // scenario run alone (translation at 1k: 62 instead of 45 ms).
  const pinned = args.pin && cpus().length >= 2 && (isolate || pinSelf(SERVER_CORE));
  const progress = (line: string): void => void process.stderr.write(`${line}\n`);
  // The machine's speed now (calibration.ts); a scenario's own process skips it (its parent reports).
  const machine = args.resultsJson === undefined ? `${machineDescription()}; calibration ${calibrationMs().toFixed(0)} ms (calibration.ts: lower is faster)` : machineDescription();
  progress(`machine: ${machine}${pinned ? `; server on core ${SERVER_CORE}, load generators on core ${LOAD_CORE}` : '; not pinned'}`);

  const outDir = args.outDir ?? fileURLToPath(new URL('./results/', import.meta.url));
  if (args.profile) await mkdir(outDir, { recursive: true });
  const results: ScenarioResult[] = [];
  const started = performance.now();
  let failed = false;
  const options = optionsOnly(argv, new Set(SCENARIOS.map((s) => s.name)));
  for (const scenario of selected) {
    if (isolate) {
      const child = await runScenarioInChild(scenario.name, options);
      results.push(...child.results);
      if (!child.ok) {
        failed = true;
        progress(`scenario ${scenario.name} failed (its process exited with an error)`);
      }
      continue;
    }
    try {
      results.push(
        ...(await scenario.run({
          quick: args.quick,
          services: args.services,
          streams: args.streams,
          changes: args.changes,
          processes: args.processes,
          modes: args.modes,
          loadCore: pinned ? LOAD_CORE : undefined,
          profileDir: args.profile ? outDir : undefined,
          progress,
        })),
      );
    } catch (error) {
      failed = true;
      progress(`scenario ${scenario.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
  }
  if (args.resultsJson !== undefined) {
    await writeFile(args.resultsJson, JSON.stringify(results));
    return failed ? 1 : 0;
  }
  const withPinning = results.map((r) => ({ ...r, notes: [...(r.notes ?? []), ...(pinned ? [] : ['server and load generators were not pinned to separate cores'])] }));
  process.stdout.write(toMarkdown(withPinning, machine));
  if (withPinning.length > 0) progress(`wrote ${await writeReport(outDir, withPinning, machine)} (${Math.round((performance.now() - started) / 1000)} s)`);
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
