/** The config and token CLI commands, in-process (runCli with an `out` callback) against a real API socket. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/server.ts';
import { openTokenStore } from '../../src/api/token-store.ts';
import { hashToken } from '../../src/api/tokens.ts';
import { displayName, readConfigFiles } from '../../src/cli/config-files.ts';
import { runCli } from '../../src/cli/main.ts';
import { createConfigService } from '../../src/config/service/config-service.ts';
import { openConfigStore } from '../../src/config/store/config-store.ts';
import { createRegistry } from '../../src/registry/registry.ts';
import type { Registry } from '../../src/registry/types.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { recordingLogger } from '../registry/helpers.ts';
import { lineOf, POLICY, previewEnvoy, PRODUCTPAGE, REVIEWS, serviceConfig } from '../config/service/fixtures.ts';

const ADMIN = 'cli-admin-token-0123456789';
let server: ApiServer;
let registry: Registry;
let dir: string;

beforeAll(async () => {
  const kv = createMemoryStore();
  const log = recordingLogger();
  registry = await createRegistry({ store: kv, log });
  for (const service of ['reviews', 'productpage', 'ratings']) await registry.register({ service, namespace: 'bookinfo', address: '10.1.0.1', port: 9080 }, 'api');
  const config = createConfigService({ store: await openConfigStore(kv), knownServices: () => registry.snapshot().services.keys(), previewEnvoy });
  server = await startApiServer({ host: '127.0.0.1', port: 0, registry, adminTokenHash: hashToken(ADMIN), log, status: () => ({}), tokens: await openTokenStore(kv), config });
  dir = await mkdtemp(join(tmpdir(), 'trellis-cli-'));
  await mkdir(join(dir, 'config', 'nested'), { recursive: true });
  await writeFile(join(dir, 'config', 'reviews.yaml'), REVIEWS);
  await writeFile(join(dir, 'config', 'nested', 'productpage.yml'), PRODUCTPAGE);
  await writeFile(join(dir, 'config', 'notes.txt'), 'not yaml');
  await writeFile(join(dir, 'mesh.yaml'), POLICY);
});
afterAll(async () => {
  await server.close();
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[], token = ADMIN): Promise<{ code: number; out: string; err: string }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    errors.push(String(chunk));
    return true;
  });
  try {
    const code = await runCli([...args, '--server', `http://127.0.0.1:${server.port}`, '--token', token, '--data', dir], (text) => lines.push(text));
    return { code, out: lines.join('\n'), err: errors.join('') };
  } finally {
    spy.mockRestore();
  }
}

describe('trellis apply / diff / get / explain / delete / history / restore', () => {
  it('apply --dry-run of a directory stores nothing; apply stores every YAML file under it', async () => {
    const dry = await cli(['apply', '-f', join(dir, 'config'), '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('would create ServiceConfig/bookinfo/productpage');
    expect(dry.out).toContain('would create ServiceConfig/bookinfo/reviews');
    expect((await cli(['get'])).out).toMatch(/no config documents/);
    const applied = await cli(['apply', '-f', join(dir, 'config'), '-f', join(dir, 'mesh.yaml')]);
    expect(applied.code).toBe(0);
    expect(applied.out.split('\n')).toEqual([
      'created PlatformPolicy/mesh-defaults',
      'created ServiceConfig/bookinfo/productpage',
      'created ServiceConfig/bookinfo/reviews',
      'applied as revision 1',
    ]);
    expect((await cli(['apply', '-f', join(dir, 'mesh.yaml')])).out).toBe('no changes (revision 1)');
  });

  it('a rejected apply prints each diagnostic as file:line: field: message and exits 1', async () => {
    const bad = serviceConfig('ratings', 'bookinfo', '  timeout: 45s\n');
    const path = join(dir, 'ratings.yaml');
    await writeFile(path, bad);
    const result = await cli(['apply', '-f', path]);
    expect(result.code).toBe(1);
    const name = displayName(process.cwd(), path);
    expect(result.err).toContain(`${name}:${lineOf(bad, 'timeout')}: spec.timeout: `);
    expect(result.err).toMatch(/mesh-defaults/);
    expect((await cli(['get', 'sc', 'ratings', '-n', 'bookinfo'])).code).toBe(1);
    expect((await cli(['apply', '-f', join(dir, 'missing.yaml')])).code).toBe(2);
  });

  it('diff shows document, setting and Envoy changes', async () => {
    const path = join(dir, 'reviews-next.yaml');
    await writeFile(path, REVIEWS.replace('timeout: 5s', 'timeout: 8s'));
    const result = await cli(['diff', '-f', path]);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/update\s+ServiceConfig\/bookinfo\/reviews/);
    expect(result.out).toContain('timeout: 5000 -> 8000');
    expect(result.out).toContain('-timeout_ms: 5000');
    expect(result.out).toContain('+timeout_ms: 8000');
  });

  it('get lists, filters and prints YAML or JSON', async () => {
    const table = await cli(['get']);
    expect(table.out.split('\n')[0]).toMatch(/^KIND\s+NAMESPACE\s+NAME\s+SOURCE$/);
    expect(table.out).toMatch(/PlatformPolicy\s+-\s+mesh-defaults/);
    const yaml = await cli(['get', 'ServiceConfig', 'reviews', '-n', 'bookinfo', '-o', 'yaml']);
    expect(yaml.out).toContain('kind: ServiceConfig');
    expect(yaml.out).toContain('name: reviews');
    expect(yaml.out).not.toContain('productpage');
    const json = JSON.parse((await cli(['get', 'pp', '-o', 'json'])).out) as Array<{ id: string }>;
    expect(json.map((d) => d.id)).toEqual(['PlatformPolicy/mesh-defaults']);
    expect((await cli(['get', 'widgets'])).code).toBe(2);
  });

  it('explain prints provenance, --envoy adds resources, --json gives rows', async () => {
    const text = await cli(['explain', 'reviews.bookinfo']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^timeout.*ServiceConfig\/bookinfo\/reviews.*PlatformPolicy\/mesh-defaults/m);
    const envoy = await cli(['explain', 'reviews.bookinfo', '--envoy']);
    expect(envoy.out).toContain('outbound|reviews.bookinfo');
    const rows = JSON.parse((await cli(['explain', 'reviews.bookinfo', '--json'])).out) as Array<{ path: string; layer: string }>;
    expect(rows.find((r) => r.path === 'timeout')?.layer).toBe('service');
    expect((await cli(['explain'])).code).toBe(2);
  });

  it('delete refuses a referenced document, then history and restore bring it back', async () => {
    const refused = await cli(['delete', 'ServiceConfig', 'reviews', '-n', 'bookinfo']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/409.*ServiceConfig\/bookinfo\/productpage/);
    expect((await cli(['delete', 'sc', 'productpage', '-n', 'bookinfo'])).out).toBe('deleted ServiceConfig/bookinfo/productpage (revision 2)');
    const history = await cli(['history', '--limit', '5']);
    expect(history.out.split('\n')[1]).toMatch(/^2\s+\S+\s+admin\s+admin\s+delete\s+delete ServiceConfig\/bookinfo\/productpage$/);
    const restored = await cli(['restore', '--revision', '1']);
    expect(restored.code).toBe(0);
    expect(restored.out).toContain('create ServiceConfig/bookinfo/productpage');
    expect(restored.out).toContain('restored revision 1 as revision 3');
  });
});

describe('readConfigFiles', () => {
  it('reads .yaml/.yml files under directories, recursively and sorted, named relative to the cwd', async () => {
    const files = await readConfigFiles(['config', 'mesh.yaml', 'config/reviews.yaml'], dir);
    expect(files.map((f) => f.name)).toEqual([join('config', 'nested', 'productpage.yml'), join('config', 'reviews.yaml'), 'mesh.yaml']);
    expect(files[2]?.text).toBe(POLICY);
  });
});

describe('trellis token', () => {
  it('creates a team token (printed alone on the last line) that can only write its namespace', async () => {
    const created = await cli(['token', 'create', '--role', 'team', '--namespace', 'payments', '--name', 'payments-ci']);
    expect(created.code).toBe(0);
    const token = created.out.split('\n').at(-1) ?? '';
    expect(token).toMatch(/^\S{30,}$/);
    const refused = await cli(['apply', '-f', join(dir, 'mesh.yaml')], token);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('team token "payments-ci" may only write ServiceConfig in namespaces [payments]; this request writes PlatformPolicy/mesh-defaults');
    const listed = await cli(['token', 'list']);
    expect(listed.out).toMatch(/payments-ci\s+team\s+payments/);
    expect(listed.out).not.toContain(token);
    const id = /tok-[0-9a-f]+/.exec(listed.out)?.[0] ?? '';
    expect((await cli(['token', 'revoke', id])).code).toBe(0);
    expect((await cli(['apply', '-f', join(dir, 'mesh.yaml')], token)).err).toMatch(/401/);
    expect((await cli(['token', 'create'])).code).toBe(2);
  });
});
