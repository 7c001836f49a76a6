import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { watchConfigDir, type ConfigDirWatcher } from '../../../src/config/gitops/watch-config-dir.ts';
import { formatDiagnostic } from '../../../src/util/errors.ts';
import { recordingLogger } from '../../registry/helpers.ts';
import { actor, POLICY, PRODUCTPAGE, REVIEWS, serviceConfig, setup, storedTimeout } from '../service/fixtures.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trellis-gitops-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function watch(dir: string, service: Awaited<ReturnType<typeof setup>>['service'], log = recordingLogger(), manual = false): Promise<ConfigDirWatcher> {
  // manual: timers too long to fire during the test, so only explicit sync() calls apply.
  const watcher = await watchConfigDir(dir, service, log, manual ? { debounceMs: 600_000, pollMs: 600_000 } : { debounceMs: 50, pollMs: 200 });
  cleanups.push(() => watcher.close());
  return watcher;
}

describe('watchConfigDir', () => {
  it('applies every YAML file on start as one gitops revision', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'team'));
    await writeFile(join(dir, 'mesh.yaml'), POLICY);
    await writeFile(join(dir, 'team', 'reviews.yaml'), REVIEWS);
    const { service } = await setup();
    const watcher = await watch(dir, service);
    expect(watcher.lastResult()).toMatchObject({ ok: true, revision: 1, files: 2 });
    const [record] = await service.history(5);
    expect(record).toMatchObject({ revision: 1, action: 'gitops', actor: { name: 'gitops', role: 'admin' } });
    expect(record?.changes.map((c) => c.id)).toEqual(['PlatformPolicy/mesh-defaults', 'ServiceConfig/bookinfo/reviews']);
    expect(service.get('ServiceConfig')[0]?.source).toBe(`gitops:${join('team', 'reviews.yaml')}:1`);
  });

  it('deletes documents whose files were removed in the same revision as the other changes', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'reviews.yaml'), REVIEWS);
    await writeFile(join(dir, 'productpage.yaml'), PRODUCTPAGE);
    const { service } = await setup();
    // A document applied by hand is not the directory's to delete.
    await service.apply([{ name: 'mesh.yaml', text: POLICY }], { actor });
    const watcher = await watch(dir, service, recordingLogger(), true);
    expect(service.snapshot().revision).toBe(2);

    await unlink(join(dir, 'productpage.yaml'));
    await writeFile(join(dir, 'reviews.yaml'), REVIEWS.replace('timeout: 5s', 'timeout: 6s'));
    expect(await watcher.sync()).toMatchObject({ ok: true, revision: 3 });
    const [record] = await service.history(1);
    expect(record?.changes.map((c) => [c.id, c.op])).toEqual([
      ['ServiceConfig/bookinfo/productpage', 'delete'],
      ['ServiceConfig/bookinfo/reviews', 'update'],
    ]);
    expect([...service.snapshot().documents.keys()]).toEqual(['PlatformPolicy/mesh-defaults', 'ServiceConfig/bookinfo/reviews']);
  });

  it('notices changes by itself (fs.watch or the mtime poll)', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'reviews.yaml'), REVIEWS);
    const { service } = await setup();
    await watch(dir, service);
    await writeFile(join(dir, 'reviews.yaml'), REVIEWS.replace('timeout: 5s', 'timeout: 6s'));
    await writeFile(join(dir, 'mesh.yaml'), POLICY);
    await vi.waitFor(() => {
      expect(storedTimeout(service, 'ServiceConfig/bookinfo/reviews')).toBe(6000);
      expect(service.snapshot().documents.has('PlatformPolicy/mesh-defaults')).toBe(true);
    }, { timeout: 5000, interval: 50 });
    expect((await service.history(10)).every((r) => r.action === 'gitops')).toBe(true);
  });

  it('an invalid directory keeps the running config and logs every diagnostic', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'reviews.yaml'), REVIEWS);
    const { service } = await setup();
    const log = recordingLogger();
    const watcher = await watch(dir, service, log, true);
    expect(service.snapshot().revision).toBe(1);

    await writeFile(join(dir, 'reviews.yaml'), REVIEWS.replace('timeout: 5s', 'timeout: soon'));
    await writeFile(join(dir, 'ratings.yaml'), serviceConfig('ratings', 'bookinfo', '  loadBalancer: {policy: fastest}\n'));
    const result = await watcher.sync();
    expect(result.ok).toBe(false);
    expect(watcher.lastResult()).toBe(result);
    expect([...new Set(result.diagnostics.map((d) => d.source?.split(':').slice(0, 2).join(':')))].sort()).toEqual(['gitops:ratings.yaml', 'gitops:reviews.yaml']);
    for (const d of result.diagnostics) expect(log.lines).toContain(`warn gitops: ${formatDiagnostic(d)}`);
    expect(service.snapshot().revision).toBe(1);
    expect(storedTimeout(service, 'ServiceConfig/bookinfo/reviews')).toBe(5000);
    expect(service.snapshot().documents.has('ServiceConfig/bookinfo/ratings')).toBe(false);

    // Fixing the files applies them.
    await writeFile(join(dir, 'reviews.yaml'), REVIEWS);
    await unlink(join(dir, 'ratings.yaml'));
    const fixed = await watcher.sync();
    expect(fixed).toMatchObject({ ok: true, changes: [] });
  });

  it('a missing directory is reported and changes nothing', async () => {
    const { service } = await setup();
    const log = recordingLogger();
    const watcher = await watch(join(await tempDir(), 'nope'), service, log);
    expect(watcher.lastResult()).toMatchObject({ ok: false, revision: 0 });
    expect(watcher.lastResult()?.error).toMatch(/ENOENT|no such/);
    expect(log.lines.some((l) => l.includes('cannot read the config directory'))).toBe(true);
  });
});
