/**
 * A fixed single-thread workload timed at the start of every run, so reports from different days
 * can be compared: a shared machine's speed drifts (the same commit's 10k cold start measured
 * 1,467 ms one day and 1,875 ms the next). Object building, JSON and sorting, as in Trellis.
 */
const ROUNDS = 5;
const OBJECTS = 100_000;

function round(): number {
  const started = performance.now();
  const items = Array.from({ length: OBJECTS }, (_, i) => ({ name: `svc-${(i * 7919) % OBJECTS}`, port: 8000 + (i % 100), weight: i % 7 }));
  const parsed = JSON.parse(JSON.stringify(items)) as typeof items;
  parsed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (parsed.length !== OBJECTS) throw new Error('calibration workload lost items');
  return performance.now() - started;
}

/** Milliseconds per round of the workload (median of five, after one unmeasured round). */
export function calibrationMs(): number {
  round();
  const times = Array.from({ length: ROUNDS }, round).sort((a, b) => a - b);
  return times[Math.floor(ROUNDS / 2)] ?? Number.NaN;
}
