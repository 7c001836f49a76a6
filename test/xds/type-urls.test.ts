import { describe, expect, it } from 'vitest';
import { decodeSotwRequest } from '../../src/xds/server/requests.ts';
import { encodeMessage } from '../../src/xds/proto/codec.ts';
import { canonicalTypeUrl, isKnownTypeUrl, PUSH_ORDER, TypeUrl } from '../../src/xds/type-urls.ts';

describe('type URLs', () => {
  it('canonicalTypeUrl maps a decoded URL to its constant and passes unknown ones through', () => {
    for (const url of Object.values(TypeUrl)) {
      // A fresh string with the same text, as decoding one from the wire gives.
      const decoded = Buffer.from(url, 'utf8').toString('utf8');
      expect(canonicalTypeUrl(decoded)).toBe(url);
      expect(isKnownTypeUrl(canonicalTypeUrl(decoded))).toBe(true);
    }
    expect(canonicalTypeUrl('type.googleapis.com/some.Unknown')).toBe('type.googleapis.com/some.Unknown');
    expect(canonicalTypeUrl('')).toBe('');
  });

  it('PUSH_ORDER names every served type once (engines index their per-type bits by it)', () => {
    expect([...PUSH_ORDER].sort()).toEqual(Object.values(TypeUrl).sort());
  });

  it('requests carry the canonical type URL', () => {
    const request = decodeSotwRequest(encodeMessage('envoy.service.discovery.v3.DiscoveryRequest', { type_url: TypeUrl.Listener }));
    expect(request.kind === 'sotw' && request.typeUrl).toBe(TypeUrl.Listener);
  });
});
