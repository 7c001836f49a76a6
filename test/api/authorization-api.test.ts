/** AuthorizationPolicy over the API: who may write which kind (403s naming the rule), deletes, and explain with ?from=. */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { permitWrites, type Principal } from '../../src/api/auth.ts';
import { startApiServer, type ApiServer } from '../../src/api/server.ts';
import { openTokenStore } from '../../src/api/token-store.ts';
import { hashToken } from '../../src/api/tokens.ts';
import { createConfigService } from '../../src/config/service/config-service.ts';
import { openConfigStore } from '../../src/config/store/config-store.ts';
import { createRegistry } from '../../src/registry/registry.ts';
import type { Registry } from '../../src/registry/types.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { recordingLogger } from '../registry/helpers.ts';

const ADMIN = 'authz-admin-token-0123456789';
let server: ApiServer;
let registry: Registry;
let teamToken = '';

const policy = (name: string, namespace: string | undefined, spec: string): string =>
  `apiVersion: trellis.dev/v1alpha1\nkind: AuthorizationPolicy\nmetadata: {name: ${name}${namespace === undefined ? '' : `, namespace: ${namespace}`}}\nspec:\n${spec}`;
const TEAM_BOOKINFO = policy('reviews-callers', 'bookinfo', '  target: {service: reviews}\n  action: ALLOW\n  rules: [{from: [{service: productpage.bookinfo}]}]\n');
const TEAM_PAYMENTS = policy('checkout-callers', 'payments', '  target: {service: checkout}\n  action: ALLOW\n  rules: [{from: [{namespace: payments}]}]\n');
const PLATFORM = policy('no-admin', undefined, '  scope: {namespaces: ["*"]}\n  action: DENY\n  rules: [{to: [{paths: [/admin/*]}]}]\n');

interface Answer { status: number; json: Record<string, unknown> }

function call(method: string, path: string, token?: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest({
      host: '127.0.0.1', port: server.port, method, path: `/api/v1${path}`, timeout: 5_000,
      headers: {
        ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) });
      });
    });
    req.on('timeout', () => req.destroy(new Error('deadline exceeded')));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

const apply = (token: string, name: string, text: string): Promise<Answer> => call('POST', '/config/apply', token, { files: [{ name, text }] });

beforeAll(async () => {
  const kv = createMemoryStore();
  const log = recordingLogger();
  registry = await createRegistry({ store: kv, log });
  for (const [service, namespace] of [['reviews', 'bookinfo'], ['productpage', 'bookinfo'], ['checkout', 'payments']] as const) {
    await registry.register({ service, namespace, address: '10.1.0.1', port: 9080 }, 'api');
  }
  const config = createConfigService({ store: await openConfigStore(kv), knownServices: () => registry.snapshot().services.keys() });
  server = await startApiServer({ host: '127.0.0.1', port: 0, registry, adminTokenHash: hashToken(ADMIN), log, status: () => ({}), tokens: await openTokenStore(kv), config });
  const created = await call('POST', '/tokens', ADMIN, { role: 'team', namespaces: ['payments'], name: 'payments-ci' });
  expect(created.status).toBe(201);
  teamToken = String(created.json['token']);
});
afterAll(async () => {
  await server.close();
  await registry.close();
});

describe('AuthorizationPolicy permits', () => {
  const team: Principal = { id: 't', name: 'payments-ci', role: 'team', namespaces: ['payments'] };
  it('permitWrites: team tokens write namespaced policies of their namespaces only; platform ones need admin', () => {
    expect(permitWrites(team, [{ kind: 'AuthorizationPolicy', id: 'AuthorizationPolicy/payments/a', namespace: 'payments' }])).toBeUndefined();
    expect(permitWrites(team, [{ kind: 'AuthorizationPolicy', id: 'AuthorizationPolicy/bookinfo/a', namespace: 'bookinfo' }]))
      .toBe('team token "payments-ci" may only write AuthorizationPolicy in namespaces [payments]; this request writes AuthorizationPolicy/bookinfo/a');
    expect(permitWrites(team, [{ kind: 'AuthorizationPolicy', id: 'AuthorizationPolicy/a' }])).toMatch(/^team token "payments-ci" may not write cluster-scoped \(platform\) AuthorizationPolicy AuthorizationPolicy\/a: it needs an admin token/);
    expect(permitWrites({ ...team, role: 'admin' }, [{ kind: 'AuthorizationPolicy', id: 'AuthorizationPolicy/a' }])).toBeUndefined();
    expect(permitWrites({ ...team, role: 'viewer' }, [{ kind: 'AuthorizationPolicy', id: 'AuthorizationPolicy/payments/a', namespace: 'payments' }])).toMatch(/may only read/);
  });

  it('over the API: a team token writes its namespace\'s policy, gets 403 for another namespace and for platform policies', async () => {
    const own = await apply(teamToken, 'payments.yaml', TEAM_PAYMENTS);
    expect(own.status).toBe(200);
    const other = await apply(teamToken, 'bookinfo.yaml', TEAM_BOOKINFO);
    expect(other.status).toBe(403);
    expect(other.json['error']).toBe('team token "payments-ci" may only write AuthorizationPolicy in namespaces [payments]; this request writes AuthorizationPolicy/bookinfo/reviews-callers');
    const platform = await apply(teamToken, 'platform.yaml', PLATFORM);
    expect(platform.status).toBe(403);
    expect(String(platform.json['error'])).toMatch(/cluster-scoped \(platform\) AuthorizationPolicy AuthorizationPolicy\/no-admin: it needs an admin token/);
    expect((await apply(ADMIN, 'platform.yaml', PLATFORM)).status).toBe(200);
    expect((await apply(ADMIN, 'bookinfo.yaml', TEAM_BOOKINFO)).status).toBe(200);
  });

  it('deletes: namespaced by /config/AuthorizationPolicy/:ns/:name, cluster-scoped by /config/AuthorizationPolicy/:name', async () => {
    const refused = await call('DELETE', '/config/AuthorizationPolicy/no-admin', teamToken);
    expect(refused.status).toBe(403);
    expect((await call('DELETE', '/config/authorizationpolicy/payments/checkout-callers', teamToken)).status).toBe(200);
    const listed = await call('GET', '/config?kind=AuthorizationPolicy');
    expect((listed.json['documents'] as Array<{ id: string }>).map((d) => d.id)).toEqual(['AuthorizationPolicy/bookinfo/reviews-callers', 'AuthorizationPolicy/no-admin']);
  });
});

describe('GET /config/explain/:ns/:name?from=', () => {
  it('answers the decision with the deciding policy, file:line and rule index', async () => {
    const allowed = await call('GET', '/config/explain/bookinfo/reviews?from=productpage.bookinfo&path=/reviews/1&method=GET&port=9080');
    expect(allowed.status).toBe(200);
    expect(allowed.json['decision']).toMatchObject({
      decision: 'ALLOW', from: 'productpage.bookinfo',
      matched: { document: 'AuthorizationPolicy/bookinfo/reviews-callers', source: 'bookinfo.yaml:7', index: 0 },
    });
    const denied = await call('GET', '/config/explain/bookinfo/reviews?from=productpage.bookinfo&path=/admin/x');
    expect(denied.json['decision']).toMatchObject({ decision: 'DENY', matched: { document: 'AuthorizationPolicy/no-admin', source: 'platform.yaml:7' } });
    const plain = await call('GET', '/config/explain/bookinfo/reviews');
    expect(plain.json['decision']).toBeUndefined();
    expect((plain.json['authorization'] as { rules: unknown[] }).rules).toHaveLength(2);
  });

  it('400 for a malformed port or path/method without from; 404 for an unknown caller', async () => {
    expect((await call('GET', '/config/explain/bookinfo/reviews?from=productpage.bookinfo&port=http')).status).toBe(400);
    expect((await call('GET', '/config/explain/bookinfo/reviews?path=/x')).status).toBe(400);
    expect((await call('GET', '/config/explain/bookinfo/reviews?from=ghost.bookinfo')).status).toBe(404);
  });
});
