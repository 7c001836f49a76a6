/**
 * The config and token routes over a real API socket: roles (viewer, team, admin), the 403
 * messages naming the rule, revoked tokens, diagnostics with file:line, and token secrets that
 * never appear in any answer or log line.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/server.ts';
import { openTokenStore, type TokenStore } from '../../src/api/token-store.ts';
import { hashToken } from '../../src/api/tokens.ts';
import { createConfigService } from '../../src/config/service/config-service.ts';
import { openConfigStore } from '../../src/config/store/config-store.ts';
import { createRegistry } from '../../src/registry/registry.ts';
import type { Registry } from '../../src/registry/types.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import type { Logger } from '../../src/util/log.ts';
import { lineOf, POLICY, PRODUCTPAGE, REVIEWS, serviceConfig } from '../config/service/fixtures.ts';

const ADMIN = 'test-admin-token-0123456789';
const logLines: string[] = [];
const log: Logger = {
  debug: (m, f) => void logLines.push(`${m} ${JSON.stringify(f ?? {})}`),
  info: (m, f) => void logLines.push(`${m} ${JSON.stringify(f ?? {})}`),
  warn: (m, f) => void logLines.push(`${m} ${JSON.stringify(f ?? {})}`),
  error: (m, f) => void logLines.push(`${m} ${JSON.stringify(f ?? {})}`),
  child: () => log,
};

let server: ApiServer;
let closedServer: ApiServer;
let registry: Registry;
let tokens: TokenStore;
const answers: string[] = [];
const secrets: string[] = [];

beforeAll(async () => {
  const kv = createMemoryStore();
  registry = await createRegistry({ store: kv, log });
  for (const [service, namespace] of [['reviews', 'bookinfo'], ['productpage', 'bookinfo'], ['checkout', 'payments']] as const) {
    await registry.register({ service, namespace, address: '10.1.0.1', port: 9080 }, 'api');
  }
  tokens = await openTokenStore(kv);
  const store = await openConfigStore(kv);
  const config = createConfigService({ store, knownServices: () => registry.snapshot().services.keys() });
  const common = { registry, adminTokenHash: hashToken(ADMIN), log, status: () => ({}), tokens, config };
  server = await startApiServer({ ...common, host: '127.0.0.1', port: 0 });
  // Same API with reads closed, as when it listens on a non-loopback address.
  closedServer = await startApiServer({ ...common, host: '127.0.0.1', port: 0, openReads: false });
});
afterAll(async () => {
  await server.close();
  await closedServer.close();
  await registry.close();
});

interface Answer {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

function call(method: string, path: string, token?: string, body?: unknown, target: ApiServer = server): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest({
      host: '127.0.0.1', port: target.port, method, path: `/api/v1${path}`, timeout: 5_000,
      headers: {
        ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        answers.push(text);
        resolve({ status: res.statusCode ?? 0, text, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) });
      });
    });
    req.on('timeout', () => req.destroy(new Error('deadline exceeded')));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

async function createToken(body: Record<string, unknown>): Promise<{ id: string; token: string }> {
  const res = await call('POST', '/tokens', ADMIN, body);
  expect(res.status).toBe(201);
  const token = String(res.json['token']);
  secrets.push(token);
  return { id: String(res.json['id']), token };
}

const apply = (token: string | undefined, files: Array<{ name: string; text: string }>, dryRun = false): Promise<Answer> =>
  call('POST', '/config/apply', token, { files, dryRun });

describe('roles over the API', () => {
  let team: { id: string; token: string };
  let viewer: { id: string; token: string };

  beforeAll(async () => {
    team = await createToken({ role: 'team', namespaces: ['payments'], name: 'payments-ci' });
    viewer = await createToken({ role: 'viewer', name: 'dashboards' });
  });

  it('creates tokens once and lists them without secrets', async () => {
    expect(team.token.length).toBeGreaterThan(30);
    const list = await call('GET', '/tokens', ADMIN);
    expect(list.status).toBe(200);
    const listed = list.json['tokens'] as Array<Record<string, unknown>>;
    expect(listed.map((t) => t['name']).sort()).toEqual(['dashboards', 'payments-ci']);
    expect(listed.find((t) => t['name'] === 'payments-ci')).toMatchObject({ role: 'team', namespaces: ['payments'], createdBy: 'admin' });
    for (const t of listed) {
      expect(Object.keys(t).sort()).toEqual(['createdAt', 'createdBy', 'id', 'name', 'namespaces', 'role']);
    }
    expect(list.text).not.toContain(team.token);
    expect(list.text).not.toContain(hashToken(team.token));
    const bad = await call('POST', '/tokens', ADMIN, { role: 'team' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toMatch(/at least one namespace/);
  });

  it('only admins manage tokens', async () => {
    expect((await call('POST', '/tokens', team.token, { role: 'admin' })).status).toBe(403);
    expect((await call('GET', '/tokens', viewer.token)).status).toBe(403);
    expect((await call('GET', '/tokens')).status).toBe(401);
  });

  it('viewer tokens may only read', async () => {
    const res = await apply(viewer.token, [{ name: 'reviews.yaml', text: REVIEWS }]);
    expect(res.status).toBe(403);
    expect(res.json['error']).toBe('viewer token "dashboards" may only read; this request writes');
    expect((await call('GET', '/config', viewer.token)).status).toBe(200);
  });

  it('team tokens may not write another namespace or any PlatformPolicy: 403 naming the rule', async () => {
    const other = await apply(team.token, [{ name: 'reviews.yaml', text: REVIEWS }]);
    expect(other.status).toBe(403);
    expect(other.json['error']).toBe('team token "payments-ci" may only write ServiceConfig in namespaces [payments]; this request writes ServiceConfig/bookinfo/reviews');
    const policy = await apply(team.token, [{ name: 'mesh.yaml', text: POLICY }]);
    expect(policy.status).toBe(403);
    expect(policy.json['error']).toBe('team token "payments-ci" may only write ServiceConfig in namespaces [payments]; this request writes PlatformPolicy/mesh-defaults');
    const registryWrite = await call('POST', '/instances', team.token, { service: 'reviews', namespace: 'bookinfo', address: '10.9.9.9', port: 80 });
    expect(registryWrite.status).toBe(403);
    expect(registryWrite.json['error']).toMatch(/may only write registry entries in namespaces \[payments\]; this request writes instances in namespace bookinfo/);
    expect((await call('DELETE', '/services/bookinfo/reviews', team.token)).status).toBe(403);
    expect(registry.snapshot().services.has('reviews.bookinfo')).toBe(true);
    expect((await call('GET', '/config')).json['documents']).toEqual([]);
  });

  it('team tokens write in their own namespaces, and the revision names them', async () => {
    const checkout = serviceConfig('checkout', 'payments', '  timeout: 2s\n');
    const res = await apply(team.token, [{ name: 'checkout.yaml', text: checkout }]);
    expect(res.status).toBe(200);
    expect(res.json['changes']).toEqual([{ id: 'ServiceConfig/payments/checkout', op: 'create' }]);
    expect((await call('POST', '/instances', team.token, { service: 'checkout', namespace: 'payments', address: '10.9.9.9', port: 80 })).status).toBe(201);
    const history = await call('GET', '/config/history?limit=1');
    expect((history.json['revisions'] as Array<Record<string, unknown>>)[0]).toMatchObject({ actor: { name: 'payments-ci', role: 'team' }, action: 'apply' });
    expect((await call('DELETE', '/config/ServiceConfig/payments/checkout', team.token)).status).toBe(200);
  });

  it('admins write everything', async () => {
    const res = await apply(ADMIN, [{ name: 'mesh.yaml', text: POLICY }, { name: 'reviews.yaml', text: REVIEWS }]);
    expect(res.status).toBe(200);
    expect(res.json['changes']).toHaveLength(2);
  });

  it('a revoked token gets 401', async () => {
    const temp = await createToken({ role: 'team', namespaces: ['payments'], name: 'short-lived' });
    expect((await call('POST', '/instances', temp.token, { service: 'checkout', namespace: 'payments', address: '10.9.9.8', port: 80 })).status).toBe(201);
    expect((await call('DELETE', `/tokens/${temp.id}`, ADMIN)).status).toBe(204);
    const after = await call('POST', '/instances', temp.token, { service: 'checkout', namespace: 'payments', address: '10.9.9.7', port: 80 });
    expect(after.status).toBe(401);
    expect(after.json['error']).toMatch(/not valid/);
    expect((await call('DELETE', `/tokens/${temp.id}`, ADMIN)).status).toBe(404);
  });

  it('reads need a valid token when the API is not on loopback', async () => {
    expect((await call('GET', '/config', undefined, undefined, closedServer)).status).toBe(401);
    expect((await call('GET', '/config', 'wrong', undefined, closedServer)).status).toBe(401);
    expect((await call('GET', '/config', viewer.token, undefined, closedServer)).status).toBe(200);
    expect((await call('GET', '/config')).status).toBe(200);
  });
});

describe('config routes', () => {
  it('rejects a bad apply with 400 and diagnostics carrying file:line and field', async () => {
    const bad = serviceConfig('reviews', 'bookinfo', '  timeout: 45s\n  loadBalancer: {policy: fastest}\n');
    const res = await apply(ADMIN, [{ name: 'reviews.yaml', text: bad }]);
    expect(res.status).toBe(400);
    const diagnostics = res.json['diagnostics'] as Array<Record<string, unknown>>;
    expect(diagnostics.some((d) => d['source'] === `reviews.yaml:${lineOf(bad, 'fastest')}` && String(d['field']).includes('loadBalancer'))).toBe(true);
  });

  it('dry run, diff, get, explain and history', async () => {
    const changed = REVIEWS.replace('timeout: 5s', 'timeout: 9s');
    const dry = await apply(ADMIN, [{ name: 'reviews.yaml', text: changed }], true);
    expect(dry.json).toMatchObject({ dryRun: true, changes: [{ id: 'ServiceConfig/bookinfo/reviews', op: 'update' }] });
    const diff = await call('POST', '/config/diff', undefined, { files: [{ name: 'reviews.yaml', text: changed }] });
    expect(diff.status).toBe(200);
    expect(diff.json['valid']).toBe(true);
    expect(JSON.stringify(diff.json['services'])).toContain('"path":"timeout","before":5000,"after":9000');
    const get = await call('GET', '/config?kind=serviceconfig&namespace=bookinfo');
    expect((get.json['documents'] as Array<Record<string, unknown>>).map((d) => d['id'])).toEqual(['ServiceConfig/bookinfo/reviews']);
    expect((await call('GET', '/config?kind=Nope')).status).toBe(400);
    const explain = await call('GET', '/config/explain/bookinfo/reviews');
    expect(explain.status).toBe(200);
    expect(String(explain.json['text'])).toContain('ServiceConfig/bookinfo/reviews');
    expect((await call('GET', '/config/explain/nowhere/nothing')).status).toBe(404);
    expect((await call('GET', '/config/history?limit=0')).status).toBe(400);
  });

  it('409 for deleting a referenced ServiceConfig, 404 for a missing one, restore puts it back', async () => {
    expect((await apply(ADMIN, [{ name: 'productpage.yaml', text: PRODUCTPAGE }])).status).toBe(200);
    // productpage depends on reviews.bookinfo, which is in the registry: the dependency stays valid,
    // but the document still refers to it.
    const refused = await call('DELETE', '/config/ServiceConfig/bookinfo/reviews', ADMIN);
    expect(refused.status).toBe(409);
    expect(String(refused.json['error'])).toContain('ServiceConfig/bookinfo/productpage');
    expect((await call('DELETE', '/config/ServiceConfig/bookinfo/ghost', ADMIN)).status).toBe(404);
    const revision = Number((await call('GET', '/config')).json['revision']);
    expect((await call('DELETE', '/config/ServiceConfig/bookinfo/productpage', ADMIN)).status).toBe(200);
    expect((await call('DELETE', '/config/PlatformPolicy/mesh-defaults', ADMIN)).status).toBe(200);
    const restored = await call('POST', '/config/restore', ADMIN, { revision });
    expect(restored.status).toBe(200);
    expect(restored.json['changes']).toEqual([
      { id: 'PlatformPolicy/mesh-defaults', op: 'create' },
      { id: 'ServiceConfig/bookinfo/productpage', op: 'create' },
    ]);
    expect((await call('POST', '/config/restore', ADMIN, { revision: 'x' })).status).toBe(400);
  });

  it('never puts a token secret in an answer (other than its creation) or a log line', () => {
    expect(secrets.length).toBeGreaterThan(2);
    const creations = answers.filter((a) => secrets.some((s) => a.includes(s)));
    expect(creations.length).toBe(secrets.length);
    for (const a of creations) expect(JSON.parse(a)).toHaveProperty('token');
    for (const line of logLines) for (const s of [...secrets, ADMIN]) expect(line).not.toContain(s);
  });
});
