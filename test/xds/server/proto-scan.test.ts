import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeAny, encodeMessage } from '../../../src/xds/proto/codec.ts';
import { anyValueOf, edsNameOfCluster, FieldCursor, resourceNameOfAny, scanFields, splitAny, stringFieldOf, utf8 } from '../../../src/xds/server/proto-scan.ts';

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

  it('skipRepeats lands where next() would after the same run of repeated fields, and checks every length', () => {
    // A DiscoveryRequest: runs of resource_names (field 3) between other fields; names up to 300
    // bytes so some lengths take two varint bytes.
    const part = fc.oneof(
      fc.record({ names: fc.array(fc.string({ unit: 'grapheme', maxLength: 300 }), { minLength: 1, maxLength: 30 }) }),
      fc.record({ nonce: fc.string({ maxLength: 20 }) }),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }), (parts) => {
        const bytes = Buffer.concat(parts.map((p) => encodeMessage('envoy.service.discovery.v3.DiscoveryRequest', 'names' in p ? { resource_names: p.names } : { response_nonce: p.nonce })));
        // Each field's end offset as next() sees it, and as a walk that skips runs of field 3 sees it.
        const plain: number[] = [];
        const walk = new FieldCursor(bytes);
        while (walk.next()) plain.push(walk.to);
        const skipping: number[] = [];
        const skip = new FieldCursor(bytes);
        while (skip.next()) {
          if (skip.field === 3) skip.skipRepeats();
          skipping.push(skip.to);
        }
        expect(skipping.every((to) => plain.includes(to))).toBe(true);
        expect(skipping.at(-1)).toBe(plain.at(-1));
        // Names runs collapse to one stop each; other fields keep theirs.
        expect(skipping.length).toBeLessThanOrEqual(plain.length);
        for (let cut = 1; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 40))) {
          const truncated = bytes.subarray(0, cut);
          const viaNext = (): void => {
            const c = new FieldCursor(truncated);
            while (c.next());
          };
          const viaSkip = (): void => {
            const c = new FieldCursor(truncated);
            while (c.next()) if (c.field === 3) c.skipRepeats();
          };
          let nextThrew = false;
          try {
            viaNext();
          } catch {
            nextThrew = true;
          }
          if (nextThrew) expect(viaSkip).toThrow(RangeError);
          else expect(viaSkip).not.toThrow();
        }
      }),
      { numRuns: 200 },
    );
  });
});
