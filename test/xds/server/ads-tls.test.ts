/**
 * ADS over TLS with a serving certificate from Trellis' CA: a TLS client that trusts the CA
 * bundle gets its resources (by IP and by DNS name), a plaintext client and a client trusting
 * another CA are refused, the serving certificate verifies against the bundle with the SPIFFE id
 * and DNS/IP SANs, and a root rotation puts a new serving certificate on new connections without
 * a restart. `openssl s_client` agrees.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, type CertificateAuthority } from '../../../src/ca/certificate-authority.ts';
import { xdsServerSpiffeId, type ServingCertificate } from '../../../src/ca/serving-certificate.ts';
import { createMemoryStore } from '../../../src/store/memory-store.ts';
import { CLIENT_OPTIONS, openAdsStream, type RawAdsStream } from '../../../src/xds/client/raw-stream.ts';
import { createAdsServer, type AdsServer, type GrpcServerKind } from '../../../src/xds/server/ads-server.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { basicMesh, fakeSource, NODE, snapshotOf } from './helpers.ts';

const TD = 'tls.test';
const GRPC_UNAVAILABLE = 14;
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function newCa(trustDomain = TD, rotationGraceMs = 5_000): Promise<CertificateAuthority> {
  const ca = await createCertificateAuthority({ store: createMemoryStore(), trustDomain, rotationGraceMs });
  closers.push(() => ca.close());
  return ca;
}

async function tlsServer(ca: CertificateAuthority, grpcServer: GrpcServerKind): Promise<{ server: AdsServer; port: number; serving: ServingCertificate }> {
  const serving = await ca.servingCertificate({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const server = createAdsServer({ source: fakeSource(snapshotOf(basicMesh())).source, tls: serving, grpcServer });
  closers.push(() => server.close());
  return { server, port: await server.listen('127.0.0.1', 0), serving };
}

function tlsClient(address: string, bundlePem: string): grpc.Client {
  const client = new grpc.Client(address, grpc.credentials.createSsl(Buffer.from(bundlePem)), CLIENT_OPTIONS);
  closers.push(() => client.close());
  return client;
}

function clusters(stream: RawAdsStream): Promise<string[]> {
  stream.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [] });
  return stream.next(5000).then((response) => response.resources.map((r) => r.name).sort());
}

function open(address: string, client?: grpc.Client): RawAdsStream {
  const stream = openAdsStream(address, 'sotw', { deadlineMs: 8000, ...(client ? { client } : {}) });
  closers.push(() => stream.close());
  return stream;
}

/** The certificate a TLS server presents to a new connection (ALPN h2, as gRPC offers). */
function presentedCertificate(port: number, bundlePem: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: bundlePem, ALPNProtocols: ['h2'], servername: 'localhost' }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.destroy();
      resolve(new X509Certificate(raw));
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

const leafOf = (certificate: X509Certificate): X509Certificate => certificate;

describe.each(['h2', 'grpc-js'] as const)('ADS over TLS (%s gRPC server)', (kind) => {
  it('serves a TLS client that trusts the CA bundle, by IP and by DNS name', async () => {
    const ca = await newCa();
    const { port } = await tlsServer(ca, kind);
    for (const address of [`127.0.0.1:${port}`, `localhost:${port}`]) {
      const stream = open(address, tlsClient(address, ca.bundle().pem));
      expect(await clusters(stream)).toEqual(['a', 'b']);
    }
  });

  it('refuses a plaintext client and a client that trusts another CA', async () => {
    const ca = await newCa();
    const { port } = await tlsServer(ca, kind);
    const address = `127.0.0.1:${port}`;

    const plain = open(address);
    plain.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [] });
    const plainEnd = await plain.ended;
    expect(plainEnd.code).toBe(GRPC_UNAVAILABLE);
    expect(plain.received).toHaveLength(0);

    const other = await newCa('other.test');
    const stranger = open(address, tlsClient(address, other.bundle().pem));
    stranger.send({ node: NODE, type_url: TypeUrl.Cluster, resource_names: [] });
    const strangerEnd = await stranger.ended;
    expect(strangerEnd.code).toBe(GRPC_UNAVAILABLE);
    expect(stranger.received).toHaveLength(0);
  });

  it('the serving certificate chains to the bundle and names the SPIFFE id, localhost and 127.0.0.1', async () => {
    const ca = await newCa();
    const { port, serving } = await tlsServer(ca, kind);
    const leaf = await presentedCertificate(port, ca.bundle().pem);
    const root = new X509Certificate(ca.bundle().pem);
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(leaf.serialNumber).toBe(serving.serial());
    expect(leaf.subjectAltName).toContain(`URI:${xdsServerSpiffeId(TD)}`);
    expect(xdsServerSpiffeId(TD)).toBe('spiffe://tls.test/trellis/xds');
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.checkHost('example.com')).toBeUndefined();
    // The key stays private: the certificate served is the one held, and it is listed in the ledger.
    expect(ca.certificates().map((c) => c.spiffeId)).toContain(xdsServerSpiffeId(TD));
    // Another CA's root does not verify it.
    const other = new X509Certificate((await newCa('other.test')).bundle().pem);
    expect(leaf.verify(other.publicKey)).toBe(false);
  });

  it('openssl s_client verifies the chain against the bundle and the IP, and flags a wrong host name', async () => {
    const ca = await newCa();
    const { port } = await tlsServer(ca, kind);
    const dir = await mkdtemp(join(tmpdir(), 'ads-tls-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const bundleFile = join(dir, 'bundle.pem');
    await writeFile(bundleFile, ca.bundle().pem);
    const verify = (check: readonly string[]): Promise<string> =>
      new Promise((resolve) => {
        const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-alpn', 'h2', '-CAfile', bundleFile, ...check], { timeout: 10_000 },
          (_error, stdout) => resolve(/Verify return code: (\d+)/.exec(stdout)?.[1] ?? `no verdict: ${stdout.slice(-500)}`));
        child.stdin?.end();
      });
    expect(await verify(['-verify_ip', '127.0.0.1'])).toBe('0');
    expect(await verify(['-verify_hostname', 'localhost'])).toBe('0');
    expect(await verify(['-verify_hostname', 'evil.example'])).toBe('62'); // X509_V_ERR_HOSTNAME_MISMATCH
  });

  it('after a root rotation new connections get a certificate from the new root, without a restart', async () => {
    const ca = await newCa(TD, 50);
    const { port, serving } = await tlsServer(ca, kind);
    const address = `127.0.0.1:${port}`;
    const before = serving.serial();
    let changes = 0;
    serving.onChange(() => void (changes += 1));
    const openStream = open(address, tlsClient(address, ca.bundle().pem));
    expect(await clusters(openStream)).toEqual(['a', 'b']);

    const oldRoot = new X509Certificate(ca.bundle().pem);
    expect(leafOf(await presentedCertificate(port, ca.bundle().pem)).verify(oldRoot.publicKey)).toBe(true);
    await ca.rotateRoot();
    const bundle = ca.bundle().pem; // old and new roots
    const deadline = Date.now() + 5000;
    while (serving.serial() === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(serving.serial()).not.toBe(before);
    expect(changes).toBe(1);

    const leaf = await presentedCertificate(port, bundle);
    expect(leaf.serialNumber).toBe(serving.serial());
    // Signed by the new root, not the old one; the bundle right after the rotation carries both.
    expect(leaf.verify(oldRoot.publicKey)).toBe(false);
    const roots = (bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((pem) => new X509Certificate(pem));
    expect(roots).toHaveLength(2);
    const signer = roots.find((r) => leaf.checkIssued(r) && leaf.verify(r.publicKey));
    expect(signer?.serialNumber).toBeDefined();
    expect(signer?.serialNumber).not.toBe(oldRoot.serialNumber);
    // A new TLS client with the new bundle is served; the stream opened before still works.
    expect(await clusters(open(address, tlsClient(address, bundle)))).toEqual(['a', 'b']);
    openStream.send({ type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['a'] });
    expect((await openStream.next(5000)).resources.map((r) => r.name)).toEqual(['a']);
  });
});

describe('serving certificate SANs', () => {
  it('writes IPv6 SANs a TLS stack reads back (embedded IPv4 form included)', async () => {
    const ca = await newCa();
    const serving = await ca.servingCertificate({ ipAddresses: ['::1', '2001:db8::ff00:42:8329', '::ffff:192.0.2.1', 'fe80::'] });
    closers.push(() => serving.close());
    const leaf = new X509Certificate(serving.current().certificateChainPem);
    for (const ip of ['::1', '2001:db8:0:0:0:ff00:42:8329', '::ffff:c000:201', 'fe80::0']) expect(leaf.checkIP(ip)).toBeDefined();
    expect(leaf.checkIP('::2')).toBeUndefined();
  });
});
