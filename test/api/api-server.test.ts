import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer } from '../../src/api/server.ts';
import type { ApiServer } from '../../src/api/server.ts';
import { hashToken } from '../../src/api/tokens.ts';
import { createRegistry } from '../../src/registry/registry.ts';
import type { Registry } from '../../src/registry/types.ts';
import { flakyStore, recordingLogger } from '../registry/helpers.ts';

const TOKEN = 'test-admin-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

let server: ApiServer;
let registry: Registry;
let store: ReturnType<typeof flakyStore>;
const log = recordingLogger();

beforeAll(async () => {
  store = flakyStore();
  registry = await createRegistry({ store, log });
  server = await startApiServer({
    host: '127.0.0.1', port: 0, registry, adminTokenHash: hashToken(TOKEN), log,
    status: () => ({ revision: registry.snapshot().revision, proxies: 0 }),
  });
});
afterAll(async () => {
  await server.close();
  await registry.close();
});
beforeEach(async () => {
  store.failing = false;
  for (const key of [...registry.snapshot().services.keys()]) {
    const [name = '', namespace = ''] = key.split('.');
    await registry.deleteService(namespace, name);
  }
});

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** One HTTP exchange with a deadline; `body` may be a string or Buffer sent as-is. */
function call(method: string, path: string, options: { body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const req = httpRequest({
      host: '127.0.0.1', port: server.port, method, path, timeout: 5_000,
      headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }), ...options.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try { json = text === '' ? undefined : JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error('deadline exceeded')));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

const instance = { service: 'reviews', namespace: 'bookinfo', address: '10.0.0.1', port: 9080, labels: { version: 'v1' } };

function errorOf(response: Response): { error: string; diagnostics?: Array<{ field: string; message: string }> } {
  return response.json as { error: string; diagnostics?: Array<{ field: string; message: string }> };
}

describe('API server', () => {
  it('GET /healthz', async () => {
    const res = await call('GET', '/api/v1/healthz');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true });
    expect(res.headers['content-type']).toMatch(/application\/json/);
  });

  it('register → list → get → heartbeat → deregister → delete service', async () => {
    const created = await call('POST', '/api/v1/instances', { body: instance, headers: AUTH });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: '10.0.0.1:9080', service: 'reviews', origin: 'api', labels: { version: 'v1' } });
    await call('POST', '/api/v1/instances', { body: { ...instance, address: '10.0.0.2', health: 'unhealthy' }, headers: AUTH });

    const list = await call('GET', '/api/v1/services');
    expect(list.status).toBe(200);
    expect(list.json).toEqual({
      revision: registry.snapshot().revision,
      services: [{ name: 'reviews', namespace: 'bookinfo', protocol: 'http', instances: 2, healthyInstances: 1 }],
    });

    const detail = await call('GET', '/api/v1/services/bookinfo/reviews');
    expect(detail.status).toBe(200);
    const body = detail.json as { service: unknown; instances: Array<{ id: string }> };
    expect(body.service).toEqual({ name: 'reviews', namespace: 'bookinfo', protocol: 'http' });
    expect(body.instances.map((i) => i.id)).toEqual(['10.0.0.1:9080', '10.0.0.2:9080']);

    const before = registry.snapshot().instances.get('reviews.bookinfo')?.[0]?.heartbeatAt ?? 0;
    await new Promise((r) => setTimeout(r, 5));
    const beat = await call('POST', `/api/v1/instances/bookinfo/reviews/${encodeURIComponent('10.0.0.1:9080')}/heartbeat`, { headers: AUTH });
    expect(beat.status).toBe(204);
    expect(beat.text).toBe('');
    expect(registry.snapshot().instances.get('reviews.bookinfo')?.[0]?.heartbeatAt).toBeGreaterThan(before);

    expect((await call('DELETE', '/api/v1/instances/bookinfo/reviews/10.0.0.1:9080', { headers: AUTH })).status).toBe(204);
    expect((await call('DELETE', '/api/v1/instances/bookinfo/reviews/10.0.0.1:9080', { headers: AUTH })).status).toBe(404);
    expect(registry.snapshot().instances.get('reviews.bookinfo')?.map((i) => i.id)).toEqual(['10.0.0.2:9080']);

    expect((await call('DELETE', '/api/v1/services/bookinfo/reviews', { headers: AUTH })).status).toBe(204);
    expect((await call('DELETE', '/api/v1/services/bookinfo/reviews', { headers: AUTH })).status).toBe(404);
    expect((await call('GET', '/api/v1/services/bookinfo/reviews')).status).toBe(404);
  });

  it('GET /status returns status()', async () => {
    const res = await call('GET', '/api/v1/status');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ revision: registry.snapshot().revision, proxies: 0 });
  });

  describe('authorization', () => {
    it('writes without a token are 401 naming the rule, and change nothing', async () => {
      const res = await call('POST', '/api/v1/instances', { body: instance });
      expect(res.status).toBe(401);
      expect(errorOf(res).error).toMatch(/Authorization: Bearer/);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(registry.snapshot().services.size).toBe(0);
    });

    it.each([
      ['a wrong token', 'Bearer not-the-token'],
      ['the hash instead of the token', `Bearer ${hashToken(TOKEN)}`],
      ['a token prefix', `Bearer ${TOKEN.slice(0, -1)}`],
    ])('writes with %s are 401', async (_name, header) => {
      const res = await call('POST', '/api/v1/instances', { body: instance, headers: { authorization: header } });
      expect(res.status).toBe(401);
      expect(errorOf(res).error).toMatch(/not the admin token/);
      expect(registry.snapshot().services.size).toBe(0);
    });

    it.each(['Basic dXNlcjpwYXNz', 'Bearer', TOKEN, ''])('a malformed Authorization header (%j) is 401', async (header) => {
      const res = await call('DELETE', '/api/v1/services/bookinfo/reviews', { headers: { authorization: header } });
      expect(res.status).toBe(401);
    });

    it('heartbeat and deletes need the token too; reads do not', async () => {
      await registry.register(instance, 'api');
      expect((await call('POST', '/api/v1/instances/bookinfo/reviews/10.0.0.1:9080/heartbeat')).status).toBe(401);
      expect((await call('DELETE', '/api/v1/instances/bookinfo/reviews/10.0.0.1:9080')).status).toBe(401);
      expect((await call('DELETE', '/api/v1/services/bookinfo/reviews')).status).toBe(401);
      expect((await call('GET', '/api/v1/services/bookinfo/reviews')).status).toBe(200);
      expect(registry.snapshot().instances.get('reviews.bookinfo')?.length).toBe(1);
    });
  });

  describe('bad input', () => {
    it('400 with diagnostics naming each bad field', async () => {
      const res = await call('POST', '/api/v1/instances', {
        body: { ...instance, port: 0, labels: { version: 2 }, weight: 500 }, headers: AUTH,
      });
      expect(res.status).toBe(400);
      const body = errorOf(res);
      expect(body.error).toBe('invalid registration');
      expect(body.diagnostics?.map((d) => d.field).sort()).toEqual(['labels.version', 'port', 'weight']);
      expect(body.diagnostics?.every((d) => d.message.length > 10)).toBe(true);
    });

    it('400 for a protocol conflict with an existing service', async () => {
      await call('POST', '/api/v1/instances', { body: { ...instance, protocol: 'grpc' }, headers: AUTH });
      const res = await call('POST', '/api/v1/instances', { body: { ...instance, id: 'other', protocol: 'tcp' }, headers: AUTH });
      expect(res.status).toBe(400);
      expect(errorOf(res).diagnostics?.[0]?.field).toBe('protocol');
    });

    it.each([
      ['truncated JSON', '{"service": "reviews"', /not valid JSON/],
      ['trailing garbage', '{} {}', /not valid JSON/],
      ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]), /not valid JSON/],
      ['empty body', '', /empty/],
      ['whitespace only', '   \n', /empty/],
    ])('malformed body (%s) → 400 naming the problem', async (_name, raw, message) => {
      const res = await call('POST', '/api/v1/instances', { raw, headers: AUTH });
      expect(res.status).toBe(400);
      expect(errorOf(res).error).toMatch(message);
    });

    it.each([
      ['null', 'null'], ['an array', '[1,2]'], ['a string', '"x"'], ['a number', '42'],
      ['deep nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`],
      ['prototype keys', '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}'],
    ])('well-formed JSON that is not a registration (%s) → 400 with diagnostics', async (_name, raw) => {
      const res = await call('POST', '/api/v1/instances', { raw, headers: AUTH });
      expect(res.status).toBe(400);
      expect(errorOf(res).diagnostics?.length).toBeGreaterThan(0);
      expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
    });

    it('413 for a declared body over 1 MiB', async () => {
      const res = await call('POST', '/api/v1/instances', {
        raw: 'x', headers: { ...AUTH, 'content-length': String(1024 * 1024 + 1) },
      }).catch((e: unknown) => e);
      expect((res as Response).status).toBe(413);
    });

    it('413 for a chunked body that grows over 1 MiB', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({
          host: '127.0.0.1', port: server.port, method: 'POST', path: '/api/v1/instances', timeout: 5_000,
          headers: { ...AUTH, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('timeout', () => req.destroy(new Error('deadline exceeded')));
        req.on('error', (error) => reject(error));
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        for (let i = 0; i < 17; i += 1) req.write(chunk); // 1.0625 MiB of spaces
        req.end();
      });
      expect(status).toBe(413);
    });

    it('a body of exactly 1 MiB is accepted for parsing', async () => {
      const json = JSON.stringify(instance);
      const raw = json + ' '.repeat(1024 * 1024 - Buffer.byteLength(json));
      const res = await call('POST', '/api/v1/instances', { raw, headers: AUTH });
      expect(res.status).toBe(201);
    });
  });

  describe('routing', () => {
    it.each([
      ['GET', '/api/v1/nope'], ['GET', '/'], ['GET', '/api/v2/healthz'], ['GET', '/api/v1healthz'],
      ['GET', '/api/v1/services/bookinfo'], ['GET', '/api/v1/services/bookinfo/reviews/extra'],
      ['POST', '/api/v1/instances/a/b/c/beat'], ['GET', '/api/v1/services//reviews'],
    ])('%s %s → 404', async (method, path) => {
      const res = await call(method, path, { headers: AUTH });
      expect(res.status).toBe(404);
      expect(typeof errorOf(res).error).toBe('string');
    });

    it('unknown service and instance are 404', async () => {
      expect((await call('GET', '/api/v1/services/bookinfo/ghost')).status).toBe(404);
      const beat = await call('POST', '/api/v1/instances/bookinfo/ghost/x/heartbeat', { headers: AUTH });
      expect(beat.status).toBe(404);
      expect(errorOf(beat).error).toMatch(/no instance x/);
    });

    it.each([
      ['PUT', '/api/v1/services', 'GET'],
      ['DELETE', '/api/v1/healthz', 'GET'],
      ['GET', '/api/v1/instances', 'POST'],
      ['PATCH', '/api/v1/services/bookinfo/reviews', 'GET, DELETE'],
      ['GET', '/api/v1/instances/a/b/c', 'DELETE'],
    ])('%s %s → 405 with Allow: %s', async (method, path, allow) => {
      const res = await call(method, path, { headers: AUTH });
      expect(res.status).toBe(405);
      expect(res.headers['allow']).toBe(allow);
    });

    it('query strings and a trailing slash are tolerated; bad percent-encoding is 400', async () => {
      expect((await call('GET', '/api/v1/healthz/?verbose=1')).status).toBe(200);
      expect((await call('GET', '/api/v1/services/%E0%A4%A/x')).status).toBe(400);
    });
  });

  it('a store failure during a write is 503 and the server keeps serving', async () => {
    store.failing = true;
    const res = await call('POST', '/api/v1/instances', { body: instance, headers: AUTH });
    expect(res.status).toBe(503);
    expect(errorOf(res).error).toMatch(/nothing was changed/);
    store.failing = false;
    expect((await call('POST', '/api/v1/instances', { body: instance, headers: AUTH })).status).toBe(201);
  });

  it('survives raw non-HTTP garbage on the socket', async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write(Buffer.from('\x00\x01\x02 GARBAGE \r\n\r\n\xff\xff', 'binary'));
      });
      socket.setTimeout(5_000, () => socket.destroy(new Error('deadline exceeded')));
      socket.on('data', () => undefined);
      socket.on('close', () => resolve());
      socket.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(error)));
    });
    expect((await call('GET', '/api/v1/healthz')).status).toBe(200);
  });
});
