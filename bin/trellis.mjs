#!/usr/bin/env node
// The `trellis` command. Runs a precompiled bundle of the TypeScript CLI (dist/cli, git-ignored),
// rebuilt here whenever a source file changed since it was built: a fresh checkout needs no build
// step and an edit never runs stale code (see cli-bundle.mjs for why, and how staleness is
// decided). If the bundle cannot be built or written (a syntax error, a read-only checkout), the
// sources run through tsx as before, which also reports any error in them.
// TRELLIS_NO_BUNDLE=1 forces the tsx path.
import { pathToFileURL } from 'node:url';
import { buildBundle, freshBundle } from './cli-bundle.mjs';

async function bundledCli() {
  if (process.env.TRELLIS_NO_BUNDLE === '1') return undefined;
  const bundle = freshBundle() ?? (await buildBundle().catch(() => undefined));
  return bundle === undefined ? undefined : import(pathToFileURL(bundle).href);
}

async function sourceCli() {
  const { register } = await import('tsx/esm/api');
  register();
  return import('../src/cli/main.ts');
}

const { runCli } = (await bundledCli()) ?? (await sourceCli());
process.exitCode = await runCli(process.argv.slice(2));
