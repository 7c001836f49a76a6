/** `trellis serve --xds-tls` as startTrellis composes it: ADS behind a certificate from the built-in CA. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, startTrellis, type RunningTrellis } from '../../src/main.ts';

let dataDir: string;
let trellis: RunningTrellis;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'trellis-xds-tls-'));
  trellis = await startTrellis({ ...DEFAULT_OPTIONS, xdsPort: 0, apiPort: 0, dataDir, xdsTls: { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] } });
});

afterAll(async () => {
  await trellis?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function bundle(): Promise<string> {
  const answer = (await (await fetch(`${trellis.apiUrl}/api/v1/ca/bundle`)).json()) as { bundlePem: string };
  return answer.bundlePem;
}

function handshake(options: { ca?: string; servername?: string }): Promise<{ ok: boolean; error?: string; uri?: string }> {
  const port = Number(trellis.xdsAddress.split(':')[1]);
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ALPNProtocols: ['h2'], ...options }, () => {
      const peer = socket.getPeerCertificate();
      socket.end();
      resolve({ ok: socket.authorized, uri: String(peer.subjectaltname ?? '') });
    });
    socket.on('error', (error) => resolve({ ok: false, error: error.message }));
  });
}

describe('ADS over TLS', () => {
  it('presents a certificate that verifies against the CA bundle and names the xDS SPIFFE id and the host', async () => {
    const result = await handshake({ ca: await bundle(), servername: 'localhost' });
    expect(result.ok).toBe(true);
    expect(result.uri).toContain('URI:spiffe://trellis.local/trellis/xds');
    expect(result.uri).toContain('IP Address:127.0.0.1');
  });

  it('is refused by a client that trusts another CA', async () => {
    const result = await handshake({ servername: 'localhost' });
    expect(result.ok).toBe(false);
  });

  it('refuses plaintext gRPC', async () => {
    const client = new grpc.Client(trellis.xdsAddress, grpc.credentials.createInsecure());
    const ready = await new Promise<Error | undefined>((resolve) => client.waitForReady(Date.now() + 1500, (error) => resolve(error ?? undefined)));
    client.close();
    expect(ready).toBeInstanceOf(Error);
  });
});
