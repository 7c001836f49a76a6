/**
 * Listening before ready, through startTrellis and real sockets: start-up is held in the registry
 * phase by an example file that is a FIFO (its read blocks until the test writes the registry).
 * Meanwhile an ADS stream is open and must receive nothing, and the API answers 503 "starting";
 * once the registry arrives, the stream gets the full snapshot and its proxy is registered.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, startTrellis, type ListeningAddresses, type RunningTrellis } from '../../src/main.ts';
import { connect, type AdsClient } from '../../src/xds/client/ads-client.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';

const REGISTRY = `services:
  - name: web
    namespace: shop
    protocol: http
    instances:
      - { address: 10.1.0.1, port: 8080, locality: { region: us-east, zone: a } }
  - name: cart
    namespace: shop
    protocol: http
    instances:
      - { address: 10.1.0.2, port: 8080, locality: { region: us-east, zone: a } }
      - { address: 10.1.0.3, port: 8080, locality: { region: us-east, zone: a } }
`;

let dataDir: string;
let fifo: string;
let trellis: RunningTrellis | undefined;
let client: AdsClient | undefined;
let fifoWritten = false;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'trellis-early-'));
  fifo = join(dataDir, 'registry-fifo.yaml');
  execFileSync('mkfifo', [fifo]);
});

afterAll(async () => {
  client?.close();
  // A failed test may leave start-up blocked on the FIFO: unblock it so the test process can end.
  if (!fifoWritten) await Promise.race([writeFile(fifo, 'services: []\n'), sleep(1000)]);
  await trellis?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function get(url: string): Promise<{ status: number; body: unknown; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: 5000 }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown, retryAfter: res.headers['retry-after'] }));
    });
    req.on('timeout', () => req.destroy(new Error('deadline exceeded')));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('listening before ready', () => {
  it('holds streams and answers 503 until the first full snapshot exists', async () => {
    let listening: ListeningAddresses | undefined;
    const started = startTrellis({ ...DEFAULT_OPTIONS, xdsPort: 0, apiPort: 0, dataDir, examples: [fifo] }, (addresses) => {
      listening = addresses;
    });
    started.catch(() => undefined);
    for (let i = 0; i < 100 && listening === undefined; i += 1) await sleep(20);
    if (listening === undefined) throw new Error('startTrellis never called onListening');

    const health = await get(`${listening.apiUrl}/api/v1/healthz`);
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ ok: false, status: 'starting' });
    expect(health.retryAfter).toBe('1');
    const services = await get(`${listening.apiUrl}/api/v1/services`);
    expect(services.status).toBe(503);
    expect(services.body).toMatchObject({ error: expect.stringMatching(/starting/) });

    client = connect(listening.xdsAddress, {
      id: 'sidecar~10.1.0.9~web.shop',
      cluster: 'web',
      metadata: { 'trellis.kind': 'sidecar', 'trellis.service': 'web', 'trellis.namespace': 'shop', 'trellis.address': '10.1.0.9', 'trellis.port': 8080 },
      locality: { region: 'us-east', zone: 'a' },
      user_agent_name: 'envoy',
    }, 'sotw', { deadlineMs: 10_000 });
    // The stream is open and has asked (wildcard CDS and LDS); nothing may come back yet.
    await sleep(400);
    expect(client.responses).toEqual([]);

    fifoWritten = true;
    await writeFile(fifo, REGISTRY);
    trellis = await started;
    expect(trellis.xdsAddress).toBe(listening.xdsAddress);
    expect(Object.keys(trellis.startupPhases)).toEqual(
      expect.arrayContaining(['store open', 'listening', 'registry loaded', 'CA loaded', 'mesh model built', 'ready']),
    );
    expect(trellis.startupPhases['listening']).toBeLessThanOrEqual(trellis.startupPhases['registry loaded'] ?? 0);

    const held = client;
    await held.waitFor((c) => c.resources(TypeUrl.ClusterLoadAssignment).size >= 2, 10_000);
    // The first CDS response already held every cluster: no empty or partial config was sent.
    const firstCds = held.responses.find((r) => r.typeUrl === TypeUrl.Cluster);
    expect(firstCds?.names.length).toBe(held.resources(TypeUrl.Cluster).size);
    expect([...held.resources(TypeUrl.Cluster).keys()].some((name) => name.includes('cart'))).toBe(true);
    const cart = [...held.resources(TypeUrl.ClusterLoadAssignment).keys()].find((name) => name.includes('cart'));
    const endpoints = cart === undefined ? undefined : held.decoded(TypeUrl.ClusterLoadAssignment, cart);
    expect(JSON.stringify(endpoints)).toContain('10.1.0.3');

    expect((await get(`${trellis.apiUrl}/api/v1/healthz`)).body).toEqual({ ok: true });
    // The stream's proxy registration waited for the registry, then ran.
    for (let i = 0; i < 50; i += 1) {
      const web = await get(`${trellis.apiUrl}/api/v1/services/shop/web`);
      const ids = (web.body as { instances?: Array<{ id: string; origin: string }> }).instances ?? [];
      if (ids.some((instance) => instance.id === '10.1.0.9:8080' && instance.origin === 'ads')) return;
      await sleep(20);
    }
    throw new Error('the proxy that connected during start-up was never registered');
  });
});
