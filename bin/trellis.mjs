#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so `npx trellis` works from a fresh checkout with no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
