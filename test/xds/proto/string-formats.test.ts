import { describe, expect, it } from 'vitest';
import { compileRe2, unsupportedPatterns } from '../../../src/xds/proto/re2.ts';
import {
  isAddress, isEmail, isHostname, isIp, isIpv4, isIpv6, isUri, isUriRef, isUuid, runeLength, utf8Length, wellKnownRegex,
} from '../../../src/xds/proto/string-formats.ts';

describe('RE2 → JS translation', () => {
  it.each<[string, string[], string[]]>([
    ['^[^?#]+[^?#/]$', ['/api', '/a/b'], ['/api/', '/a?b']],
    ['^[0-9a-zA-Z_\\-\\./~:]+$', ['a-b.c/d~e:f'], ['a b', '']],
    ['(?i)^abc$', ['ABC', 'abc'], ['abd']],
    ['^(?P<word>\\w+)$', ['hello'], ['two words']],
    ['^\\Qa.b*\\E$', ['a.b*'], ['axb*', 'a.bbb']],
    ['^[[:alpha:][:digit:]]+$', ['abc123'], ['abc-123']],
    ['^\\pL+$', ['héllo'], ['h3llo']],
    ['^\\p{Greek}+$', ['αβγ'], ['abc']],
    ['^a{$', ['a{'], ['a']],
    ['^[]a]+$', [']a]'], ['b']],
    ['\\Aab\\z', ['ab'], ['ab\n', 'xab']],
    ['^\\x{41}\\#$', ['A#'], ['B#']],
  ])('%s', (pattern, matches, rejects) => {
    const regex = compileRe2(pattern);
    expect(regex).toBeDefined();
    for (const s of matches) expect(regex?.test(s), s).toBe(true);
    for (const s of rejects) expect(regex?.test(s), s).toBe(false);
  });

  it('records what it cannot translate instead of guessing', () => {
    for (const pattern of ['(a)\\1', '(?U)a+', 'a(?i:b)', '[[:^alpha:]]', '\\C']) {
      expect(compileRe2(pattern), pattern).toBeUndefined();
      expect(unsupportedPatterns.has(pattern)).toBe(true);
    }
    expect(unsupportedPatterns.has('^abc$')).toBe(false);
  });

  it('caches compiled patterns', () => {
    expect(compileRe2('^x+$')).toBe(compileRe2('^x+$'));
  });
});

describe('PGV string formats', () => {
  it('hostname', () => {
    expect(['example.com', 'a-b.example.com.', 'localhost', 'x1'].filter(isHostname)).toHaveLength(4);
    expect(['-a.com', 'a-.com', 'a..b', '', 'a_b.com', `${'a'.repeat(64)}.com`, 'é.com'].filter(isHostname)).toEqual([]);
  });

  it('ip, ipv4, ipv6, address', () => {
    expect(isIp('10.0.0.1') && isIp('::1') && isIpv4('255.255.255.255') && isIpv6('2001:db8::1')).toBe(true);
    expect([isIp('10.0.0.256'), isIpv4('::1'), isIpv6('10.0.0.1'), isIpv6('fe80::1%eth0')]).toEqual([false, false, false, false]);
    expect([isAddress('example.com'), isAddress('10.0.0.1'), isAddress('not valid')]).toEqual([true, true, false]);
  });

  it('email, uri, uri_ref, uuid', () => {
    expect([isEmail('a@example.com'), isEmail('Ops <ops@example.com>'), isEmail('a@'), isEmail('a b@example.com')]).toEqual([true, true, false, false]);
    expect([isUri('https://x/y?z#f'), isUri('urn:isbn:1'), isUri('/x'), isUri('http://x/%zz'), isUri('http://x/a b')]).toEqual([true, true, false, false, false]);
    expect([isUriRef('/x?y'), isUriRef('a/b'), isUriRef('a:b/c'), isUriRef('x:y'), isUriRef('1a:b')]).toEqual([true, true, true, true, false]);
    expect([isUuid('123e4567-e89b-12d3-a456-426614174000'), isUuid('123e4567e89b12d3a456426614174000')]).toEqual([true, false]);
  });

  it('well-known header regexes, strict and not', () => {
    const name = wellKnownRegex('HTTP_HEADER_NAME', true);
    const value = wellKnownRegex(2, true);
    const loose = wellKnownRegex('HTTP_HEADER_NAME', false);
    expect([name?.test('x-request-id'), name?.test(':authority'), name?.test('a b'), name?.test(''), name?.test('a,b')]).toEqual([true, true, false, false, true]);
    expect([value?.test('text/html; q=1'), value?.test('a\tb'), value?.test('a\u0001b'), value?.test('a\nb')]).toEqual([true, true, false, false]);
    expect([loose?.test('a b'), loose?.test('a\u0001'), loose?.test('a\rb'), loose?.test('a\u0000')]).toEqual([true, true, false, false]);
    expect(wellKnownRegex('UNKNOWN', true)).toBeUndefined();
  });

  it('counts runes and UTF-8 bytes', () => {
    expect([runeLength('abc'), runeLength('é'), runeLength('😀'), runeLength('\ud800x')]).toEqual([3, 1, 1, 2]);
    expect([utf8Length('é'), utf8Length('😀')]).toEqual([2, 4]);
  });
});
