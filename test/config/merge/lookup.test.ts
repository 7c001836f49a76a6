import { describe, expect, it } from 'vitest';
import { createConfigLookup } from '../../../src/config/merge/index.ts';
import { MESH, platformPolicy, serviceConfig, snapshotOf } from './fixtures.ts';

describe('createConfigLookup', () => {
  const mesh = platformPolicy('mesh', MESH, { defaults: { timeout: 1000 } });
  const bookinfo = platformPolicy('bookinfo', { namespaces: ['bookinfo'] }, { defaults: { timeout: 2000 } });
  const reviews = serviceConfig('reviews', 'bookinfo', { retries: { attempts: 3 } });
  const ratings = serviceConfig('ratings', 'bookinfo', { protocol: 'grpc' });
  const pay = serviceConfig('pay', 'payments', { protocol: 'http' });

  it('memoizes per key and lists configured services', () => {
    const lookup = createConfigLookup(snapshotOf([pay, mesh, reviews, ratings], 7));
    expect(lookup.revision).toBe(7);
    expect([...lookup.configuredServices()]).toEqual(['pay.payments', 'ratings.bookinfo', 'reviews.bookinfo']);
    const a = lookup.forService('reviews.bookinfo');
    expect(lookup.forService('reviews.bookinfo')).toBe(a);
    expect(a.settings).toEqual({ timeout: 1000, retries: { attempts: 3 }, loadBalancer: { policy: 'round_robin' }, mtls: { mode: 'DISABLE' } });
    // Unconfigured services still get platform defaults.
    expect(lookup.forService('unknown.bookinfo').settings.timeout).toBe(1000);
  });

  it('reuses a previous revision result only when every contributing document is unchanged', () => {
    const first = createConfigLookup(snapshotOf([mesh, reviews, ratings, pay], 1));
    const r1 = first.forService('reviews.bookinfo');
    const p1 = first.forService('pay.payments');
    // Revision 2 adds a bookinfo-wide policy: bookinfo services change, payments does not.
    const second = createConfigLookup(snapshotOf([mesh, reviews, ratings, pay, bookinfo], 2), first);
    const r2 = second.forService('reviews.bookinfo');
    expect(r2).not.toBe(r1);
    expect(r2.settings.timeout).toBe(2000);
    expect(second.forService('pay.payments')).toBe(p1);
    // An edited ServiceConfig is a new object: a new result.
    const edited = serviceConfig('pay', 'payments', { protocol: 'http' });
    const third = createConfigLookup(snapshotOf([mesh, reviews, ratings, edited, bookinfo], 3), second);
    expect(third.forService('pay.payments')).not.toBe(p1);
    expect(third.forService('pay.payments').settings).toEqual(p1.settings);
  });
});
