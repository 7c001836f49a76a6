import { describe, expect, it } from 'vitest';
import { defaultInstanceId, validateRegistration } from '../../src/registry/validate.ts';

const base = { service: 'reviews', namespace: 'bookinfo', address: '10.0.0.7', port: 9080 };

function fieldsOf(input: unknown): string[] {
  const result = validateRegistration(input);
  return result.ok ? [] : result.diagnostics.map((d) => d.field);
}

describe('validateRegistration', () => {
  it('applies defaults to a minimal valid input', () => {
    const result = validateRegistration({ service: 'ratings', address: '10.1.2.3', port: 8080 });
    expect(result).toEqual({
      ok: true,
      value: {
        id: '10.1.2.3:8080', service: 'ratings', namespace: 'default', address: '10.1.2.3', port: 8080,
        ports: {}, labels: {}, locality: { region: '', zone: '', subZone: '' }, weight: 1, health: 'healthy',
        ttlSeconds: 0, protocol: undefined,
      },
    });
  });

  it('keeps every valid optional field', () => {
    const result = validateRegistration({
      ...base, id: 'reviews-v2-a', ports: { metrics: 15090 }, labels: { version: 'v2', 'app.kubernetes.io/name': 'reviews', empty: '' },
      locality: { region: 'us-east', zone: 'a', subZone: 'rack1' }, weight: 128, health: 'draining', ttlSeconds: 86400,
      protocol: 'grpc',
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.id).toBe('reviews-v2-a');
    expect(result.value.labels).toEqual({ version: 'v2', 'app.kubernetes.io/name': 'reviews', empty: '' });
    expect(result.value.locality.subZone).toBe('rack1');
    expect(result.value.protocol).toBe('grpc');
    expect(result.value.weight).toBe(128);
  });

  it('canonicalizes IPv6 addresses and brackets them in the default id', () => {
    const result = validateRegistration({ ...base, address: 'FD00:0:0::0007' });
    expect(result.ok && result.value.address).toBe('fd00::7');
    expect(result.ok && result.value.id).toBe('[fd00::7]:9080');
    expect(defaultInstanceId('10.0.0.1', 80)).toBe('10.0.0.1:80');
  });

  // Each row breaks exactly one thing; the diagnostics must name exactly that field.
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['missing service', { service: undefined }, 'service', /required.*DNS label/],
    ['uppercase service', { service: 'Reviews' }, 'service', /DNS label.*"Reviews"/],
    ['service ending in dash', { service: 'reviews-' }, 'service', /DNS label/],
    ['service too long', { service: 'a'.repeat(64) }, 'service', /at most 63/],
    ['namespace with dot', { namespace: 'book.info' }, 'namespace', /DNS label/],
    ['host name address', { address: 'reviews.local' }, 'address', /IPv4 or IPv6 literal/],
    ['missing address', { address: undefined }, 'address', /required/],
    ['IPv6 with zone', { address: 'fe80::1%eth0' }, 'address', /zone/],
    ['numeric address', { address: 167772167 }, 'address', /literal/],
    ['port 0', { port: 0 }, 'port', /integer from 1 to 65535, got 0/],
    ['port too big', { port: 65536 }, 'port', /1 to 65535/],
    ['port as string', { port: '9080' }, 'port', /integer.*"9080"/],
    ['fractional port', { port: 80.5 }, 'port', /integer/],
    ['ports not an object', { ports: [1] }, 'ports', /object mapping port names/],
    ['bad port number', { ports: { metrics: 70000 } }, 'ports.metrics', /1 to 65535/],
    ['bad port name', { ports: { Metrics: 1 } }, 'ports.Metrics', /DNS label/],
    ['labels not an object', { labels: 'v1' }, 'labels', /object mapping label keys/],
    ['numeric label value', { labels: { version: 2 } }, 'labels.version', /must be a string/],
    ['label value with space', { labels: { version: 'v 2' } }, 'labels.version', /at most 63 characters/],
    ['label value too long', { labels: { version: 'v'.repeat(64) } }, 'labels.version', /at most 63/],
    ['label key bad name', { labels: { '-x': 'a' } }, 'labels.-x', /key name/],
    ['label key bad prefix', { labels: { 'Example.com/x': 'a' } }, 'labels.Example.com/x', /DNS subdomain/],
    ['label key empty name', { labels: { 'example.com/': 'a' } }, 'labels.example.com/', /key name/],
    ['locality not an object', { locality: 'us-east' }, 'locality', /region, zone, subZone/],
    ['locality unknown field', { locality: { sub_zone: 'x' } }, 'locality.sub_zone', /unknown field/],
    ['locality zone not a string', { locality: { zone: 1 } }, 'locality.zone', /string/],
    ['weight 0', { weight: 0 }, 'weight', /1 to 128/],
    ['weight 129', { weight: 129 }, 'weight', /1 to 128/],
    ['unknown health', { health: 'ok' }, 'health', /healthy, unhealthy, draining, unknown/],
    ['negative ttl', { ttlSeconds: -1 }, 'ttlSeconds', /0 to 86400/],
    ['ttl over a day', { ttlSeconds: 86401 }, 'ttlSeconds', /0 to 86400/],
    ['unknown protocol', { protocol: 'https' }, 'protocol', /http, grpc, tcp/],
    ['id with slash', { id: 'a/b' }, 'id', /letters, digits/],
    ['empty id', { id: '' }, 'id', /1\.\.128/],
    ['unknown top-level field', { prot: 'http' }, 'prot', /unknown field; allowed fields are id, service/],
  ];

  it.each(cases)('%s → diagnostic on %s', (_name, patch, field, message) => {
    const result = validateRegistration({ ...base, ...patch });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.diagnostics.map((d) => d.field)).toEqual([field]);
    expect(result.diagnostics[0]?.message).toMatch(message);
    expect(result.diagnostics[0]?.severity).toBe('error');
  });

  it('reports every bad field at once', () => {
    expect(fieldsOf({ ...base, port: -1, weight: 'x', health: 1 }).sort()).toEqual(['health', 'port', 'weight']);
  });

  it.each([null, 'text', 42, [base], true])('rejects a non-object input (%j) without throwing', (input) => {
    const result = validateRegistration(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.diagnostics[0]?.message).toMatch(/expected an object/);
  });

  it('ignores a __proto__ key rather than polluting prototypes', () => {
    const input: unknown = JSON.parse('{"service":"a","address":"10.0.0.1","port":1,"labels":{"__proto__":{"x":"y"}}}');
    const result = validateRegistration(input);
    expect(result.ok).toBe(false);
    expect(fieldsOf(input)).toEqual(['labels.__proto__']);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});
