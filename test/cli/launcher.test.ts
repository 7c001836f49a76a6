/**
 * The launcher's precompiled bundle (bin/cli-bundle.mjs): built from a small TypeScript project in
 * a temp folder, judged fresh only while every input keeps its mtime and size, rebuilt with the
 * new code after an edit; and bin/trellis.mjs itself runs the CLI.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { buildBundle, freshBundle, type BundleLayout } from '../../bin/cli-bundle.mjs';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

let layout: BundleLayout;

beforeEach(async () => {
  const root = await mkdtemp(join(tmpdir(), 'trellis-launcher-'));
  dirs.push(root);
  await mkdir(join(root, 'src', 'deep'), { recursive: true });
  await writeFile(join(root, 'src', 'main.ts'), "import { word } from './deep/word.ts';\nexport const answer = (): string => word;\n");
  await writeFile(join(root, 'src', 'deep', 'word.ts'), "export const word: string = 'one';\nexport const here = import.meta.url;\n");
  await writeFile(join(root, 'src', 'unrelated.ts'), 'export const x = 1;\n');
  layout = { root, entry: join(root, 'src', 'main.ts'), outDir: join(root, 'dist', 'cli') };
});

/** Imports a bundle fresh (each build has its own content-hashed file name). */
async function load(bundle: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(bundle).href)) as Record<string, unknown>;
}

describe('cli bundle', () => {
  it('is missing before the first build, then fresh, and runs the code', async () => {
    expect(freshBundle(layout.outDir)).toBeUndefined();
    const bundle = await buildBundle(layout);
    expect(freshBundle(layout.outDir)).toBe(bundle);
    const answer = (await load(bundle))['answer'];
    expect(typeof answer === 'function' ? answer() : undefined).toBe('one');
  });

  it('keeps import.meta.url of each source file, so paths relative to it still resolve', async () => {
    await writeFile(join(layout.root, 'src', 'main.ts'), "export { here } from './deep/word.ts';\n");
    const here = (await load(await buildBundle(layout)))['here'];
    expect(here).toBe(pathToFileURL(join(layout.root, 'src', 'deep', 'word.ts')).href);
  });

  it('is stale after an input changes, and the rebuild runs the new code', async () => {
    await buildBundle(layout);
    await writeFile(join(layout.root, 'src', 'deep', 'word.ts'), "export const word: string = 'two';\n");
    expect(freshBundle(layout.outDir)).toBeUndefined();
    const rebuilt = await buildBundle(layout);
    expect(freshBundle(layout.outDir)).toBe(rebuilt);
    const answer = (await load(rebuilt))['answer'];
    expect(typeof answer === 'function' ? answer() : undefined).toBe('two');
  });

  it('is stale when only the mtime of an input changes (same size), or an input is deleted', async () => {
    await buildBundle(layout);
    const word = join(layout.root, 'src', 'deep', 'word.ts');
    await utimes(word, new Date(), new Date(Date.now() + 5000));
    expect(freshBundle(layout.outDir)).toBeUndefined();
    await buildBundle(layout);
    expect(freshBundle(layout.outDir)).toBeDefined();
    await unlink(word);
    expect(freshBundle(layout.outDir)).toBeUndefined();
    await expect(buildBundle(layout)).rejects.toThrow();
  });

  it('ignores files the bundle does not include', async () => {
    const bundle = await buildBundle(layout);
    await writeFile(join(layout.root, 'src', 'unrelated.ts'), 'export const x = 2;\n');
    expect(freshBundle(layout.outDir)).toBe(bundle);
  });

  it('treats a damaged or foreign stamp as stale', async () => {
    await buildBundle(layout);
    const stampPath = join(layout.outDir, 'stamp.json');
    const stamp = JSON.parse(await readFile(stampPath, 'utf8')) as Record<string, unknown>;
    await writeFile(stampPath, JSON.stringify({ ...stamp, format: -1 }));
    expect(freshBundle(layout.outDir)).toBeUndefined();
    await writeFile(stampPath, '{not json');
    expect(freshBundle(layout.outDir)).toBeUndefined();
  });
});

describe('bin/trellis.mjs', () => {
  it('runs the CLI (from the bundle, building it if needed) and leaves a fresh bundle behind', async () => {
    const result = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [join(REPO, 'bin', 'trellis.mjs'), '--help'], { cwd: REPO, timeout: 15_000 }, (error, stdout) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout });
      });
    });
    expect(result.stdout).toContain('usage: trellis <command>');
    expect(result.code).toBe(0);
    // Another process may edit a source meanwhile, so only that a build exists is checked here.
    expect(JSON.parse(await readFile(join(REPO, 'dist', 'cli', 'stamp.json'), 'utf8'))).toMatchObject({ bundle: expect.stringMatching(/^cli-[0-9a-f]+\.mjs$/) });
  });
});
