/** `trellis explain --from` and `trellis get ap` in-process against a real API socket. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/server.ts';
import { openTokenStore } from '../../src/api/token-store.ts';
import { hashToken } from '../../src/api/tokens.ts';
import { runCli } from '../../src/cli/main.ts';
import { createConfigService } from '../../src/config/service/config-service.ts';
import { openConfigStore } from '../../src/config/store/config-store.ts';
import { createRegistry } from '../../src/registry/registry.ts';
import type { Registry } from '../../src/registry/types.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { recordingLogger } from '../registry/helpers.ts';

const ADMIN = 'cli-authz-admin-token-0123456789';
const POLICIES = `apiVersion: trellis.dev/v1alpha1
kind: AuthorizationPolicy
metadata: {name: reviews-callers, namespace: bookinfo}
spec:
  target: {service: reviews}
  action: ALLOW
  rules:
    - from: [{service: productpage.bookinfo}]
---
apiVersion: trellis.dev/v1alpha1
kind: AuthorizationPolicy
metadata: {name: no-admin}
spec:
  scope: {namespaces: [bookinfo]}
  action: DENY
  rules: [{to: [{paths: [/admin/*]}]}]
`;
let server: ApiServer;
let registry: Registry;
let dir: string;

beforeAll(async () => {
  const kv = createMemoryStore();
  const log = recordingLogger();
  registry = await createRegistry({ store: kv, log });
  for (const service of ['reviews', 'productpage', 'ratings']) await registry.register({ service, namespace: 'bookinfo', address: '10.1.0.1', port: 9080 }, 'api');
  const config = createConfigService({ store: await openConfigStore(kv), knownServices: () => registry.snapshot().services.keys() });
  server = await startApiServer({ host: '127.0.0.1', port: 0, registry, adminTokenHash: hashToken(ADMIN), log, status: () => ({}), tokens: await openTokenStore(kv), config });
  dir = await mkdtemp(join(tmpdir(), 'trellis-authz-cli-'));
  await writeFile(join(dir, 'authz.yaml'), POLICIES);
});
afterAll(async () => {
  await server.close();
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    errors.push(String(chunk));
    return true;
  });
  try {
    const code = await runCli([...args, '--server', `http://127.0.0.1:${server.port}`, '--token', ADMIN, '--data', dir], (text) => lines.push(text));
    return { code, out: lines.join('\n'), err: errors.join('') };
  } finally {
    spy.mockRestore();
  }
}

describe('trellis explain --from / get ap', () => {
  it('applies the policies and lists them with get ap', async () => {
    expect((await cli(['apply', '-f', join(dir, 'authz.yaml')])).code).toBe(0);
    const listed = await cli(['get', 'ap']);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/AuthorizationPolicy\s+bookinfo\s+reviews-callers/);
    expect(listed.out).toMatch(/AuthorizationPolicy\s+-\s+no-admin/);
  });

  it('explain --from prints the decision and the policy, file:line and rule that decided it', async () => {
    const allowed = await cli(['explain', 'reviews.bookinfo', '--from', 'productpage.bookinfo', '--path', '/reviews/1', '--method', 'GET', '--port', '9080']);
    expect(allowed.code).toBe(0);
    const lines = allowed.out.split('\n');
    expect(lines[1]).toBe('from productpage.bookinfo (spiffe://trellis.local/ns/bookinfo/sa/productpage)');
    expect(lines[2]).toMatch(/^ALLOW: allowed by team ALLOW rule #0 of AuthorizationPolicy\/bookinfo\/reviews-callers \(.*authz\.yaml:8\)$/);
    const denied = await cli(['explain', 'reviews.bookinfo', '--from', 'productpage.bookinfo', '--path', '/admin/x']);
    expect(denied.out).toMatch(/DENY: denied by platform DENY rule #0 of AuthorizationPolicy\/no-admin \(.*authz\.yaml:16\)/);
    const stranger = await cli(['explain', 'reviews.bookinfo', '--from', 'ratings.bookinfo']);
    expect(stranger.out).toMatch(/DENY: no ALLOW rule matches/);
    // Without --path, the deny rule on /admin/* could apply: explain says so.
    expect(stranger.out).toMatch(/note: platform DENY rule #0 of AuthorizationPolicy\/no-admin .* applies to this caller only for paths \[\/admin\/\*\]/);
    const json = JSON.parse((await cli(['explain', 'reviews.bookinfo', '--from', 'productpage.bookinfo', '--json'])).out) as { decision: Record<string, unknown> };
    expect(json.decision).toMatchObject({ decision: 'ALLOW', matched: { index: 0 } });
    expect(json.decision['text']).toBeUndefined();
  });

  it('plain explain lists the authorization rules guarding the service', async () => {
    const plain = await cli(['explain', 'reviews.bookinfo']);
    expect(plain.code).toBe(0);
    expect(plain.out).toContain('# Authorization');
    expect(plain.out).toMatch(/DENY\s+platform\s+AuthorizationPolicy\/no-admin/);
    expect(plain.out).toMatch(/ALLOW\s+team\s+AuthorizationPolicy\/bookinfo\/reviews-callers .*service productpage\.bookinfo\s+any request/);
    expect(plain.out).toContain('callers no ALLOW rule matches are denied');
  });

  it('usage errors: --path without --from, a non-numeric --port', async () => {
    expect((await cli(['explain', 'reviews.bookinfo', '--path', '/x'])).code).toBe(2);
    expect((await cli(['explain', 'reviews.bookinfo', '--from', 'productpage.bookinfo', '--port', 'http'])).code).toBe(2);
  });
});
