import { describe, expect, it } from 'vitest';
import { children, oid, oidToString, readTlv, sequence, time, unsignedInteger } from '../../src/ca/der.ts';
import { isSpiffeIdIn, parseSpiffeId, workloadIdentity } from '../../src/ca/spiffe.ts';

describe('SPIFFE ids', () => {
  it('builds the Trellis shape and parses it back', () => {
    const built = workloadIdentity('shop', 'web');
    expect(built.ok && built.identity.spiffeId).toBe('spiffe://trellis.local/ns/shop/sa/web');
    const parsed = parseSpiffeId('spiffe://corp.example/ns/a-b/sa/c1');
    expect(parsed.ok && parsed.identity).toEqual({ trustDomain: 'corp.example', namespace: 'a-b', serviceAccount: 'c1', spiffeId: 'spiffe://corp.example/ns/a-b/sa/c1' });
  });

  it.each([
    'spiffe://trellis.local/ns/shop/sa/web/extra',
    'spiffe://Trellis.local/ns/shop/sa/web',
    'spiffe://trellis.local/ns/Shop/sa/web',
    'spiffe://trellis.local/ns/shop/sa/web?x=1',
    'http://trellis.local/ns/shop/sa/web',
    'spiffe://trellis.local/sa/web/ns/shop',
    'spiffe://trellis.local/ns/-bad/sa/web',
  ])('refuses %s', (id) => {
    const parsed = parseSpiffeId(id);
    expect(parsed.ok).toBe(false);
  });

  it('checks the trust domain', () => {
    expect(isSpiffeIdIn('spiffe://trellis.local/ns/a/sa/b', 'trellis.local')).toBe(true);
    expect(isSpiffeIdIn('spiffe://other.local/ns/a/sa/b', 'trellis.local')).toBe(false);
    expect(workloadIdentity('a', 'b', 'bad_domain').ok).toBe(false);
  });
});

describe('DER', () => {
  it('round-trips OIDs with multi-byte arcs', () => {
    for (const dotted of ['1.2.840.10045.4.3.2', '2.5.29.17', '1.3.6.1.5.5.7.3.2', '1.2.840.113549.1.9.14']) {
      expect(oidToString(readTlv(oid(dotted)).value)).toBe(dotted);
    }
    // 1.2.840.113549: 840 = 0x86 0x48, 113549 = 0x86 0xf7 0x0d (X.690 example bytes).
    expect(oid('1.2.840.113549').toString('hex')).toBe('06062a864886f70d');
  });

  it('encodes integers minimally and positive', () => {
    expect(unsignedInteger(Buffer.from([0x00, 0x00, 0x05])).toString('hex')).toBe('020105');
    expect(unsignedInteger(Buffer.from([0x80])).toString('hex')).toBe('02020080');
  });

  it('uses long-form lengths above 127 bytes and reads them back', () => {
    const big = sequence(Buffer.alloc(300, 1));
    expect(big.subarray(0, 4).toString('hex')).toBe('3082012c');
    expect(readTlv(big).value.length).toBe(300);
    expect(children(readTlv(sequence(unsignedInteger(Buffer.from([1])), unsignedInteger(Buffer.from([2])))).value).length).toBe(2);
  });

  it('writes UTCTime before 2050 and GeneralizedTime after', () => {
    expect(time(new Date('2026-03-04T05:06:07.890Z')).toString('latin1').slice(2)).toBe('260304050607Z');
    expect(time(new Date('2051-01-01T00:00:00Z'))[0]).toBe(0x18);
  });
});
