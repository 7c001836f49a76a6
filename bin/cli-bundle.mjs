/**
 * The precompiled CLI: one ESM bundle of src/cli/main.ts (npm packages stay external) in the
 * git-ignored dist/ folder, rebuilt by the launcher whenever it is missing or stale.
 *
 * Why a bundle built on demand rather than a `prepare`/`prestart` step: a fresh clone, `npx trellis`,
 * `npm start`, tests that spawn bin/trellis.mjs and `.ci/run` then all work with no extra step, and
 * an edited source file can never run stale code (a build step someone forgot would). Why not tsx:
 * its loader hooks run every import through a worker thread, which cost most of a second at start.
 *
 * Freshness is exact and cheap: the stamp records every bundled source file (from esbuild's
 * metafile) with its mtime and size; one stat per file (a few ms for the whole tree) decides.
 * Editing, adding an import of, or deleting a bundled file makes the stamp stale. Build errors are
 * not reported here: the launcher then runs the sources through tsx, which reports them as before.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The stamp's layout; bumped when it changes (edits to this file make bundles stale anyway). */
export const BUILD_FORMAT = 2;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the CLI bundle and its stamp live by default. */
export const DEFAULT_LAYOUT = Object.freeze({
  root: ROOT,
  entry: join(ROOT, 'src', 'cli', 'main.ts'),
  outDir: join(ROOT, 'dist', 'cli'),
  name: 'cli',
});

/** The bench runner and its load generator children (see bin/bench.mjs): each its own folder. */
export const BENCH_LAYOUTS = Object.freeze({
  runner: Object.freeze({ root: ROOT, entry: join(ROOT, 'bench', 'run.ts'), outDir: join(ROOT, 'dist', 'bench'), name: 'bench' }),
  loadGenerator: Object.freeze({
    root: ROOT,
    entry: join(ROOT, 'bench', 'lib', 'load-generator.ts'),
    outDir: join(ROOT, 'dist', 'load-generator'),
    name: 'load-generator',
  }),
});

/**
 * The path of the bundle the stamp in `outDir` names, when the stamp is of this BUILD_FORMAT and
 * every recorded input still has its recorded mtime and size; otherwise undefined. Never throws.
 */
export function freshBundle(outDir = DEFAULT_LAYOUT.outDir) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(outDir, 'stamp.json'), 'utf8'));
  } catch {
    return undefined;
  }
  if (stamp === null || typeof stamp !== 'object' || stamp.format !== BUILD_FORMAT || typeof stamp.bundle !== 'string') return undefined;
  if (stamp.inputs === null || typeof stamp.inputs !== 'object') return undefined;
  for (const [path, recorded] of Object.entries(stamp.inputs)) {
    if (!Array.isArray(recorded)) return undefined;
    try {
      const stat = statSync(path);
      if (stat.mtimeMs !== recorded[0] || stat.size !== recorded[1]) return undefined;
    } catch {
      return undefined;
    }
  }
  const bundle = join(outDir, stamp.bundle);
  try {
    statSync(bundle);
  } catch {
    return undefined;
  }
  return bundle;
}

/**
 * Builds the bundle of `entry` into `outDir` and returns its path. The bundle gets a content-hashed
 * name and is written before the stamp that names it (each by write-then-rename), so processes
 * building at the same time never read a stamp naming a half-written or different bundle.
 * Throws what esbuild throws (a syntax error, a missing import).
 */
export async function buildBundle(layout = DEFAULT_LAYOUT) {
  const { build } = await import('esbuild');
  // Each input is stat'ed just before esbuild reads it: an edit during the build shows as stale next time.
  const seen = new Map();
  const result = await build({
    absWorkingDir: layout.root,
    entryPoints: [layout.entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    metafile: true,
    sourcemap: false,
    logLevel: 'silent',
    plugins: [sourceLocationPlugin(seen)],
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no output');
  mkdirSync(layout.outDir, { recursive: true });
  const prefix = layout.name ?? 'cli';
  const name = `${prefix}-${createHash('sha256').update(output.contents).digest('hex').slice(0, 16)}.mjs`;
  const bundle = join(layout.outDir, name);
  writeAtomically(bundle, output.contents);
  // The build options live in this file: editing it makes every bundle stale too.
  const self = fileURLToPath(import.meta.url);
  const inputs = { [self]: statOf(seen.get(self) ?? statSync(self)) };
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = resolve(layout.root, input);
    inputs[path] = statOf(seen.get(path) ?? statSync(path));
  }
  writeAtomically(join(layout.outDir, 'stamp.json'), JSON.stringify({ format: BUILD_FORMAT, bundle: name, inputs }));
  removeOldBundles(layout.outDir, prefix, name);
  return bundle;
}

/**
 * Replaces `import.meta.url` in each source file by that file's own URL, so code that finds files
 * relative to itself (the proto descriptor, for one) behaves in the bundle as from src/. Records
 * each file's stat, taken before reading it, in `seen`.
 */
function sourceLocationPlugin(seen) {
  return {
    name: 'source-location',
    setup(context) {
      context.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
        seen.set(args.path, statSync(args.path));
        const text = readFileSync(args.path, 'utf8');
        const contents = text.includes('import.meta.url')
          ? text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
          : text;
        return { contents, loader: 'ts' };
      });
    },
  };
}

function statOf(stat) {
  return [stat.mtimeMs, stat.size];
}

function writeAtomically(path, contents) {
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

/** Removes bundles other than `keep` written over a minute ago (a running process may be loading a newer one). */
function removeOldBundles(outDir, prefix, keep) {
  const cutoff = Date.now() - 60_000;
  for (const entry of readdirSync(outDir)) {
    if (entry === keep || !(entry.endsWith('.tmp') || (entry.startsWith(`${prefix}-`) && /-[0-9a-f]+\.mjs$/.test(entry)))) continue;
    const path = join(outDir, entry);
    try {
      if (statSync(path).mtimeMs < cutoff) rmSync(path, { force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}
