import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../../src/xds/proto/codec.ts';
import { decodeDeltaRequest, decodeSotwRequest, type DeltaRequest, type SotwRequest } from '../../../src/xds/server/requests.ts';

const SOTW = 'envoy.service.discovery.v3.DiscoveryRequest';
const DELTA = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

// google.protobuf.Struct in the bundle's camelCase spelling.
const NODE = {
  id: 'sidecar-1~svc-a.ns',
  cluster: 'svc-a',
  metadata: {
    fields: {
      'trellis.kind': { stringValue: 'sidecar' },
      replicas: { numberValue: 3 },
      nested: { structValue: { fields: { on: { boolValue: true } } } },
      list: { listValue: { values: [{ stringValue: 'x' }, { nullValue: 'NULL_VALUE' }] } },
    },
  },
  locality: { region: 'us-east', zone: 'a' },
  user_agent_name: 'envoy',
  user_agent_version: '1.30',
};

function sotw(value: object): SotwRequest {
  const decoded = decodeSotwRequest(encodeMessage(SOTW, value));
  if (decoded.kind !== 'sotw') throw new Error(`expected a sotw request, got ${JSON.stringify(decoded)}`);
  return decoded;
}

function delta(value: object): DeltaRequest {
  const decoded = decodeDeltaRequest(encodeMessage(DELTA, value));
  if (decoded.kind !== 'delta') throw new Error(`expected a delta request, got ${JSON.stringify(decoded)}`);
  return decoded;
}

describe('decodeSotwRequest (field scan)', () => {
  it('reads every field of a first request, node included', () => {
    const request = sotw({ version_info: 'v1', node: NODE, resource_names: ['b', 'a', 'b'], type_url: CDS, response_nonce: 'n7' });
    expect(request).toMatchObject({ kind: 'sotw', versionInfo: 'v1', resourceNames: ['b', 'a', 'b'], typeUrl: CDS, responseNonce: 'n7', errorDetail: undefined });
    expect(request.node?.info).toEqual({
      id: 'sidecar-1~svc-a.ns',
      cluster: 'svc-a',
      metadata: { 'trellis.kind': 'sidecar', replicas: 3, nested: { on: true }, list: ['x', null] },
      locality: { region: 'us-east', zone: 'a' },
      user_agent_name: 'envoy',
      user_agent_version: '1.30',
    });
    expect(request.node?.raw['id']).toBe('sidecar-1~svc-a.ns');
  });

  it('reads an ACK without node, and a NACK with its status', () => {
    const ack = sotw({ version_info: 'v2', type_url: CDS, response_nonce: '3' });
    expect(ack.node).toBeUndefined();
    expect(ack.resourceNames).toEqual([]);
    expect(ack.errorDetail).toBeUndefined();
    const nack = sotw({ type_url: CDS, response_nonce: '4', error_detail: { code: 13, message: 'bad cluster' } });
    expect(nack.errorDetail).toEqual({ code: 13, message: 'bad cluster' });
    // An empty Status is still a NACK (code 0, no message), as protobufjs objects gave before.
    expect(sotw({ type_url: CDS, response_nonce: '5', error_detail: {} }).errorDetail).toEqual({ code: 0, message: '' });
    expect(sotw({ type_url: CDS, error_detail: { code: -2, message: 'm' } }).errorDetail).toEqual({ code: -2, message: 'm' });
  });

  it('ignores fields it does not use (resource_locators)', () => {
    const request = sotw({ type_url: CDS, resource_locators: [{ name: 'x' }], resource_names: ['a'] });
    expect(request.resourceNames).toEqual(['a']);
  });

  it('returns malformed values for bytes that are not a request', () => {
    const good = encodeMessage(SOTW, { type_url: CDS, response_nonce: 'abc' });
    expect(decodeSotwRequest(good.subarray(0, good.length - 1)).kind).toBe('malformed');
    // type_url (field 4) sent as a varint.
    const wrongWire = decodeSotwRequest(Uint8Array.from([0x20, 0x01]));
    expect(wrongWire.kind).toBe('malformed');
    if (wrongWire.kind === 'malformed') expect(wrongWire.message).toContain('type_url');
  });
});

describe('decodeDeltaRequest (field scan)', () => {
  it('reads subscriptions, initial versions, node and nonce', () => {
    const request = delta({
      node: NODE,
      type_url: CDS,
      resource_names_subscribe: ['*', 'a'],
      resource_names_unsubscribe: ['b'],
      initial_resource_versions: { a: 'h1', c: 'h2' },
      response_nonce: '9',
    });
    expect(request).toMatchObject({ kind: 'delta', typeUrl: CDS, subscribe: ['*', 'a'], unsubscribe: ['b'], responseNonce: '9', errorDetail: undefined });
    expect([...request.initialVersions].sort()).toEqual([
      ['a', 'h1'],
      ['c', 'h2'],
    ]);
    expect(request.node?.info.metadata['replicas']).toBe(3);
  });

  it('reads a NACK and an ACK without node', () => {
    const nack = delta({ type_url: CDS, response_nonce: '2', error_detail: { code: 3, message: 'no' } });
    expect(nack.node).toBeUndefined();
    expect(nack.errorDetail).toEqual({ code: 3, message: 'no' });
    expect(nack.initialVersions.size).toBe(0);
  });

  it('returns malformed values for bytes that are not a request', () => {
    expect(decodeDeltaRequest(Uint8Array.from([0x12, 0x05, 0x61])).kind).toBe('malformed');
    expect(decodeDeltaRequest(Uint8Array.from([0x0a, 0x02, 0xff, 0xff])).kind).toBe('malformed');
  });
});

describe('resource names on the wire (namesWire)', () => {
  const names = ['outbound|8080||a.ns', 'outbound|8080||b.ns', 'ünïcode'];

  it('spans exactly the resource_names fields, equal bytes for equal lists, names decoded on first read', () => {
    const first = sotw({ version_info: '1', resource_names: names, type_url: CDS, response_nonce: '1' });
    const again = sotw({ version_info: '2', resource_names: names, type_url: CDS, response_nonce: '2' });
    const other = sotw({ version_info: '2', resource_names: [...names.slice(0, 2), 'c'], type_url: CDS, response_nonce: '3' });
    expect(first.namesWire).toBeDefined();
    expect(Buffer.compare(first.namesWire ?? Buffer.alloc(0), again.namesWire ?? Buffer.alloc(1))).toBe(0);
    expect(Buffer.compare(first.namesWire ?? Buffer.alloc(0), other.namesWire ?? Buffer.alloc(0))).not.toBe(0);
    // The span re-encodes exactly the names.
    expect(Buffer.from(first.namesWire ?? []).equals(Buffer.from(encodeMessage(SOTW, { resource_names: names })))).toBe(true);
    expect(first.resourceNames).toEqual(names);
    expect(other.resourceNames).toEqual([...names.slice(0, 2), 'c']);
    expect(sotw({ type_url: CDS }).namesWire?.length).toBe(0);
  });

  it('is undefined when another field interrupts the names (they are then compared decoded)', () => {
    const head = encodeMessage(SOTW, { resource_names: ['a'] });
    const middle = encodeMessage(SOTW, { type_url: CDS });
    const tail = encodeMessage(SOTW, { resource_names: ['b'] });
    const decoded = decodeSotwRequest(Buffer.concat([head, middle, tail]));
    if (decoded.kind !== 'sotw') throw new Error('expected a sotw request');
    expect(decoded.namesWire).toBeUndefined();
    expect(decoded.resourceNames).toEqual(['a', 'b']);
    expect(decoded.typeUrl).toBe(CDS);
  });

  it('still refuses a resource_names field that is not length-delimited', () => {
    // Field 3 as a varint.
    const decoded = decodeSotwRequest(Buffer.from([0x18, 0x01]));
    expect(decoded.kind).toBe('malformed');
  });
});
