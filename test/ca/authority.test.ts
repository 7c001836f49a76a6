import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CA_SIGNER_KEY, openAuthority } from '../../src/ca/authority.ts';
import { loadCaFiles } from '../../src/ca/ca-files.ts';
import { generateKeys, spkiDer } from '../../src/ca/keys.ts';
import { createMemoryStore } from '../../src/store/memory-store.ts';
import { fakeClock, ID, openssl, recordingLogger } from './helpers.ts';

const DAY = 24 * 3600 * 1000;

async function setup() {
  const store = createMemoryStore();
  const log = recordingLogger();
  const clock = fakeClock(Date.now());
  const authority = await openAuthority({ store, trustDomain: 'trellis.local', clock, log });
  return { store, log, clock, authority };
}

describe('authority', () => {
  it('creates an ECDSA P-256 root (CA, keyCertSign, 10 years) on first start and reloads the same one', async () => {
    const { store, log, clock, authority } = await setup();
    const root = new X509Certificate(authority.bundle().pem);
    expect(root.ca).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(root.verify(root.publicKey)).toBe(true);
    const years = (Date.parse(root.validTo) - clock.now()) / (365 * DAY);
    expect(years).toBeGreaterThan(9.9);
    const text = openssl((f) => ['x509', '-in', f['root.pem'] as string, '-noout', '-text'], { 'root.pem': authority.bundle().pem });
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    // Stored under ca/, reopened without generating another.
    expect(await store.get(CA_SIGNER_KEY)).toContain('BEGIN PRIVATE KEY');
    const again = await openAuthority({ store, trustDomain: 'trellis.local', clock, log });
    expect(again.bundle().pem).toBe(authority.bundle().pem);
    expect(log.lines.join('\n')).not.toMatch(/PRIVATE KEY|MIG[0-9A-Za-z+/]{20}/);
  });

  it('signs leaves openssl verifies against the bundle, with the SPIFFE URI SAN and mTLS usages', async () => {
    const { authority, clock } = await setup();
    for (const algorithm of ['ecdsa-p256', 'rsa-2048'] as const) {
      const keys = await generateKeys(algorithm);
      const leaf = authority.signLeaf(ID, spkiDer(keys.publicKey), DAY);
      const files = { 'cert.pem': leaf.certificateChainPem, 'bundle.pem': authority.bundle().pem };
      expect(openssl((f) => ['verify', '-CAfile', f['bundle.pem'] as string, f['cert.pem'] as string], files)).toContain('cert.pem: OK');
      const text = openssl((f) => ['x509', '-in', f['cert.pem'] as string, '-noout', '-text'], files);
      expect(text).toMatch(/Subject Alternative Name: critical\s+URI:spiffe:\/\/trellis\.local\/ns\/shop\/sa\/web/);
      expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment/);
      expect(text).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/);
      expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
      expect(text).toContain('Authority Key Identifier');
      const x509 = new X509Certificate(leaf.certificateChainPem);
      expect(x509.serialNumber).toBe(leaf.serial);
      expect(leaf.serial).toMatch(/^[0-9A-F]{32}$/);
      // Valid from one minute before issuance for 24 h.
      expect(Date.parse(x509.validFrom)).toBe(Math.floor((clock.now() - 60_000) / 1000) * 1000);
      expect(Date.parse(x509.validTo)).toBe(Math.floor((clock.now() + DAY) / 1000) * 1000);
      expect(spkiDer(x509.publicKey).equals(spkiDer(keys.publicKey))).toBe(true);
    }
  });

  it('serials differ between leaves', async () => {
    const { authority } = await setup();
    const keys = await generateKeys();
    const serials = new Set(Array.from({ length: 50 }, () => authority.signLeaf(ID, spkiDer(keys.publicKey), DAY).serial));
    expect(serials.size).toBe(50);
  });

  it('accepts a presented certificate it issued and refuses expired or foreign ones', async () => {
    const { authority, clock } = await setup();
    const other = await setup();
    const keys = await generateKeys();
    const leaf = authority.signLeaf(ID, spkiDer(keys.publicKey), DAY);
    const ok = authority.checkPresented(leaf.certificateChainPem);
    expect(ok.ok && ok.spiffeId).toBe(ID);
    const foreign = other.authority.signLeaf(ID, spkiDer(keys.publicKey), DAY);
    expect(authority.checkPresented(foreign.certificateChainPem)).toEqual({ ok: false, reason: 'the presented certificate was not issued by this CA' });
    clock.advance(DAY + 1000);
    const expired = authority.checkPresented(leaf.certificateChainPem);
    expect(expired.ok).toBe(false);
    expect(!expired.ok && expired.reason).toMatch(/expired/);
  });
});

describe('user-supplied CA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-userca-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

  it('signs under an intermediate: chain = leaf + intermediate, bundle = root, openssl verifies', async () => {
    run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-days', '30', '-subj', '/CN=User Root',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    run('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=User Intermediate');
    const ext = join(dir, 'ext.cnf');
    execFileSync('sh', ['-c', `printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=critical,keyCertSign,cRLSign\\nsubjectKeyIdentifier=hash\\n' > ${ext}`]);
    run('x509', '-req', '-in', 'int.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'int.pem', '-days', '30', '-extfile', ext);
    const loaded = await loadCaFiles({ certificateFile: join(dir, 'int.pem'), keyFile: join(dir, 'int.key'), chainFile: join(dir, 'root.pem') });
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    const authority = await openAuthority({ store: createMemoryStore(), trustDomain: 'trellis.local', clock: fakeClock(Date.now()), log: recordingLogger(), userSigner: loaded.material });
    expect(authority.source).toBe('user');
    const keys = await generateKeys();
    const leaf = authority.signLeaf(ID, spkiDer(keys.publicKey), DAY);
    expect(leaf.certificateChainPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(new X509Certificate(authority.bundle().pem).subject).toBe('CN=User Root');
    const files = { 'chain.pem': leaf.certificateChainPem, 'bundle.pem': authority.bundle().pem };
    expect(openssl((f) => ['verify', '-CAfile', f['bundle.pem'] as string, '-untrusted', f['chain.pem'] as string, f['chain.pem'] as string], files)).toContain('OK');
    // P-384 intermediate signs with ecdsa-with-SHA384.
    expect(openssl((f) => ['x509', '-in', f['chain.pem'] as string, '-noout', '-text'], files)).toContain('ecdsa-with-SHA384');
  });

  it('reports files that do not fit together as diagnostics naming the file', async () => {
    run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'other.key', '-out', 'other.pem', '-days', '30', '-subj', '/CN=Other');
    const mismatch = await loadCaFiles({ certificateFile: join(dir, 'root.pem'), keyFile: join(dir, 'other.key') });
    expect(mismatch.ok === false && mismatch.diagnostics[0]).toMatchObject({ source: join(dir, 'other.key'), message: 'the private key does not belong to the CA certificate' });
    const noRoot = await loadCaFiles({ certificateFile: join(dir, 'int.pem'), keyFile: join(dir, 'int.key') });
    expect(noRoot.ok === false && noRoot.diagnostics[0]?.message).toMatch(/does not end in a self-signed root/);
    const missing = await loadCaFiles({ certificateFile: join(dir, 'nope.pem'), keyFile: join(dir, 'int.key') });
    expect(missing.ok).toBe(false);
    // Sanity: the key file really is a key, so the refusal above is about the pairing.
    expect(createPrivateKey(readFileSync(join(dir, 'other.key'), 'utf8')).type).toBe('private');
  });
});
