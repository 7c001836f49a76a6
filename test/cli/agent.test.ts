/** `trellis token create --identity` and `trellis agent`, in-process against a real API socket. */
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/server.ts';
import { hashToken } from '../../src/api/tokens.ts';
import { createCertificateAuthority, type CertificateAuthority } from '../../src/ca/certificate-authority.ts';
import { runAgent } from '../../src/cli/commands/agent.ts';
import { runCli } from '../../src/cli/main.ts';
import { createRegistry } from '../../src/registry/registry.ts';
import type { Registry } from '../../src/registry/types.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { openssl, recordingLogger } from '../ca/helpers.ts';

const ADMIN = 'agent-admin-token-0123456789';
const ID = 'spiffe://trellis.local/ns/shop/sa/web';
let server: ApiServer;
let registry: Registry;
let ca: CertificateAuthority;
let dir: string;
const log = recordingLogger();

beforeAll(async () => {
  const store = createMemoryStore();
  registry = await createRegistry({ store, log });
  ca = await createCertificateAuthority({ store, log });
  server = await startApiServer({ host: '127.0.0.1', port: 0, registry, adminTokenHash: hashToken(ADMIN), log, status: () => ({}), ca });
  dir = await mkdtemp(join(tmpdir(), 'trellis-agent-'));
});
afterAll(async () => {
  await server.close();
  ca.close();
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runCli([...args, '--server', `http://127.0.0.1:${server.port}`, '--data', join(dir, 'data')], (t) => lines.push(t));
  return { code, lines };
}

async function createToken(): Promise<string> {
  const created = await cli(['token', 'create', '--identity', ID, '--ttl', '1h', '--token', ADMIN]);
  expect(created.code).toBe(0);
  return created.lines.at(-1) ?? '';
}

describe('trellis token create --identity', () => {
  it('prints the join token alone on its last line', async () => {
    const token = await createToken();
    expect(token).toMatch(/^trellis-join_[0-9a-f]{12}\.[A-Za-z0-9_-]+$/);
    expect(ca.verifier.verifyJoinToken(token)).toBe(ID);
  });
});

describe('trellis agent', () => {
  it('--once writes cert, key (0600), bundle and a bootstrap grpc-js-xds accepts', async () => {
    const out = join(dir, 'once');
    const token = await createToken();
    const run = await cli(['agent', '--service', 'web', '--namespace', 'shop', '--token', token, '--out', out, '--once', '--xds', '127.0.0.1:18000']);
    expect(run.code).toBe(0);
    const [cert, key, bundle, bootstrapText] = await Promise.all(['cert.pem', 'key.pem', 'bundle.pem', 'bootstrap.json'].map((f) => readFile(join(out, f), 'utf8')));
    expect((await stat(join(out, 'key.pem'))).mode & 0o777).toBe(0o600);
    expect(openssl((f) => ['verify', '-CAfile', f['b'] as string, f['c'] as string], { b: bundle ?? '', c: cert ?? '' })).toContain('OK');
    expect(openssl((f) => ['x509', '-in', f['c'] as string, '-noout', '-ext', 'subjectAltName'], { c: cert ?? '' })).toContain(`URI:${ID}`);
    // The key matches the certificate (openssl compares the public halves).
    const pubFromKey = openssl((f) => ['pkey', '-in', f['k'] as string, '-pubout'], { k: key ?? '' });
    const pubFromCert = openssl((f) => ['x509', '-in', f['c'] as string, '-noout', '-pubkey'], { c: cert ?? '' });
    expect(pubFromKey).toBe(pubFromCert);
    const bootstrap = JSON.parse(bootstrapText ?? '{}') as Record<string, unknown>;
    const require = createRequire(import.meta.url);
    const { validateBootstrapConfig } = require('@grpc/grpc-js-xds/build/src/xds-bootstrap.js') as { validateBootstrapConfig: (o: unknown) => { certificateProviders: Record<string, { pluginName: string; config: Record<string, unknown> }>; xdsServers: Array<{ server_uri: string }> } };
    const info = validateBootstrapConfig(bootstrap);
    expect(info.xdsServers[0]?.server_uri).toBe('127.0.0.1:18000');
    expect(info.certificateProviders['default']?.pluginName).toBe('file_watcher');
    expect(bootstrap['certificate_providers']).toEqual({
      default: { plugin_name: 'file_watcher', config: { certificate_file: join(out, 'cert.pem'), private_key_file: join(out, 'key.pem'), ca_certificate_file: join(out, 'bundle.pem'), refresh_interval: '5s' } },
    });
    expect(run.lines.join('\n')).not.toContain('PRIVATE KEY');
    expect(run.lines.join('\n')).not.toContain(token);
  });

  it('--rsa makes an RSA 2048 key; a bad join token fails with the reason', async () => {
    const out = join(dir, 'rsa');
    const ok = await cli(['agent', '--service', 'web', '--namespace', 'shop', '--token', await createToken(), '--out', out, '--once', '--rsa', '--xds', '127.0.0.1:18000']);
    expect(ok.code).toBe(0);
    expect(new X509Certificate(await readFile(join(out, 'cert.pem'), 'utf8')).publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const bad = await cli(['agent', '--service', 'web', '--namespace', 'shop', '--token', 'trellis-join_000000000000.forgedforgedforgedforged', '--out', join(dir, 'bad'), '--once', '--xds', '127.0.0.1:18000']);
    expect(bad.code).toBe(1);
  });

  it('renews at half-life with its current certificate and stops when aborted', async () => {
    const out = join(dir, 'loop');
    const controller = new AbortController();
    const waits: number[] = [];
    const lines: string[] = [];
    await runAgent({
      context: { serverUrl: `http://127.0.0.1:${server.port}`, token: undefined, dataDir: dir, xdsAddress: '127.0.0.1:18000' },
      service: 'web', namespace: 'shop', serviceAccount: 'web', joinToken: await createToken(), outDir: out, xdsAddress: '127.0.0.1:18000',
      rsa: false, once: false, out: (l) => lines.push(l), signal: controller.signal,
      // Time is not really waited: the first wait "elapses", the second stops the agent.
      sleep: async (ms) => {
        waits.push(ms);
        if (waits.length === 2) controller.abort();
      },
    });
    expect(waits[0]).toBeGreaterThan(11.9 * 3600_000);
    expect(waits[0]).toBeLessThanOrEqual(12 * 3600_000 + 60_000);
    expect(lines.filter((l) => l.startsWith('renewed '))).toHaveLength(1);
    const serials = ca.certificates().filter((c) => c.spiffeId === ID).map((c) => c.serial);
    const current = new X509Certificate(await readFile(join(out, 'cert.pem'), 'utf8')).serialNumber;
    expect(serials).toContain(current);
    expect(lines[0]).not.toContain(current);
  });
});
