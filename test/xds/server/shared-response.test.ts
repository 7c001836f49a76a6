import { describe, expect, it } from 'vitest';
import { decodeSotwResponse } from '../../../src/xds/client/response-decode.ts';
import { buildSnapshot, resourceSet } from '../../../src/xds/cache/snapshot.ts';
import { encodeControlPlane } from '../../../src/xds/server/response-wire.ts';
import type { SotwRequest } from '../../../src/xds/server/requests.ts';
import { createSotwEngine } from '../../../src/xds/server/sotw-engine.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { basicMesh, cla, cluster, snapshotOf } from './helpers.ts';

/** A SotW engine writing into an array, as a stream with an always-ready transport. */
function engine(controlPlane?: Uint8Array) {
  const sent: Uint8Array[] = [];
  const e = createSotwEngine({ outbox: { ready: () => true, send: (bytes) => void sent.push(bytes) }, ...(controlPlane ? { controlPlane } : {}) });
  return { e, sent };
}

function request(typeUrl: string, names: readonly string[], nonce = '', versionInfo = ''): SotwRequest {
  return { kind: 'sotw', versionInfo, node: undefined, resourceNames: names, typeUrl, responseNonce: nonce, errorDetail: undefined };
}

describe('SotW responses shared between streams', () => {
  it('writes the same buffer and nonce to every stream sent the same content', () => {
    const snapshot = snapshotOf(basicMesh());
    const a = engine();
    const b = engine();
    for (const { e } of [a, b]) {
      e.onSnapshot(snapshot);
      e.onRequest(request(TypeUrl.Cluster, []));
      e.pump();
    }
    expect(a.sent).toHaveLength(1);
    expect(b.sent).toHaveLength(1);
    // One buffer for both streams: nothing copied per stream.
    expect(b.sent[0]).toBe(a.sent[0]);
    const decoded = decodeSotwResponse(a.sent[0] ?? new Uint8Array());
    expect(decoded.typeUrl).toBe(TypeUrl.Cluster);
    expect(decoded.resources.map((r) => r.name)).toEqual(['a', 'b']);
    expect(decoded.nonce).not.toBe('');
    expect(a.e.types().CDS?.nonceSent).toBe(decoded.nonce);
    // The shared nonce is a real nonce: ACKing it clears the in-flight state.
    a.e.onRequest(request(TypeUrl.Cluster, [], decoded.nonce, decoded.versionInfo));
    expect(a.e.types().CDS).toMatchObject({ awaitingAck: false, versionAcked: decoded.versionInfo });
  });

  it('gives different content different nonces, and carries the control plane', () => {
    const controlPlane = encodeControlPlane('trellis-test');
    const a = engine(controlPlane);
    a.e.onSnapshot(snapshotOf(basicMesh()));
    a.e.onRequest(request(TypeUrl.Cluster, []));
    a.e.pump();
    const first = decodeSotwResponse(a.sent[0] ?? new Uint8Array());
    expect(first.controlPlane).toBe('trellis-test');
    a.e.onRequest(request(TypeUrl.Cluster, [], first.nonce, first.versionInfo));
    a.e.onSnapshot(snapshotOf(basicMesh({ clusters: [cluster('a', 2), cluster('b')] })));
    a.e.pump();
    expect(a.sent).toHaveLength(2);
    const second = decodeSotwResponse(a.sent[1] ?? new Uint8Array());
    expect(second.nonce).not.toBe(first.nonce);
    expect(second.versionInfo).not.toBe(first.versionInfo);
  });

  it('uses a fresh nonce when a stream is sent the same content again (forced EDS resend)', () => {
    const a = engine();
    const first = snapshotOf(basicMesh());
    a.e.onSnapshot(first);
    a.e.onRequest(request(TypeUrl.Cluster, []));
    a.e.pump();
    const cds = decodeSotwResponse(a.sent[0] ?? new Uint8Array());
    a.e.onRequest(request(TypeUrl.Cluster, [], cds.nonce, cds.versionInfo));
    a.e.onRequest(request(TypeUrl.ClusterLoadAssignment, ['a', 'b']));
    a.e.pump();
    const eds = decodeSotwResponse(a.sent[1] ?? new Uint8Array());
    expect(eds.typeUrl).toBe(TypeUrl.ClusterLoadAssignment);
    a.e.onRequest(request(TypeUrl.ClusterLoadAssignment, ['a', 'b'], eds.nonce, eds.versionInfo));
    // Cluster `a` changes, its endpoints do not (the pipeline keeps the same set object):
    // Envoy needs EDS again to finish warming, and this stream is sent identical content twice.
    a.e.onSnapshot(buildSnapshot({ ...first.resources, [TypeUrl.Cluster]: resourceSet([cluster('a', 2), cluster('b')]) }));
    a.e.pump();
    const cds2 = decodeSotwResponse(a.sent[2] ?? new Uint8Array());
    a.e.onRequest(request(TypeUrl.Cluster, [], cds2.nonce, cds2.versionInfo));
    a.e.pump();
    expect(a.sent).toHaveLength(4);
    const eds2 = decodeSotwResponse(a.sent[3] ?? new Uint8Array());
    expect(eds2.typeUrl).toBe(TypeUrl.ClusterLoadAssignment);
    expect(eds2.versionInfo).toBe(eds.versionInfo);
    expect(eds2.nonce).not.toBe(eds.nonce);
    expect(a.e.types().EDS).toMatchObject({ awaitingAck: true, nonceSent: eds2.nonce });
  });
});

describe('SotW subscription updates on the ACK fast path', () => {
  it('treats a repeated or reordered name list as unchanged, and a new list as a change (full-state CDS)', () => {
    const a = engine();
    a.e.onSnapshot(snapshotOf(basicMesh()));
    a.e.onRequest(request(TypeUrl.Cluster, ['b', 'a']));
    a.e.pump();
    const first = decodeSotwResponse(a.sent[0] ?? new Uint8Array());
    expect(first.resources.map((r) => r.name)).toEqual(['a', 'b']);
    // ACK with the same list, then the same names reordered: nothing new to send.
    a.e.onRequest(request(TypeUrl.Cluster, ['b', 'a'], first.nonce, first.versionInfo));
    a.e.pump();
    a.e.onRequest(request(TypeUrl.Cluster, ['a', 'b', 'a'], first.nonce, first.versionInfo));
    a.e.pump();
    expect(a.sent).toHaveLength(1);
    expect(a.e.types().CDS).toMatchObject({ subscribed: 2, awaitingAck: false });
    // A narrower list is a change: the response holds only what is asked for.
    a.e.onRequest(request(TypeUrl.Cluster, ['b'], first.nonce, first.versionInfo));
    a.e.pump();
    expect(a.sent).toHaveLength(2);
    const second = decodeSotwResponse(a.sent[1] ?? new Uint8Array());
    expect(second.resources.map((r) => r.name)).toEqual(['b']);
    // Back to the first list: both again.
    a.e.onRequest(request(TypeUrl.Cluster, ['b', 'a'], second.nonce, second.versionInfo));
    a.e.pump();
    const third = decodeSotwResponse(a.sent[2] ?? new Uint8Array());
    expect(third.resources.map((r) => r.name)).toEqual(['a', 'b']);
    expect(third.versionInfo).toBe(first.versionInfo);
  });

  it('sends EDS and RDS as partial state: only what changed since the acknowledged copy', () => {
    const a = engine();
    a.e.onSnapshot(snapshotOf(basicMesh()));
    a.e.onRequest(request(TypeUrl.ClusterLoadAssignment, ['a', 'b']));
    a.e.pump();
    const first = decodeSotwResponse(a.sent[0] ?? new Uint8Array());
    expect(first.resources.map((r) => r.name)).toEqual(['a', 'b']);
    a.e.onRequest(request(TypeUrl.ClusterLoadAssignment, ['a', 'b'], first.nonce, first.versionInfo));
    // One endpoint of `b` changes: the response carries b alone, under the new set's version.
    const changed = snapshotOf(basicMesh({ clas: [cla('a'), cla('b', [7])] }));
    a.e.onSnapshot(changed);
    a.e.pump();
    const second = decodeSotwResponse(a.sent[1] ?? new Uint8Array());
    expect(second.resources.map((r) => r.name)).toEqual(['b']);
    expect(second.versionInfo).toBe(changed.resources[TypeUrl.ClusterLoadAssignment].version);
    expect(a.e.types().EDS).toMatchObject({ versionSent: second.versionInfo, awaitingAck: true });
    // A NACK keeps the client on `first`: the next change is computed against that, so it
    // carries b again (the client never accepted b's new copy) and a's change.
    a.e.onRequest({ ...request(TypeUrl.ClusterLoadAssignment, ['a', 'b'], second.nonce, first.versionInfo), errorDetail: { code: 13, message: 'no' } });
    a.e.onSnapshot(snapshotOf(basicMesh({ clas: [cla('a', [9]), cla('b', [7])] })));
    a.e.pump();
    const third = decodeSotwResponse(a.sent[2] ?? new Uint8Array());
    expect(third.resources.map((r) => r.name)).toEqual(['a', 'b']);
    a.e.onRequest(request(TypeUrl.ClusterLoadAssignment, ['a', 'b'], third.nonce, third.versionInfo));
    // Narrowing the subscription needs no response: the client holds b already.
    a.e.onRequest(request(TypeUrl.ClusterLoadAssignment, ['b'], third.nonce, third.versionInfo));
    a.e.pump();
    expect(a.sent).toHaveLength(3);
    expect(a.e.types().EDS).toMatchObject({ subscribed: 1, awaitingAck: false });
    // CSDS still sees the whole held state, not the last partial response.
    expect(a.e.held().filter((h) => h.typeUrl === TypeUrl.ClusterLoadAssignment).map((h) => h.name)).toEqual(['b']);
  });

  it('shares one partial response between streams that acknowledged the same content', () => {
    const streams = [engine(), engine()];
    const start = snapshotOf(basicMesh());
    for (const { e, sent } of streams) {
      e.onSnapshot(start);
      e.onRequest(request(TypeUrl.ClusterLoadAssignment, ['a', 'b']));
      e.pump();
      const first = decodeSotwResponse(sent[0] ?? new Uint8Array());
      e.onRequest(request(TypeUrl.ClusterLoadAssignment, ['a', 'b'], first.nonce, first.versionInfo));
    }
    const changed = snapshotOf(basicMesh({ clas: [cla('a', [5]), cla('b')] }));
    for (const { e } of streams) {
      e.onSnapshot(changed);
      e.pump();
    }
    expect(streams[1]?.sent[1]).toBe(streams[0]?.sent[1]);
    expect(decodeSotwResponse(streams[0]?.sent[1] ?? new Uint8Array()).resources.map((r) => r.name)).toEqual(['a']);
  });

  it('keeps CDS full state: a change to one cluster sends every cluster', () => {
    const a = engine();
    a.e.onSnapshot(snapshotOf(basicMesh()));
    a.e.onRequest(request(TypeUrl.Cluster, []));
    a.e.pump();
    const first = decodeSotwResponse(a.sent[0] ?? new Uint8Array());
    a.e.onRequest(request(TypeUrl.Cluster, [], first.nonce, first.versionInfo));
    a.e.onSnapshot(snapshotOf(basicMesh({ clusters: [cluster('a', 3), cluster('b')] })));
    a.e.pump();
    expect(decodeSotwResponse(a.sent[1] ?? new Uint8Array()).resources.map((r) => r.name)).toEqual(['a', 'b']);
  });
});
