import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeAny, encodeMessage } from '../../../src/xds/proto/codec.ts';
import { anyValueOf, edsNameOfCluster, resourceNameOfAny, scanFields, splitAny, stringFieldOf, utf8 } from '../../../src/xds/server/proto-scan.ts';

const LISTENER = 'type.googleapis.com/envoy.config.listener.v3.Listener';

describe('proto-scan', () => {
  it('walks top-level fields as protobufjs wrote them: strings, varints, nested messages, fixed widths skipped', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string({ maxLength: 80 }), { maxLength: 5 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (version, names, port) => {
        const bytes = encodeMessage('envoy.service.discovery.v3.DiscoveryRequest', {
          version_info: version,
          resource_names: names,
          type_url: LISTENER,
          error_detail: { code: port, message: 'm' },
        });
        const seen: Array<[number, string | number]> = [];
        scanFields(bytes, (field, value) => seen.push([field, typeof value === 'number' ? value : utf8(value)]));
        const strings = seen.filter(([field]) => field === 3).map(([, v]) => v);
        expect(strings).toEqual(names);
        expect(seen.find(([field]) => field === 4)?.[1]).toBe(LISTENER);
        if (version !== '') expect(seen.find(([field]) => field === 1)?.[1]).toBe(version);
      }),
      { numRuns: 200 },
    );
  });

  it('reads a resource name from its Any, with any UTF-8 and lengths past one varint byte', () => {
    for (const name of ['l', 'outbound_http/reviews.bookinfo:9080', 'ünïcödé-名前', 'x'.repeat(300)]) {
      const any = encodeAny(LISTENER, encodeMessage('envoy.config.listener.v3.Listener', { name, stat_prefix: 's' }));
      expect(resourceNameOfAny(any)).toBe(name);
      expect(splitAny(any).typeUrl).toBe(LISTENER);
      expect(stringFieldOf(splitAny(any).value, 1)).toBe(name);
      expect(Buffer.from(anyValueOf(any)).equals(Buffer.from(splitAny(any).value))).toBe(true);
    }
    expect(anyValueOf(new Uint8Array(0))).toHaveLength(0);
  });

  it('reads the CLA name an EDS cluster waits for', () => {
    const eds = encodeMessage('envoy.config.cluster.v3.Cluster', { name: 'c', type: 'EDS', eds_cluster_config: { service_name: 'svc' }, connect_timeout: { seconds: 1 } });
    expect(edsNameOfCluster(eds)).toBe('svc');
    expect(edsNameOfCluster(encodeMessage('envoy.config.cluster.v3.Cluster', { name: 'c', type: 'EDS' }))).toBe('c');
    expect(edsNameOfCluster(encodeMessage('envoy.config.cluster.v3.Cluster', { name: 'c', type: 'STATIC' }))).toBeUndefined();
  });

  it('throws on truncated or malformed bytes instead of reading past the end', () => {
    const good = encodeMessage('envoy.service.discovery.v3.DiscoveryRequest', { version_info: 'v1', type_url: LISTENER });
    for (let cut = 1; cut < good.length; cut += 1) {
      const truncated = good.subarray(0, cut);
      // A cut that falls between two fields is a valid (shorter) message; inside a field it throws.
      let fields = 0;
      try {
        scanFields(truncated, () => void (fields += 1));
      } catch (error) {
        expect(error).toBeInstanceOf(RangeError);
        continue;
      }
      expect(fields).toBeLessThan(2);
    }
    expect(() => scanFields(Uint8Array.from([0x0b]), () => undefined)).toThrow(/wire type 3/);
    expect(() => scanFields(Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), () => undefined)).toThrow(RangeError);
  });
});
