import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { internName, nameAt } from '../../../src/xds/client/names.ts';

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('interned resource names', () => {
  it('reads any UTF-8 name from inside a larger buffer, the same instance each time', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (name, before, after) => {
        const bytes = Buffer.concat([Buffer.from(before), utf8(name), Buffer.from(after)]);
        const read = nameAt(bytes, before.length, before.length + utf8(name).length);
        expect(read).toBe(name);
        // Same bytes elsewhere, and the string table, give this very string back.
        const again = nameAt(utf8(`x${name}`), 1, 1 + utf8(name).length);
        expect(Object.is(again, read)).toBe(true);
        expect(Object.is(internName(`${name}`), read)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('tells apart names that differ in one byte or in length', () => {
    const names = ['cluster-a', 'cluster-b', 'cluster-', 'cluster-aa', 'ünïcödé', 'unicode'];
    const read = names.map((name) => nameAt(utf8(name), 0, utf8(name).length));
    expect(read).toEqual(names);
    expect(nameAt(new Uint8Array(0), 0, 0)).toBe('');
  });

  it('keeps no view of the buffer it read from', () => {
    const bytes = utf8('kept-name-1');
    const name = nameAt(bytes, 0, bytes.length);
    bytes.fill(0x41);
    expect(nameAt(utf8('kept-name-1'), 0, 11)).toBe(name);
    expect(nameAt(bytes, 0, bytes.length)).toBe('AAAAAAAAAAA');
  });
});
