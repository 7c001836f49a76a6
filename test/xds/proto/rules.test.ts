/**
 * PGV rule families Envoy's bundle does not use (yet), checked through the real walker on a
 * small test schema, so a future Envoy field using them is checked correctly from day one.
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { validateMessageOfType } from '../../../src/xds/proto/validate.ts';

type Rules = Record<string, unknown>;
const field = (type: string, id: number, rules?: Rules, extra: Record<string, unknown> = {}) => ({
  type,
  id,
  ...extra,
  ...(rules ? { options: { '(validate.rules)': rules } } : {}),
});

/** google.protobuf messages from protobufjs' bundled well-known types. */
function wellKnown(...files: string[]): Record<string, unknown> {
  const types: Record<string, unknown> = {};
  for (const file of files) {
    type Json = { nested?: Record<string, Json> };
    const json = protobuf.common.get(file) as Json | null;
    const nested = json?.nested?.['google']?.nested?.['protobuf']?.nested ?? {};
    Object.assign(types, nested);
  }
  return { google: { nested: { protobuf: { nested: types } } } };
}

const root = protobuf.Root.fromJSON({ nested: wellKnown('google/protobuf/timestamp.proto', 'google/protobuf/any.proto') } as protobuf.INamespace);
root.addJSON({
  test: {
    nested: {
      Inner: { fields: { name: field('string', 1, { string: { min_len: 1 } }) } },
      Quiet: { options: { '(validate.disabled)': true }, fields: { name: field('string', 1, { string: { min_len: 1 } }) } },
      Color: { values: { COLOR_UNSPECIFIED: 0, RED: 1, GREEN: 2, BLUE: 3 } },
      T: {
        oneofs: { _opt: { oneof: ['opt'] } },
        fields: {
          email: field('string', 1, { string: { email: true } }),
          host: field('string', 2, { string: { hostname: true, ignore_empty: true } }),
          ip: field('string', 3, { string: { ip: true, ignore_empty: true } }),
          v6: field('string', 4, { string: { ipv6: true, ignore_empty: true } }),
          uri: field('string', 5, { string: { uri: true, ignore_empty: true } }),
          uuid: field('string', 6, { string: { uuid: true, ignore_empty: true } }),
          affix: field('string', 7, { string: { prefix: 'a', suffix: 'z', contains: 'm', not_contains: 'x', ignore_empty: true } }),
          runes: field('string', 8, { string: { len: 2, len_bytes: 4, ignore_empty: true } }),
          exact: field('string', 9, { string: { const: 'k', ignore_empty: true } }),
          pat: field('string', 10, { string: { pattern: '(?i)^ab\\d+\\z', ignore_empty: true } }),
          addr: field('string', 11, { string: { address: true, ignore_empty: true } }),
          blob: field('bytes', 12, { bytes: { min_len: 1, max_len: 4, prefix: 'a', ignore_empty: true } }),
          bip: field('bytes', 13, { bytes: { ipv4: true, ignore_empty: true } }),
          big: field('int64', 14, { int64: { gt: -5, lte: '9223372036854775807' } }),
          ex: field('sint32', 15, { sint32: { gt: 10, lt: 5 } }),
          konst: field('int32', 16, { int32: { const: 3, ignore_empty: true } }),
          nin: field('fixed64', 17, { fixed64: { in: [0, 1, 2] } }),
          f: field('float', 18, { float: { gt: 0.1, ignore_empty: true } }),
          ts: field('google.protobuf.Timestamp', 19, { timestamp: { required: true, gt: { seconds: 0 }, lt_now: true } }),
          m: field('Inner', 20, { map: { max_pairs: 2, no_sparse: true, keys: { string: { prefix: 'k' } }, values: { message: { required: true } } } }, { keyType: 'string' }),
          im: field('string', 21, { map: { keys: { int32: { gt: 0 } } } }, { keyType: 'int32' }),
          skipped: field('Inner', 22, { message: { skip: true } }),
          opt: field('uint32', 23, { uint32: { gte: 5 } }, { options: { proto3_optional: true } }),
          ids: field('int64', 24, { repeated: { unique: true, items: { int64: { gt: 0 } } } }, { rule: 'repeated' }),
          any: field('google.protobuf.Any', 25, { any: { in: ['type.googleapis.com/google.protobuf.Duration'] } }),
          color: field('Color', 26, { enum: { in: [0, 1, 2] } }),
          quiet: field('Quiet', 27),
          inner: field('Inner', 28),
        },
      },
    },
  },
});
// proto3_optional needs both the rules and the flag on the same options object.
const tType = root.lookupType('test.T');
const opt = tType.fields['opt'];
if (opt) opt.options = { proto3_optional: true, '(validate.rules)': { uint32: { gte: 5 } } };

const VALID = { email: 'Ops <ops@example.com>', big: 0, nin: 0, ts: { seconds: 1 } };

function found(value: Record<string, unknown>): Array<[string, string]> {
  return validateMessageOfType(tType, { ...VALID, ...value }).map((p) => [p.path, p.rule]);
}

describe('PGV rule families beyond the bundle', () => {
  it('accepts the baseline', () => {
    expect(found({})).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, Array<[string, string]>]>([
    ['email', { email: 'not an email' }, [['email', 'string.email']]],
    ['email local part too long', { email: `${'a'.repeat(65)}@example.com` }, [['email', 'string.email']]],
    ['hostname', { host: '-bad-.example' }, [['host', 'string.hostname']]],
    ['ip', { ip: '10.0.0.300' }, [['ip', 'string.ip']]],
    ['ipv6 refuses v4 and zones', { v6: 'fe80::1%eth0' }, [['v6', 'string.ipv6']]],
    ['uri must be absolute', { uri: '/relative/path' }, [['uri', 'string.uri']]],
    ['uuid', { uuid: '1234' }, [['uuid', 'string.uuid']]],
    ['prefix, suffix, contains, not_contains', { affix: 'bxy' }, [['affix', 'string.prefix'], ['affix', 'string.suffix'], ['affix', 'string.contains'], ['affix', 'string.not_contains']]],
    ['len counts code points, len_bytes counts UTF-8 bytes', { runes: 'ab' }, [['runes', 'string.len_bytes']]],
    ['const', { exact: 'j' }, [['exact', 'string.const']]],
    ['RE2 pattern with (?i) and \\z', { pat: 'AB12\n' }, [['pat', 'string.pattern']]],
    ['address', { addr: 'not an address' }, [['addr', 'string.address']]],
    ['bytes min/max/prefix', { blob: Buffer.from('bcdef') }, [['blob', 'bytes.max_len'], ['blob', 'bytes.prefix']]],
    ['bytes ipv4 length', { bip: new Uint8Array(16) }, [['bip', 'bytes.ipv4']]],
    ['int64 gt at 64 bits', { big: '-5' }, [['big', 'int64.gt']]],
    ['exclusive range (gt 10, lt 5)', { ex: 7 }, [['ex', 'sint32.gt']]],
    ['int32 const', { konst: 4 }, [['konst', 'int32.const']]],
    ['fixed64 in', { nin: '3' }, [['nin', 'fixed64.in']]],
    ['float bound compared in float32', { f: 0.1 }, [['f', 'float.gt']]],
    ['timestamp gt', { ts: { seconds: 0 } }, [['ts', 'timestamp.gt']]],
    ['timestamp required', { ts: undefined }, [['ts', 'timestamp.required']]],
    ['timestamp range', { ts: { seconds: 1, nanos: -1 } }, [['ts', 'timestamp.range']]],
    ['map max_pairs, key rules, no_sparse, nested rules', { m: { k1: { name: 'a' }, bad: { name: '' }, k3: null } },
      [['m', 'map.max_pairs'], ['m["bad"]', 'string.prefix'], ['m["bad"].name', 'string.min_len'], ['m["k3"]', 'map.no_sparse']]],
    ['integer map keys', { im: { '0': 'a', x: 'b' } }, [['im["0"]', 'int32.gt'], ['im["x"]', 'type']]],
    ['message.skip keeps structure checks, drops rules', { skipped: { name: '', nmae: 'x' } }, [['skipped.nmae', 'unknown_field']]],
    ['proto3 optional set to a bad value', { opt: 0 }, [['opt', 'uint32.gte']]],
    ['repeated unique and items', { ids: ['1', 2, 1, 0] }, [['ids[2]', 'repeated.unique'], ['ids[3]', 'int64.gt']]],
    ['any.in', { any: { '@type': 'type.googleapis.com/google.protobuf.Timestamp', seconds: 1 } }, [['any', 'any.in']]],
    ['enum in, by name', { color: 'BLUE' }, [['color', 'enum.in']]],
    ['unknown enum name without defined_only is still a problem', { color: 'PURPLE' }, [['color', 'type']]],
    ['(validate.disabled) message skips its rules', { quiet: { name: '' } }, []],
    ['rules still apply in plain nested messages', { inner: { name: '' } }, [['inner.name', 'string.min_len']]],
  ])('%s', (_label, value, expected) => {
    expect(found(value)).toEqual(expected);
  });

  it('passes values at the edges', () => {
    expect(found({ runes: 'éé', ex: 4, f: 0.2, opt: 5, ids: ['1', '2'], color: 'GREEN', pat: 'ab1', any: { '@type': 'type.googleapis.com/google.protobuf.Duration', seconds: 1 } })).toEqual([]);
    expect(found({ ex: 11, big: '9223372036854775807', uri: 'https://example.com/a%20b', addr: '2001:db8::1', host: 'Example.COM.' })).toEqual([]);
  });

  it('skips clock-dependent timestamp rules and says nothing about proto3 optional when unset', () => {
    expect(found({ ts: { seconds: 4_000_000_000 }, opt: undefined })).toEqual([]);
  });

  it('never echoes a sensitive value', () => {
    const sensitive = protobuf.Root.fromJSON({
      nested: { S: { fields: { key: { type: 'string', id: 1, options: { '(udpa.annotations.sensitive)': true, '(validate.rules)': { string: { prefix: '-----BEGIN' } } } } } } },
    }).lookupType('S');
    const [problem] = validateMessageOfType(sensitive, { key: 'super secret key material' });
    expect(problem?.rule).toBe('string.prefix');
    expect(problem?.message).not.toContain('secret');
  });
});
