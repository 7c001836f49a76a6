/** The CA routes over a real HTTP socket: join tokens (admin), issuance by token or certificate, bundle, listing. */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/server.ts';
import { hashToken } from '../../src/api/tokens.ts';
import { createCertificateAuthority, type CertificateAuthority } from '../../src/ca/certificate-authority.ts';
import { createCsr } from '../../src/ca/csr.ts';
import { generateKeys, spkiDer } from '../../src/ca/keys.ts';
import { createRegistry } from '../../src/registry/registry.ts';
import type { Registry } from '../../src/registry/types.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { openssl, recordingLogger } from '../ca/helpers.ts';

const ADMIN = 'ca-admin-token-0123456789';
const ID = 'spiffe://trellis.local/ns/shop/sa/web';
const log = recordingLogger();
let server: ApiServer;
let registry: Registry;
let ca: CertificateAuthority;
const answers: string[] = [];

beforeAll(async () => {
  const store = createMemoryStore();
  registry = await createRegistry({ store, log });
  ca = await createCertificateAuthority({ store, log });
  // Not on loopback rules: reads need a token, so open routes are really open.
  server = await startApiServer({ host: '127.0.0.1', port: 0, registry, adminTokenHash: hashToken(ADMIN), log, status: () => ({}), ca, openReads: false });
});
afterAll(async () => {
  await server.close();
  ca.close();
  await registry.close();
});

async function call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${server.port}/api/v1${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function joinToken(body: unknown = { identity: ID }): Promise<string> {
  const created = await call('POST', '/ca/tokens', body, ADMIN);
  expect(created.status).toBe(201);
  return String(created.json['token']);
}

describe('CA API', () => {
  it('join tokens need an admin; the token comes back once and is not listed', async () => {
    expect((await call('POST', '/ca/tokens', { identity: ID })).status).toBe(401);
    const created = await call('POST', '/ca/tokens', { namespace: 'shop', serviceAccount: 'web', ttl: '2h' }, ADMIN);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ spiffeId: ID, revoked: false, createdBy: 'admin' });
    expect(Date.parse(String(created.json['expiresAt'])) - Date.parse(String(created.json['createdAt']))).toBe(2 * 3600_000);
    const listed = await call('GET', '/ca/tokens', undefined, ADMIN);
    expect(JSON.stringify(listed.json)).not.toContain(String(created.json['token']).split('.')[1]);
    const bad = await call('POST', '/ca/tokens', { identity: 'spiffe://other.domain/ns/a/sa/b' }, ADMIN);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('is not this CA');
  });

  it('token without CSR: Trellis generates the key and returns it to that workload only', async () => {
    const token = await joinToken();
    const issued = await call('POST', '/ca/certificates', { token });
    expect(issued.status).toBe(201);
    expect(issued.json).toMatchObject({ spiffeId: ID });
    expect(String(issued.json['privateKeyPem'])).toContain('BEGIN PRIVATE KEY');
    expect(openssl((f) => ['verify', '-CAfile', f['b'] as string, f['c'] as string], { b: String(issued.json['bundlePem']), c: String(issued.json['certificateChainPem']) })).toContain('OK');
    const listed = await call('GET', '/ca/certificates', undefined, ADMIN);
    const entries = listed.json['certificates'] as Array<Record<string, unknown>>;
    expect(entries.some((e) => e['serial'] === issued.json['serial'] && e['spiffeId'] === ID && e['expiringSoon'] === false && typeof e['renewAt'] === 'string')).toBe(true);
    expect(JSON.stringify(listed.json)).not.toContain('PRIVATE KEY');
    expect(log.lines.join('\n')).not.toContain(String(issued.json['privateKeyPem']).split('\n')[1]);
  });

  it('token with CSR: no key in the answer; renewal with the current certificate and a CSR by the same key', async () => {
    const keys = await generateKeys();
    const token = await joinToken();
    const first = await call('POST', '/ca/certificates', { token, csr: createCsr(ID, keys.privateKey) });
    expect(first.status).toBe(201);
    expect(first.json['privateKeyPem']).toBeUndefined();
    const leaf = new X509Certificate(String(first.json['certificateChainPem']));
    expect(spkiDer(leaf.publicKey).equals(spkiDer(keys.publicKey))).toBe(true);
    const renewed = await call('POST', '/ca/certificates', { certificatePem: first.json['certificateChainPem'], csr: createCsr(ID, keys.privateKey) });
    expect(renewed.status).toBe(201);
    expect(renewed.json['serial']).not.toBe(first.json['serial']);
    // A CSR by another key with someone else's certificate is refused.
    const thief = await generateKeys();
    const stolen = await call('POST', '/ca/certificates', { certificatePem: first.json['certificateChainPem'], csr: createCsr(ID, thief.privateKey) });
    expect(stolen).toEqual({ status: 403, json: { error: 'the csr is not signed by the key of the presented certificate' } });
  });

  it('refusals say why: forged and revoked tokens, another identity, weak key, malformed body', async () => {
    const token = await joinToken();
    const keys = await generateKeys();
    expect(await call('POST', '/ca/certificates', { token: `${token.slice(0, -3)}xyz` })).toEqual({ status: 401, json: { error: 'the join token is not valid (unknown or forged)' } });
    const other = await call('POST', '/ca/certificates', { token, csr: createCsr('spiffe://trellis.local/ns/shop/sa/db', keys.privateKey) });
    expect(other.status).toBe(403);
    expect(other.json['error']).toBe(`csr requests identity spiffe://trellis.local/ns/shop/sa/db but the proof presented is for ${ID}`);
    const weak = await call('POST', '/ca/certificates', { token, csr: createCsr(ID, (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey) });
    expect(weak).toEqual({ status: 400, json: { error: 'csr key refused: RSA key of 1024 bits is too weak; at least 2048 bits are required' } });
    expect((await call('POST', '/ca/certificates', { csr: 'x' })).status).toBe(400);
    const tokens = (await call('GET', '/ca/tokens', undefined, ADMIN)).json['tokens'] as Array<Record<string, unknown>>;
    const id = String(tokens.at(-1)?.['id']);
    expect((await call('DELETE', `/ca/tokens/${id}`, undefined, ADMIN)).status).toBe(204);
    expect(await call('POST', '/ca/certificates', { token })).toEqual({ status: 401, json: { error: `join token ${id} was revoked` } });
    expect(log.lines.filter((l) => l.includes('certificate request refused')).length).toBeGreaterThanOrEqual(4);
    expect(log.lines.join('\n')).not.toContain(token.split('.')[1]);
  });

  it('serves the bundle to anyone and rotates the root for an admin', async () => {
    const bundle = await call('GET', '/ca/bundle');
    expect(bundle.status).toBe(200);
    expect(bundle.json['trustDomain']).toBe('trellis.local');
    expect(new X509Certificate(String(bundle.json['bundlePem'])).ca).toBe(true);
    expect((await call('POST', '/ca/rotate')).status).toBe(401);
    const rotated = await call('POST', '/ca/rotate', undefined, ADMIN);
    expect(rotated.status).toBe(202);
    expect(rotated.json['bundle']).toHaveLength(2);
    // No answer except the workload's own key answer carried a private key: the CA key never leaves.
    const withKeys = answers.filter((a) => a.includes('PRIVATE KEY'));
    expect(withKeys.every((a) => a.includes('"privateKeyPem"') && a.includes('"certificateChainPem"'))).toBe(true);
  });
});
