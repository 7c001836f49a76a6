/**
 * Trellis assembled by startTrellis (the composition root), driven through its real sockets: the
 * HTTP API, the CLI (in-process) and an Envoy-like ADS client.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { DEFAULT_OPTIONS, startTrellis, type RunningTrellis } from '../../src/main.ts';
import { connect, type AdsClient } from '../../src/xds/client/ads-client.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';

let dataDir: string;
let trellis: RunningTrellis;
const clients: AdsClient[] = [];

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    errors.push(String(chunk));
    return true;
  });
  try {
    const code = await runCli([...args, '--data', dataDir], (text) => lines.push(text));
    return { code, out: lines.join('\n'), err: errors.join('') };
  } finally {
    spy.mockRestore();
  }
}

function sidecarClient(service: string, namespace: string, address: string, port: number, mode: 'sotw' | 'delta' = 'sotw'): AdsClient {
  const client = connect(trellis.xdsAddress, {
    id: `sidecar~${address}~${service}.${namespace}`,
    cluster: service,
    metadata: { 'trellis.kind': 'sidecar', 'trellis.service': service, 'trellis.namespace': namespace, 'trellis.address': address, 'trellis.port': port },
    locality: { region: 'us-east', zone: 'a' },
    user_agent_name: 'envoy',
  }, mode);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'trellis-it-'));
  trellis = await startTrellis({
    ...DEFAULT_OPTIONS,
    xdsPort: 0,
    apiPort: 0,
    dataDir,
    examples: ['examples/bookinfo'],
    proxyGraceMs: 300,
  });
});

afterAll(async () => {
  for (const client of clients) client.close();
  await trellis?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('trellis assembled', () => {
  it('writes server.json and an owner-only admin token, and the CLI finds both', async () => {
    const server = JSON.parse(await readFile(join(dataDir, 'server.json'), 'utf8')) as Record<string, unknown>;
    expect(server['api']).toBe(trellis.apiUrl);
    expect(server['xds']).toBe(trellis.xdsAddress);
    expect((await stat(join(dataDir, 'admin.token'))).mode & 0o077).toBe(0);
    const { code, out } = await cli('services', '--namespace', 'bookinfo');
    expect(code).toBe(0);
    expect(out).toMatch(/reviews\s+bookinfo\s+http\s+3/);
  });

  it('registers through the CLI, and a bad registration names every bad field', async () => {
    const ok = await cli('register', '--service', 'ratings', '--namespace', 'bookinfo', '--address', '127.0.0.77', '--port', '9080', '--label', 'version=v9');
    expect(ok.code).toBe(0);
    const bad = await cli('register', '--service', 'Ratings!', '--address', '999.1.1.1', '--port', '0');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/service/);
    expect(bad.err).toMatch(/address/);
    expect(bad.err).toMatch(/port/);
    const usage = await cli('register', '--service', 'x');
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/--address is required/);
  });

  it('serves a sidecar, pushes a registry change to it, and reports it in status', async () => {
    const client = sidecarClient('productpage', 'bookinfo', '127.0.0.60', 9080);
    await client.waitFor((c) => c.resources(TypeUrl.ClusterLoadAssignment).has('outbound|reviews.bookinfo') && c.resources(TypeUrl.RouteConfiguration).has('outbound_http/reviews.bookinfo'), 5000);
    expect([...client.resources(TypeUrl.Listener).keys()].sort()).toEqual(['inbound|9080', 'outbound_http']);

    const endpointsOf = (c: AdsClient): string[] => {
      const cla = c.decoded(TypeUrl.ClusterLoadAssignment, 'outbound|details.bookinfo') as
        | { endpoints?: Array<{ lb_endpoints?: Array<{ endpoint?: { address?: { socket_address?: { address?: string } } } }> }> }
        | undefined;
      return (cla?.endpoints ?? []).flatMap((l) => (l.lb_endpoints ?? []).map((e) => e.endpoint?.address?.socket_address?.address ?? ''));
    };
    expect(endpointsOf(client)).toEqual(['127.0.0.11']);
    expect((await cli('register', '--service', 'details', '--namespace', 'bookinfo', '--address', '127.0.0.12', '--port', '9080')).code).toBe(0);
    await client.waitFor((c) => endpointsOf(c).includes('127.0.0.12'), 5000);

    // The proxy's own auto-registration may cause one more push: wait until everything is ACKed.
    await vi.waitFor(async () => {
      const status = await cli('status', '--json');
      const proxies = (JSON.parse(status.out) as { proxies: Array<Record<string, unknown>> }).proxies;
      const mine = proxies.find((p) => p['nodeId'] === 'sidecar~127.0.0.60~productpage.bookinfo');
      const types = mine?.['types'] as Record<string, { versionSent?: string; versionAcked?: string }>;
      for (const t of ['CDS', 'EDS', 'LDS', 'RDS']) {
        expect(types[t]?.versionSent).toBeTruthy();
        expect(types[t]?.versionAcked).toBe(types[t]?.versionSent);
      }
    }, { timeout: 5000, interval: 50 });
    const table = await cli('status');
    expect(table.out).toMatch(/sidecar~127\.0\.0\.60~productpage\.bookinfo\s+productpage\.bookinfo\s+sotw/);
  });

  it('registers a connecting proxy automatically and removes it after the grace period', async () => {
    const instances = async (): Promise<string[]> => {
      const response = await fetch(`${trellis.apiUrl}/api/v1/services/bookinfo/ratings`);
      const body = (await response.json()) as { instances: Array<{ id: string }> };
      return body.instances.map((i) => i.id);
    };
    const client = sidecarClient('ratings', 'bookinfo', '127.0.0.61', 9080);
    await client.waitFor((c) => c.acceptedVersion(TypeUrl.Listener) !== undefined, 5000);
    await vi.waitFor(async () => expect(await instances()).toContain('127.0.0.61:9080'), { timeout: 3000 });
    client.close();
    await vi.waitFor(async () => expect(await instances()).not.toContain('127.0.0.61:9080'), { timeout: 5000, interval: 100 });
  });

  it('serves delta streams: only the changed resource on a change, nothing unchanged on reconnect', async () => {
    const client = sidecarClient('details', 'bookinfo', '127.0.0.62', 9080, 'delta');
    await client.waitFor((c) => c.resources(TypeUrl.ClusterLoadAssignment).has('outbound|ratings.bookinfo') && c.resources(TypeUrl.RouteConfiguration).has('outbound_http/reviews.bookinfo'), 5000);
    // Let the proxy's own auto-registration settle before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = client.responses.length;
    expect((await cli('register', '--service', 'ratings', '--namespace', 'bookinfo', '--address', '127.0.0.78', '--port', '9080')).code).toBe(0);
    await client.waitFor((c) => c.responses.slice(before).some((r) => r.names.includes('outbound|ratings.bookinfo')), 5000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const changed = client.responses.slice(before);
    expect(changed.flatMap((r) => r.names)).toEqual(['outbound|ratings.bookinfo']);

    const beforeReconnect = client.responses.length;
    client.reconnect();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const resent = client.responses.slice(beforeReconnect).flatMap((r) => r.names);
    expect(resent).toEqual([]);
  });

  it('sends SDS secrets to a sidecar that proves its identity with a join token, and status lists the certificate', async () => {
    const adminToken = (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim();
    const created = await fetch(`${trellis.apiUrl}/api/v1/ca/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ identity: 'spiffe://trellis.local/ns/bookinfo/sa/details' }),
    });
    expect(created.status).toBe(201);
    const joinToken = ((await created.json()) as { token: string }).token;
    const client = connect(trellis.xdsAddress, {
      id: 'sidecar~proven~details.bookinfo',
      cluster: 'details',
      metadata: { 'trellis.kind': 'sidecar', 'trellis.service': 'details', 'trellis.namespace': 'bookinfo', 'trellis.token': joinToken },
      locality: { region: 'us-east', zone: 'a' },
      user_agent_name: 'envoy',
    }, 'sotw');
    clients.push(client);
    client.subscribe(TypeUrl.Secret, ['default', 'ROOTCA']);
    await client.waitFor((c) => c.resources(TypeUrl.Secret).has('default') && c.resources(TypeUrl.Secret).has('ROOTCA'), 10_000);
    const secret = client.decoded(TypeUrl.Secret, 'default') as { tls_certificate?: { certificate_chain?: { inline_string?: string } } };
    expect(secret.tls_certificate?.certificate_chain?.inline_string).toContain('BEGIN CERTIFICATE');

    // A sidecar with a forged token gets no secrets.
    const forged = connect(trellis.xdsAddress, {
      id: 'sidecar~forged~details.bookinfo',
      cluster: 'details',
      metadata: { 'trellis.kind': 'sidecar', 'trellis.service': 'details', 'trellis.namespace': 'bookinfo', 'trellis.token': `${joinToken}x` },
      locality: { region: 'us-east', zone: 'a' },
      user_agent_name: 'envoy',
    }, 'sotw');
    clients.push(forged);
    forged.subscribe(TypeUrl.Secret, ['default', 'ROOTCA']);
    await forged.waitFor((c) => c.acceptedVersion(TypeUrl.Secret) !== undefined, 5000);
    expect(forged.resources(TypeUrl.Secret).size).toBe(0);

    const status = await cli('status');
    expect(status.out).toMatch(/Certificates:[\s\S]*spiffe:\/\/trellis\.local\/ns\/bookinfo\/sa\/details/);
    expect(status.out).not.toContain('PRIVATE KEY');
  });

  it('refuses a busy port with a clear message and releases the data folder it opened', async () => {
    const other = await mkdtemp(join(tmpdir(), 'trellis-it-busy-'));
    try {
      const busy = trellis.xdsAddress;
      const failed = await runCli(['serve', '--data', other, '--xds', busy, '--api', '127.0.0.1:0'], () => undefined).catch((e: unknown) => e);
      expect(failed).toBe(1);
      // The failed start closed its LevelDB store: another start on the same folder works.
      const second = await startTrellis({ ...DEFAULT_OPTIONS, xdsPort: 0, apiPort: 0, dataDir: other });
      await second.close();
      await expect(startTrellis({ ...DEFAULT_OPTIONS, xdsPort: Number(busy.split(':')[1]), apiPort: 0, dataDir: other })).rejects.toThrow(/EADDRINUSE|in use/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('prints an Envoy bootstrap pointing at this server', async () => {
    const { code, out } = await cli('bootstrap', '--service', 'reviews', '--namespace', 'bookinfo');
    expect(code).toBe(0);
    expect(out).toContain(`port_value: ${trellis.xdsAddress.split(':')[1]}`);
    expect(out).toContain('trellis.service: reviews');
  });
});
