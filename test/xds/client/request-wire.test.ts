import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeDeltaRequest, encodeNames, encodeNode, encodeSotwRequest } from '../../../src/xds/client/request-wire.ts';
import { decodeMessage, encodeMessage } from '../../../src/xds/proto/codec.ts';
import { toStruct } from '../../../src/xds/proto/struct.ts';
import { decodeDeltaRequest, decodeSotwRequest } from '../../../src/xds/server/requests.ts';

const text = fc.string({ unit: 'binary', maxLength: 40 });
const names = fc.array(text, { maxLength: 12 });
const errorDetail = fc.option(fc.record({ code: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), message: text }), { nil: undefined });
const node = fc.option(
  fc.record({ id: text, cluster: text }).map((n) => encodeMessage('envoy.config.core.v3.Node', n)),
  { nil: undefined },
);

describe('request encoders', () => {
  it('DiscoveryRequest: protobufjs decodes every field back, and the server decoder agrees', () => {
    fc.assert(
      fc.property(text, text, names, text, errorDetail, node, (typeUrl, versionInfo, resourceNames, responseNonce, detail, nodeBytes) => {
        const bytes = encodeSotwRequest({ typeUrl, versionInfo, resourceNames, responseNonce, errorDetail: detail, node: nodeBytes });
        const decoded = decodeMessage('envoy.service.discovery.v3.DiscoveryRequest', bytes);
        expect(decoded['type_url'] ?? '').toBe(typeUrl);
        expect(decoded['version_info'] ?? '').toBe(versionInfo);
        expect(decoded['resource_names'] ?? []).toEqual(resourceNames);
        expect(decoded['response_nonce'] ?? '').toBe(responseNonce);
        const status = decoded['error_detail'] as { code?: number; message?: string } | undefined;
        if (detail === undefined) expect(status).toBeUndefined();
        else expect({ code: status?.code ?? 0, message: status?.message ?? '' }).toEqual(detail);
        // Byte-identical to protobufjs given the same fields (both write fields in number order).
        const reference = encodeMessage('envoy.service.discovery.v3.DiscoveryRequest', {
          ...(versionInfo ? { version_info: versionInfo } : {}),
          ...(nodeBytes ? { node: decodeMessage('envoy.config.core.v3.Node', nodeBytes) } : {}),
          resource_names: resourceNames,
          ...(typeUrl ? { type_url: typeUrl } : {}),
          ...(responseNonce ? { response_nonce: responseNonce } : {}),
          ...(detail ? { error_detail: { ...(detail.code !== 0 ? { code: detail.code } : {}), ...(detail.message ? { message: detail.message } : {}) } } : {}),
        });
        expect(Buffer.from(bytes).equals(Buffer.from(reference))).toBe(true);
        // Names passed pre-encoded give the same bytes.
        const withWire = encodeSotwRequest({ typeUrl, versionInfo, resourceNames: [], resourceNamesWire: encodeNames(3, resourceNames), responseNonce, errorDetail: detail, node: nodeBytes });
        expect(withWire.equals(bytes)).toBe(true);
        const server = decodeSotwRequest(bytes);
        expect(server.kind).toBe('sotw');
        if (server.kind === 'sotw') expect(server.resourceNames).toEqual(resourceNames);
      }),
      { numRuns: 300 },
    );
  });

  it('DeltaDiscoveryRequest: protobufjs decodes every field back, and the server decoder agrees', () => {
    const versions = fc.array(fc.tuple(text, text), { maxLength: 6 }).map((entries) => new Map(entries));
    fc.assert(
      fc.property(text, names, names, versions, text, errorDetail, node, (typeUrl, subscribe, unsubscribe, initialVersions, responseNonce, detail, nodeBytes) => {
        const bytes = encodeDeltaRequest({ typeUrl, subscribe, unsubscribe, initialVersions, responseNonce, errorDetail: detail, node: nodeBytes });
        const decoded = decodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', bytes);
        expect(decoded['type_url'] ?? '').toBe(typeUrl);
        expect(decoded['resource_names_subscribe'] ?? []).toEqual(subscribe);
        expect(decoded['resource_names_unsubscribe'] ?? []).toEqual(unsubscribe);
        expect(decoded['initial_resource_versions'] ?? {}).toEqual(Object.fromEntries(initialVersions));
        expect(decoded['response_nonce'] ?? '').toBe(responseNonce);
        if (nodeBytes) expect(decoded['node']).toEqual(decodeMessage('envoy.config.core.v3.Node', nodeBytes));
        const server = decodeDeltaRequest(bytes);
        expect(server.kind).toBe('delta');
        if (server.kind === 'delta') {
          expect(server.subscribe).toEqual(subscribe);
          expect(server.initialVersions).toEqual(initialVersions);
          expect(server.errorDetail).toEqual(detail === undefined ? undefined : { code: detail.code, message: detail.message });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('Node: protobufjs decodes what the hand encoder wrote as it decodes its own encoding of the same node', () => {
    const scalar = fc.oneof(fc.constant(null), fc.constant(undefined), fc.double({ noNaN: true }), text, fc.boolean());
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(text, tie('value'), { maxKeys: 3 })),
    }));
    const locality = fc.record({ region: text, zone: text, sub_zone: text }, { requiredKeys: [] });
    const nodes = fc.record(
      { id: text, cluster: text, metadata: fc.dictionary(text, value, { maxKeys: 4 }), locality, user_agent_name: text, user_agent_version: text },
      { requiredKeys: ['id'] },
    );
    fc.assert(
      fc.property(nodes, (n) => {
        const { metadata, ...rest } = n;
        const reference = encodeMessage('envoy.config.core.v3.Node', { ...rest, ...(metadata ? { metadata: toStruct(metadata) } : {}) });
        // protobufjs writes a singular string set to '' (proto3 reads it as unset); the hand encoder leaves it out.
        const unsetEmpty = (o: Record<string, unknown>): Record<string, unknown> => {
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(o)) {
            if (v === '' && k !== 'user_agent_version') continue;
            out[k] = k === 'locality' ? unsetEmpty(v as Record<string, unknown>) : v;
          }
          return out;
        };
        const ours = decodeMessage('envoy.config.core.v3.Node', encodeNode(n));
        const theirs = decodeMessage('envoy.config.core.v3.Node', reference);
        expect(ours).toEqual(unsetEmpty(theirs));
      }),
      { numRuns: 300 },
    );
    expect(decodeMessage('envoy.config.core.v3.Node', encodeNode({ id: 'a', metadata: { k: [1, 'x', true, null, { n: 2 }] } }))['metadata']).toBeDefined();
  });
});
