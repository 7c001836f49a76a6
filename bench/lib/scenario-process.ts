/**
 * Runs one scenario in a fresh runner process. In one long-lived process every scenario measured
 * a server that carried the heap and the JIT state of the scenarios before it (P = 1k endpoint
 * events: 39 / 50 ms p50 / p99 alone, 48 / 73 ms after eight other scenarios); production
 * servers carry no benchmark. The child is the same runner (`process.argv[1]`, so the same
 * bundles) with `--results-json FILE`; its progress lines go to this process's stderr.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPTIONS_WITH_VALUE } from './args.ts';
import type { ScenarioResult } from './report.ts';


/** argv without the scenario names (positional arguments) and without `--results-json`. */
export function optionsOnly(argv: readonly string[], scenarioNames: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const raw = argv[i] ?? '';
    const takesValue = OPTIONS_WITH_VALUE.has(raw);
    const value = takesValue ? argv[(i += 1)] : undefined;
    if (raw === '--results-json' || raw.startsWith('--results-json=')) continue;
    if (!raw.startsWith('-') && scenarioNames.has(raw)) continue;
    out.push(raw);
    if (value !== undefined) out.push(value);
  }
  return out;
}

/** The results of `scenario` run by a child runner; `ok` false when the child failed (results may be partial or empty). */
export async function runScenarioInChild(scenario: string, options: readonly string[]): Promise<{ ok: boolean; results: ScenarioResult[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'trellis-bench-'));
  const file = join(dir, 'results.json');
  try {
    const script = process.argv[1];
    if (script === undefined) throw new Error('no runner script to start');
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, script, scenario, ...options, '--results-json', file], { stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('error', reject);
      child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
    });
    const results = await readFile(file, 'utf8').then((text) => JSON.parse(text) as ScenarioResult[], () => []);
    return { ok: code === 0, results };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
