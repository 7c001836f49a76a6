import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/util/errors.ts';
import { flakyStore } from '../../registry/helpers.ts';
import { actor, lineOf, POLICY, PRODUCTPAGE, REVIEWS, serviceConfig, setup, storedTimeout } from './fixtures.ts';

describe('apply', () => {
  it('stores every document as one revision and records who did it', async () => {
    const { service, store } = await setup();
    const result = await service.apply([{ name: 'reviews.yaml', text: REVIEWS }, { name: 'mesh.yaml', text: POLICY }], { actor });
    expect(result).toMatchObject({ ok: true, dryRun: false, revision: 1 });
    expect(result.ok && result.changes).toEqual([
      { id: 'PlatformPolicy/mesh-defaults', op: 'create' },
      { id: 'ServiceConfig/bookinfo/reviews', op: 'create' },
    ]);
    expect([...store.snapshot().documents.keys()]).toEqual(['PlatformPolicy/mesh-defaults', 'ServiceConfig/bookinfo/reviews']);
    const [record] = await service.history(5);
    expect(record).toMatchObject({ revision: 1, actor, action: 'apply' });
    expect(record?.changes.find((c) => c.id === 'ServiceConfig/bookinfo/reviews')?.after).toMatchObject({ metadata: { name: 'reviews', namespace: 'bookinfo' } });
  });

  it('is all or nothing: one bad document among good ones stores nothing and every problem is returned', async () => {
    const { service, store } = await setup();
    const bad = serviceConfig('ratings', 'bookinfo', '  timeout: 5s\n  retries: {attempts: 3, bogus: 1}\n');
    const worse = serviceConfig('details', 'bookinfo', '  loadBalancer: {policy: fastest}\n');
    const result = await service.apply(
      [{ name: 'reviews.yaml', text: REVIEWS }, { name: 'ratings.yaml', text: bad }, { name: 'details.yaml', text: worse }],
      { actor },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('invalid');
    const lines = result.diagnostics.map(formatDiagnostic);
    expect(lines.some((l) => l.startsWith(`ratings.yaml:${lineOf(bad, 'bogus')}: `) && l.includes('bogus'))).toBe(true);
    expect(lines.some((l) => l.startsWith(`details.yaml:${lineOf(worse, 'fastest')}: `))).toBe(true);
    expect(store.snapshot().revision).toBe(0);
    expect(store.snapshot().documents.size).toBe(0);
    expect(await service.history(10)).toEqual([]);
  });

  it('rejects a value beyond a bound with file, line, field and the policy, keeping the running config', async () => {
    const { service, store } = await setup();
    await service.apply([{ name: 'mesh.yaml', text: POLICY }], { actor });
    const tooLong = serviceConfig('reviews', 'bookinfo', '  timeout: 45s\n');
    const result = await service.apply([{ name: 'reviews.yaml', text: tooLong }], { actor });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const line = result.diagnostics.map(formatDiagnostic).find((l) => l.startsWith(`reviews.yaml:${lineOf(tooLong, 'timeout')}:`));
    expect(line).toMatch(/timeout/);
    expect(line).toMatch(/PlatformPolicy\/mesh-defaults/);
    expect(store.snapshot().revision).toBe(1);
    expect(store.snapshot().documents.has('ServiceConfig/bookinfo/reviews')).toBe(false);
  });

  it('rejects references to unknown services, but accepts registry services and configured ones', async () => {
    const { service, registryServices } = await setup();
    registryServices.delete('reviews.bookinfo');
    const unknown = await service.apply([{ name: 'productpage.yaml', text: PRODUCTPAGE }], { actor });
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.diagnostics.some((d) => d.field.startsWith('spec.dependencies') && d.source === `productpage.yaml:${lineOf(PRODUCTPAGE, 'dependencies')}`)).toBe(true);
    // The same reference is fine once a ServiceConfig (in the same apply) declares the service.
    const together = await service.apply([{ name: 'productpage.yaml', text: PRODUCTPAGE }, { name: 'reviews.yaml', text: REVIEWS }], { actor });
    expect(together.ok).toBe(true);
  });

  it('a dry run checks and reports but stores nothing', async () => {
    const { service, store, kv } = await setup(flakyStore());
    const result = await service.apply([{ name: 'reviews.yaml', text: REVIEWS }], { actor, dryRun: true });
    expect(result).toMatchObject({ ok: true, dryRun: true, revision: 0, changes: [{ id: 'ServiceConfig/bookinfo/reviews', op: 'create' }] });
    expect(store.snapshot().documents.size).toBe(0);
    expect((kv as ReturnType<typeof flakyStore>).batches).toBe(0);
  });

  it('an unchanged apply creates no revision; a changed one is an update', async () => {
    const { service } = await setup();
    await service.apply([{ name: 'reviews.yaml', text: REVIEWS }], { actor });
    // Same document, different formatting and file name: no change.
    const reformatted = REVIEWS.replace('metadata: {name: reviews, namespace: bookinfo}', 'metadata:\n  namespace: bookinfo\n  name: reviews');
    const again = await service.apply([{ name: 'other.yaml', text: reformatted }], { actor });
    expect(again).toMatchObject({ ok: true, revision: 1, changes: [] });
    const changed = await service.apply([{ name: 'reviews.yaml', text: REVIEWS.replace('timeout: 5s', 'timeout: 6s') }], { actor });
    expect(changed).toMatchObject({ ok: true, revision: 2, changes: [{ id: 'ServiceConfig/bookinfo/reviews', op: 'update' }] });
    expect((await service.history(10)).map((r) => r.revision)).toEqual([2, 1]);
  });

  it('asks the permit for every document and refuses with its message', async () => {
    const { service, store } = await setup();
    const seen: string[] = [];
    const result = await service.apply([{ name: 'reviews.yaml', text: REVIEWS }, { name: 'mesh.yaml', text: POLICY }], {
      actor,
      permit: (writes) => {
        seen.push(...writes.map((w) => w.id));
        return writes.some((w) => w.kind === 'PlatformPolicy') ? 'no policies for you' : undefined;
      },
    });
    expect(result).toMatchObject({ ok: false, reason: 'forbidden', message: 'no policies for you' });
    expect(seen.sort()).toEqual(['PlatformPolicy/mesh-defaults', 'ServiceConfig/bookinfo/reviews']);
    expect(store.snapshot().documents.size).toBe(0);
  });
});

describe('delete', () => {
  it('refuses to delete a ServiceConfig another document refers to, naming the referrer', async () => {
    const { service, registryServices } = await setup();
    registryServices.delete('reviews.bookinfo');
    await service.apply([{ name: 'productpage.yaml', text: PRODUCTPAGE }, { name: 'reviews.yaml', text: REVIEWS }], { actor });
    const refused = await service.delete('ServiceConfig/bookinfo/reviews', { actor });
    expect(refused).toMatchObject({ ok: false, reason: 'conflict' });
    expect(!refused.ok && refused.message).toMatch(/ServiceConfig\/bookinfo\/productpage/);
    expect(!refused.ok && refused.diagnostics[0]?.source).toBe(`productpage.yaml:${lineOf(PRODUCTPAGE, 'dependencies')}`);
    expect(service.snapshot().documents.has('ServiceConfig/bookinfo/reviews')).toBe(true);

    const first = await service.delete('ServiceConfig/bookinfo/productpage', { actor });
    expect(first).toMatchObject({ ok: true, changes: [{ id: 'ServiceConfig/bookinfo/productpage', op: 'delete' }] });
    expect(await service.delete('ServiceConfig/bookinfo/reviews', { actor })).toMatchObject({ ok: true, revision: 3 });
    expect(await service.delete('ServiceConfig/bookinfo/reviews', { actor })).toMatchObject({ ok: false, reason: 'not-found' });
    expect((await service.history(1))[0]).toMatchObject({ action: 'delete' });
  });
});

describe('restore', () => {
  it('puts the documents back as they were after a revision, as a new revision', async () => {
    const { service } = await setup();
    await service.apply([{ name: 'reviews.yaml', text: REVIEWS }], { actor }); // 1
    await service.apply([{ name: 'reviews.yaml', text: REVIEWS.replace('timeout: 5s', 'timeout: 7s') }, { name: 'mesh.yaml', text: POLICY }], { actor }); // 2
    await service.delete('ServiceConfig/bookinfo/reviews', { actor }); // 3
    const restored = await service.restore(1, { actor: { name: 'ops', role: 'admin' } });
    expect(restored).toMatchObject({ ok: true, revision: 4 });
    expect(restored.ok && restored.changes).toEqual([
      { id: 'PlatformPolicy/mesh-defaults', op: 'delete' },
      { id: 'ServiceConfig/bookinfo/reviews', op: 'create' },
    ]);
    expect(storedTimeout(service, 'ServiceConfig/bookinfo/reviews')).toBe(5000);
    expect((await service.history(1))[0]).toMatchObject({ revision: 4, action: 'restore', actor: { name: 'ops' } });
    // Restoring what is already there changes nothing; revision 0 is the empty config.
    expect(await service.restore(4, { actor })).toMatchObject({ ok: true, revision: 4, changes: [] });
    expect(await service.restore(0, { actor })).toMatchObject({ ok: true, revision: 5 });
    expect(service.snapshot().documents.size).toBe(0);
    expect(await service.restore(99, { actor })).toMatchObject({ ok: false, reason: 'not-found' });
  });
});

describe('diff, get and explain', () => {
  it('diffs documents, effective settings and Envoy resources without storing anything', async () => {
    const { service } = await setup();
    await service.apply([{ name: 'reviews.yaml', text: REVIEWS }], { actor });
    const result = await service.diff([{ name: 'reviews.yaml', text: REVIEWS.replace('timeout: 5s', 'timeout: 8s') }, { name: 'mesh.yaml', text: POLICY }]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.valid).toBe(true);
    expect(result.documents).toEqual([
      { id: 'PlatformPolicy/mesh-defaults', op: 'create' },
      { id: 'ServiceConfig/bookinfo/reviews', op: 'update' },
    ]);
    const reviews = result.services.find((s) => s.service === 'reviews.bookinfo');
    expect(reviews?.settings.find((c) => c.path === 'timeout')).toEqual({ path: 'timeout', before: 5000, after: 8000 });
    // The policy defaults reach services without a ServiceConfig: ratings gets timeout 15s.
    const ratings = result.services.find((s) => s.service === 'ratings.bookinfo');
    expect(ratings?.settings.find((c) => c.path === 'timeout')?.after).toBe(15000);
    const cluster = reviews?.envoy?.[0];
    expect(cluster).toMatchObject({ name: 'outbound|reviews.bookinfo', op: 'changed' });
    expect(cluster?.diff).toContain('-timeout_ms: 5000');
    expect(cluster?.diff).toContain('+timeout_ms: 8000');
    expect(service.snapshot().revision).toBe(1);
  });

  it('a diff that an apply would reject says so', async () => {
    const { service } = await setup();
    await service.apply([{ name: 'mesh.yaml', text: POLICY }], { actor });
    const result = await service.diff([{ name: 'reviews.yaml', text: REVIEWS.replace('timeout: 5s', 'timeout: 50s') }]);
    expect(result).toMatchObject({ ok: true, valid: false });
    expect(result.ok && result.diagnostics.some((d) => d.source?.startsWith('reviews.yaml:'))).toBe(true);
  });

  it('get filters by kind, namespace and name', async () => {
    const { service } = await setup();
    await service.apply([{ name: 'reviews.yaml', text: REVIEWS }, { name: 'p.yaml', text: PRODUCTPAGE }, { name: 'mesh.yaml', text: POLICY }], { actor });
    expect(service.get().map((d) => d.id)).toEqual(['PlatformPolicy/mesh-defaults', 'ServiceConfig/bookinfo/productpage', 'ServiceConfig/bookinfo/reviews']);
    expect(service.get('ServiceConfig', 'bookinfo', 'reviews')).toMatchObject([{ id: 'ServiceConfig/bookinfo/reviews', source: 'reviews.yaml:1', namespace: 'bookinfo' }]);
    expect(service.get('PlatformPolicy').map((d) => d.id)).toEqual(['PlatformPolicy/mesh-defaults']);
    expect(service.get(undefined, 'other')).toEqual([]);
  });

  it('explains a service with provenance, and previews Envoy on request', async () => {
    const { service } = await setup();
    await service.apply([{ name: 'reviews.yaml', text: REVIEWS }, { name: 'mesh.yaml', text: POLICY }], { actor });
    const result = await service.explain('reviews.bookinfo', { envoy: true });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const timeoutLine = result.text.split('\n').find((l) => l.startsWith('timeout'));
    expect(timeoutLine).toContain('ServiceConfig/bookinfo/reviews');
    expect(timeoutLine).toContain('PlatformPolicy/mesh-defaults');
    expect(result.envoy?.['type.googleapis.com/envoy.config.cluster.v3.Cluster']?.['outbound|reviews.bookinfo']).toMatchObject({ timeout_ms: 5000 });
    expect(await service.explain('nope.nowhere')).toMatchObject({ ok: false, reason: 'not-found' });
  });
});
