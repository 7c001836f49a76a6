#!/usr/bin/env node
// `npm run bench`: runs the benchmark from esbuild bundles (dist/bench, dist/load-generator;
// rebuilt whenever a source changed, as bin/trellis.mjs does), so the bench measures the code
// `trellis serve` runs. Under tsx every function that names an inner function pays for the
// name-keeping helper (`__name`, an Object.defineProperty per call), which production code never
// runs. If a bundle cannot be built, the sources run through tsx. TRELLIS_NO_BUNDLE=1 forces tsx.
import { pathToFileURL } from 'node:url';
import { BENCH_LAYOUTS, buildBundle, freshBundle } from './cli-bundle.mjs';

async function bundleOf(layout) {
  if (process.env.TRELLIS_NO_BUNDLE === '1') return undefined;
  return freshBundle(layout.outDir) ?? (await buildBundle(layout).catch(() => undefined));
}

const [runner, loadGenerator] = await Promise.all([bundleOf(BENCH_LAYOUTS.runner), bundleOf(BENCH_LAYOUTS.loadGenerator)]);
if (runner !== undefined && loadGenerator !== undefined) {
  // Read by bench/lib/load-fleet.ts: children run this bundle instead of the sources under tsx.
  process.env.BENCH_LOAD_GENERATOR = loadGenerator;
  await import(pathToFileURL(runner).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../bench/run.ts');
}
