import { describe, expect, it } from 'vitest';
import { createResourceEncoder } from '../../src/pipeline/resource-encoder.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';

const listener = (name: string, port: number): { name: string; value: object } => ({
  name,
  value: { name, address: { socket_address: { address: '127.0.0.1', port_value: port } } },
});

describe('resource encoder', () => {
  it('encodes an object once, and a rebuilt equal object takes the bytes of the one it replaces', () => {
    const encoder = createResourceEncoder();
    const first = listener('a', 1);
    const encoded = encoder.encode(TypeUrl.Listener, first);
    expect(encoder.encode(TypeUrl.Listener, first)).toBe(encoded);
    expect(encoder.encode(TypeUrl.Listener, listener('a', 1), encoded)).toBe(encoded);
    expect(encoder.stats).toEqual({ encoded: 1, reused: 2 });
    // Different content: encoded afresh.
    const changed = encoder.encode(TypeUrl.Listener, listener('a', 2), encoded);
    expect(changed).not.toBe(encoded);
    expect(changed.version).not.toBe(encoded.version);
    expect(encoder.stats.encoded).toBe(2);
    // Equal content without a predecessor (another view's copy) is found by its digest when asked.
    expect(encoder.encode(TypeUrl.Listener, listener('a', 1))).not.toBe(encoded);
    expect(encoder.stats.encoded).toBe(3);
    const own = encoder.encode(TypeUrl.Listener, listener('o', 5), undefined, true);
    expect(encoder.encode(TypeUrl.Listener, listener('o', 5), undefined, true)).toBe(own);
    expect(encoder.encode(TypeUrl.Listener, listener('o', 6), undefined, true)).not.toBe(own);
    // The same content under another name is another resource.
    expect(encoder.encode(TypeUrl.Listener, { name: 'z', value: listener('o', 5).value }, undefined, true).name).toBe('z');
    expect(encoder.stats.encoded).toBe(6);
  });

  it('hands back the previous set when every item is unchanged, and a new set otherwise', () => {
    const encoder = createResourceEncoder();
    const set = encoder.encodeSet(TypeUrl.Listener, [listener('a', 1), listener('b', 2)]);
    expect(encoder.encodeSet(TypeUrl.Listener, [listener('b', 2), listener('a', 1)], set)).toBe(set);
    const grown = encoder.encodeSet(TypeUrl.Listener, [listener('a', 1), listener('b', 2), listener('c', 3)], set);
    expect(grown).not.toBe(set);
    expect([...grown.items.keys()]).toEqual(['a', 'b', 'c']);
    expect(grown.items.get('a')).toBe(set.items.get('a'));
    const shrunk = encoder.encodeSet(TypeUrl.Listener, [listener('a', 1)], set);
    expect(shrunk).not.toBe(set);
    expect(shrunk.version).not.toBe(set.version);
    const edited = encoder.encodeSet(TypeUrl.Listener, [listener('a', 1), listener('b', 9)], set);
    expect(edited.version).not.toBe(set.version);
  });

  it('gives one set object to every caller passing the same array', () => {
    const encoder = createResourceEncoder();
    const shared = [listener('a', 1), listener('b', 2)];
    const set = encoder.encodeSet(TypeUrl.Listener, shared);
    expect(encoder.encodeSet(TypeUrl.Listener, shared)).toBe(set);
    // An equal but distinct array is encoded on its own (same content, same version).
    const other = encoder.encodeSet(TypeUrl.Listener, [...shared]);
    expect(other).not.toBe(set);
    expect(other.version).toBe(set.version);
  });
});
