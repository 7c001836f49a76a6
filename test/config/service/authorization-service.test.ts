/** AuthorizationPolicy through the config service: apply, get, permits, delete referrers, explain with a decision. */
import { describe, expect, it } from 'vitest';
import type { DocumentWrite } from '../../../src/config/service/types.ts';
import { actor, lineOf, setup } from './fixtures.ts';

const TEAM = `apiVersion: trellis.dev/v1alpha1
kind: AuthorizationPolicy
metadata: {name: reviews-callers, namespace: bookinfo}
spec:
  target: {service: reviews}
  action: ALLOW
  rules:
    - from: [{service: productpage.bookinfo}]
      to: [{methods: [GET], paths: [/reviews/*]}]
`;
const PLATFORM = `apiVersion: trellis.dev/v1alpha1
kind: AuthorizationPolicy
metadata: {name: no-admin}
spec:
  scope: {namespaces: ["*"]}
  action: DENY
  rules:
    - to: [{paths: [/admin/*]}]
`;
const files = [{ name: 'team.yaml', text: TEAM }, { name: 'platform.yaml', text: PLATFORM }];

describe('AuthorizationPolicy in the config service', () => {
  it('applies, lists with namespace for team policies only, and filters by namespace', async () => {
    const { service } = await setup();
    const result = await service.apply(files, { actor });
    expect(result).toMatchObject({ ok: true, changes: [{ id: 'AuthorizationPolicy/bookinfo/reviews-callers', op: 'create' }, { id: 'AuthorizationPolicy/no-admin', op: 'create' }] });
    const all = service.get('AuthorizationPolicy');
    expect(all.map((d) => [d.id, d.namespace])).toEqual([['AuthorizationPolicy/bookinfo/reviews-callers', 'bookinfo'], ['AuthorizationPolicy/no-admin', undefined]]);
    expect(service.get('AuthorizationPolicy', 'bookinfo').map((d) => d.id)).toEqual(['AuthorizationPolicy/bookinfo/reviews-callers']);
    expect(service.get(undefined, 'bookinfo').map((d) => d.id)).toEqual(['AuthorizationPolicy/bookinfo/reviews-callers']);
  });

  it('hands the permit each policy with its namespace (none for platform policies), for writes and deletes', async () => {
    const { service } = await setup();
    const seen: DocumentWrite[][] = [];
    const permit = (writes: readonly DocumentWrite[]): string | undefined => {
      seen.push([...writes]);
      return undefined;
    };
    await service.apply(files, { actor, permit });
    await service.delete('AuthorizationPolicy/bookinfo/reviews-callers', { actor, permit });
    expect(seen[0]).toEqual([
      { id: 'AuthorizationPolicy/bookinfo/reviews-callers', kind: 'AuthorizationPolicy', name: 'reviews-callers', namespace: 'bookinfo' },
      { id: 'AuthorizationPolicy/no-admin', kind: 'AuthorizationPolicy', name: 'no-admin' },
    ]);
    expect(seen[1]).toEqual([{ id: 'AuthorizationPolicy/bookinfo/reviews-callers', kind: 'AuthorizationPolicy', name: 'reviews-callers', namespace: 'bookinfo' }]);
    expect(service.get('AuthorizationPolicy').map((d) => d.id)).toEqual(['AuthorizationPolicy/no-admin']);
  });

  it('rejects a policy naming an unknown service, and refuses to delete a ServiceConfig a policy still names', async () => {
    const { service } = await setup(undefined, ['reviews.bookinfo']);
    const unknown = await service.apply([{ name: 'team.yaml', text: TEAM }], { actor });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) {
      expect(unknown.reason).toBe('invalid');
      expect(unknown.diagnostics.map((d) => [d.field, d.source])).toEqual([['spec.rules[0].from[0].service', `team.yaml:${lineOf(TEAM, 'productpage')}`]]);
    }
    const productpage = 'apiVersion: trellis.dev/v1alpha1\nkind: ServiceConfig\nmetadata: {name: productpage, namespace: bookinfo}\nspec: {timeout: 1s}\n';
    expect((await service.apply([{ name: 'pp.yaml', text: productpage }, { name: 'team.yaml', text: TEAM }], { actor })).ok).toBe(true);
    const refused = await service.delete('ServiceConfig/bookinfo/productpage', { actor });
    expect(refused).toMatchObject({ ok: false, reason: 'conflict' });
    if (!refused.ok) expect(refused.diagnostics[0]).toMatchObject({ field: 'spec.rules[0].from[0].service', message: 'AuthorizationPolicy/bookinfo/reviews-callers refers to productpage.bookinfo' });
  });

  it('explain lists the rules guarding a service and decides one caller, naming the deciding policy, file:line and rule', async () => {
    const { service } = await setup();
    await service.apply(files, { actor });
    const plain = await service.explain('reviews.bookinfo');
    if (!plain.ok) throw new Error(plain.message);
    expect(plain.decision).toBeUndefined();
    expect(plain.authorization.hasAllowPolicies).toBe(true);
    expect(plain.authorization.text).toMatch(/^ACTION/);
    expect(plain.authorization.text).toContain('AuthorizationPolicy/no-admin (platform.yaml:8)');

    const ok = await service.explain('reviews.bookinfo', { request: { from: 'productpage.bookinfo', path: '/reviews/1', method: 'get' } });
    if (!ok.ok) throw new Error(ok.message);
    expect(ok.decision).toMatchObject({
      decision: 'ALLOW', spiffeId: 'spiffe://trellis.local/ns/bookinfo/sa/productpage',
      matched: { document: 'AuthorizationPolicy/bookinfo/reviews-callers', source: `team.yaml:${lineOf(TEAM, '- from')}`, index: 0, action: 'ALLOW', layer: 'team' },
    });

    const admin = await service.explain('reviews.bookinfo', { request: { from: 'productpage.bookinfo', path: '/admin/x', method: 'GET' } });
    if (!admin.ok) throw new Error(admin.message);
    expect(admin.decision?.decision).toBe('DENY');
    expect(admin.decision?.text).toMatch(/^DENY: denied by platform DENY rule #0 of AuthorizationPolicy\/no-admin \(platform\.yaml:8\)/);

    const stranger = await service.explain('reviews.bookinfo', { request: { from: 'ratings.bookinfo', path: '/reviews/1', method: 'GET' } });
    if (!stranger.ok) throw new Error(stranger.message);
    expect(stranger.decision).toMatchObject({ decision: 'DENY' });
    expect(stranger.decision?.matched).toBeUndefined();
  });

  it('explain refuses callers that are neither services it knows nor SPIFFE ids, and takes a SPIFFE id as is', async () => {
    const { service } = await setup();
    await service.apply(files, { actor });
    expect(await service.explain('reviews.bookinfo', { request: { from: 'productpag.bookinfo' } })).toMatchObject({ ok: false, reason: 'not-found', message: expect.stringMatching(/did you mean productpage\.bookinfo/) });
    expect(await service.explain('reviews.bookinfo', { request: { from: 'productpage' } })).toMatchObject({ ok: false, reason: 'invalid' });
    const id = await service.explain('ratings.bookinfo', { request: { from: 'spiffe://other.org/x', path: '/admin/1' } });
    expect(id).toMatchObject({ ok: true, decision: { decision: 'DENY', spiffeId: 'spiffe://other.org/x' } });
  });

  it('diff shows a service whose authorization rules change, with the rules table as a unified diff', async () => {
    const { service } = await setup();
    const result = await service.diff([{ name: 'team.yaml', text: TEAM }]);
    if (!result.ok) throw new Error(result.message);
    expect(result.documents).toEqual([{ id: 'AuthorizationPolicy/bookinfo/reviews-callers', op: 'create' }]);
    expect(result.services.map((s) => s.service)).toEqual(['reviews.bookinfo']);
    const reviews = result.services[0];
    expect(reviews?.settings).toEqual([]);
    expect(reviews?.authorization).toMatch(/^-no authorization policy guards this service/m);
    expect(reviews?.authorization).toMatch(/^\+ALLOW\s+team\s+AuthorizationPolicy\/bookinfo\/reviews-callers/m);
  });
});
