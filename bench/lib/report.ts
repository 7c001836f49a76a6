/** Benchmark results: a JSON array of scenarios and a markdown table, both under bench/results/. */
import { cpus, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Metric {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Human-readable target, e.g. "<= 50"; undefined when the figure is informational. */
  readonly target?: string;
  readonly met?: boolean;
}

export interface ScenarioResult {
  readonly name: string;
  readonly sizes: Readonly<Record<string, number | string>>;
  readonly metrics: readonly Metric[];
  readonly notes?: readonly string[];
}

/** A metric with an upper-bound target. */
export function atMost(name: string, value: number, unit: string, limit: number): Metric {
  return { name, value: round(value), unit, target: `<= ${limit}`, met: value <= limit };
}

/** A metric with a lower-bound target. */
export function atLeast(name: string, value: number, unit: string, limit: number): Metric {
  return { name, value: round(value), unit, target: `>= ${limit}`, met: value >= limit };
}

export function info(name: string, value: number, unit: string): Metric {
  return { name, value: round(value), unit };
}

function round(value: number): number {
  return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 1000) / 1000;
}

export function machineDescription(): string {
  const cpu = cpus();
  return `${cpu[0]?.model ?? 'unknown CPU'} x${cpu.length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
}

/** One section per result (scenario and sizes as its heading), then the notes. */
export function toMarkdown(results: readonly ScenarioResult[], machine: string): string {
  const lines = ['# Trellis benchmark', '', `Machine: ${machine}`];
  for (const result of results) {
    const sizes = Object.entries(result.sizes).map(([k, v]) => `${k}=${v}`).join(' ');
    lines.push('', `## ${result.name} (${sizes})`, '', '| metric | value | unit | target | met |', '|---|---:|---|---|---|');
    for (const metric of result.metrics) {
      const met = metric.met === undefined ? '' : metric.met ? 'yes' : '**no**';
      lines.push(`| ${metric.name} | ${metric.value} | ${metric.unit} | ${metric.target ?? ''} | ${met} |`);
    }
    if ((result.notes ?? []).length > 0) lines.push('');
    for (const note of result.notes ?? []) lines.push(`- ${note}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes `<dir>/<date>T<hhmm>.json` and `.md` (UTC; the time keeps a second run on the same day,
 * e.g. of one scenario, from overwriting the first); returns the JSON path.
 */
export async function writeReport(dir: string, results: readonly ScenarioResult[], machine = machineDescription()): Promise<string> {
  await mkdir(dir, { recursive: true });
  const iso = new Date().toISOString();
  const stamp = `${iso.slice(0, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}`;
  const jsonPath = join(dir, `${stamp}.json`);
  await writeFile(jsonPath, `${JSON.stringify(results.map((r) => ({ ...r, machine })), null, 2)}\n`);
  await writeFile(join(dir, `${stamp}.md`), toMarkdown(results, machine));
  return jsonPath;
}
