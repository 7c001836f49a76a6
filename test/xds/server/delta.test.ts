import { afterEach, describe, expect, it } from 'vitest';
import { openAdsStream, type RawAdsStream } from '../../../src/xds/client/raw-stream.ts';
import type { ReceivedResponse } from '../../../src/xds/client/response-decode.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { basicMesh, cla, cluster, NODE, snapshotOf, startServer, type Running } from './helpers.ts';

const QUIET_MS = 200;
let running: Running | undefined;
const streams: RawAdsStream[] = [];

afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await running?.server.close();
  running = undefined;
});

async function start(parts = basicMesh()): Promise<Running> {
  running = await startServer(snapshotOf(parts));
  return running;
}

function open(r: Running): RawAdsStream {
  const s = openAdsStream(r.address, 'delta', { deadlineMs: 15_000 });
  streams.push(s);
  return s;
}

const ack = (s: RawAdsStream, res: ReceivedResponse): void => s.send({ type_url: res.typeUrl, response_nonce: res.nonce });
const names = (res: ReceivedResponse): string[] => res.resources.map((r) => r.name).sort();
const versionOf = (parts: ReturnType<typeof basicMesh>, type: TypeUrl, name: string): string =>
  snapshotOf(parts).resources[type].items.get(name)?.version ?? 'missing';

describe('delta ADS', () => {
  it('sends everything first, then only changes and removed names', async () => {
    const r = await start();
    const s = open(r);
    s.send({ node: NODE, type_url: TypeUrl.Cluster });
    const first = await s.next(3000);
    expect(names(first)).toEqual(['a', 'b']);
    expect(first.resources.find((x) => x.name === 'a')?.version).toBe(versionOf(basicMesh(), TypeUrl.Cluster, 'a'));
    ack(s, first);
    const changed = basicMesh({ clusters: [cluster('a', 2), cluster('c')] });
    r.source.set(snapshotOf(changed));
    const second = await s.next(3000);
    expect(names(second)).toEqual(['a', 'c']);
    expect(second.removed).toEqual(['b']);
    ack(s, second);
    r.source.set(snapshotOf(changed));
    expect(await s.quiet(QUIET_MS)).toEqual([]);
    expect(r.server.status()[0]?.types.CDS).toMatchObject({ subscribed: 'wildcard', versionAcked: second.versionInfo });
  });

  it('uses initial_resource_versions: sends changed, skips unchanged, removes deleted', async () => {
    const r = await start();
    const s = open(r);
    s.send({
      node: NODE,
      type_url: TypeUrl.Cluster,
      initial_resource_versions: { a: 'old-version', b: versionOf(basicMesh(), TypeUrl.Cluster, 'b'), gone: 'x' },
    });
    const res = await s.next(3000);
    expect(names(res)).toEqual(['a']);
    expect(res.removed).toEqual(['gone']);
  });

  it('honours subscribe/unsubscribe at any time and reports missing names', async () => {
    const r = await start();
    const s = open(r);
    s.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['a', 'nope'] });
    const first = await s.next(3000);
    expect(names(first)).toEqual(['a']);
    expect(first.removed).toEqual(['nope']);
    // Subscription change with a stale (empty) nonce while `first` is in flight: applied, then sent after the ACK.
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['b'], resource_names_unsubscribe: ['a'] });
    expect(await s.quiet(QUIET_MS)).toEqual([]);
    ack(s, first);
    const second = await s.next(3000);
    expect(names(second)).toEqual(['b']);
    expect(second.removed).toEqual([]);
    ack(s, second);
    expect(r.server.status()[0]?.types.EDS?.subscribed).toBe(2);
  });

  it('follows a re-sent cluster with its CLA even if the client has that version', async () => {
    const r = await start();
    const s = open(r);
    s.send({ node: NODE, type_url: TypeUrl.Cluster });
    ack(s, await s.next(3000));
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['a', 'b'] });
    ack(s, await s.next(3000));
    r.source.set(snapshotOf(basicMesh({ clusters: [cluster('a', 7), cluster('b')] })));
    const cds = await s.next(3000);
    expect(cds.typeUrl).toBe(TypeUrl.Cluster);
    expect(names(cds)).toEqual(['a']);
    const eds = await s.next(3000);
    expect(eds.typeUrl).toBe(TypeUrl.ClusterLoadAssignment);
    expect(names(eds)).toEqual(['a']);
  });

  it('records a NACK without resending, then delivers the next change', async () => {
    const r = await start();
    const s = open(r);
    s.send({ node: NODE, type_url: TypeUrl.ClusterLoadAssignment, resource_names_subscribe: ['a'] });
    ack(s, await s.next(3000));
    r.source.set(snapshotOf(basicMesh({ clas: [cla('a', [1]), cla('b')] })));
    const bad = await s.next(3000);
    s.send({ type_url: TypeUrl.ClusterLoadAssignment, response_nonce: bad.nonce, error_detail: { code: 3, message: 'no' } });
    expect(await s.quiet(QUIET_MS)).toEqual([]);
    expect(r.server.status()[0]?.types.EDS?.lastNack).toMatchObject({ message: 'no', version: bad.versionInfo });
    r.source.set(snapshotOf(basicMesh({ clas: [cla('a', [2]), cla('b')] })));
    const next = await s.next(3000);
    expect(names(next)).toEqual(['a']);
    expect(next.resources[0]?.version).toBe(versionOf(basicMesh({ clas: [cla('a', [2]), cla('b')] }), TypeUrl.ClusterLoadAssignment, 'a'));
  });
});
