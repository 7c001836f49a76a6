import { describe, expect, it } from 'vitest';
import type { RouteModel } from '../../../src/model/types.ts';
import { buildHttpFilters, type HttpFilterContext } from '../../../src/xds/resources/http-filters.ts';
import { expectValidEnvoy } from '../../support/envoy-assert.ts';

const plain: RouteModel = { name: 'r', match: { pathPrefix: '/' }, to: [{ cluster: 'c', weight: 1 }] };
const faulty: RouteModel = { ...plain, fault: { abort: { percent: 1, httpStatus: 503 } } };
const limit = { requestsPerSecond: 10, burst: 20 };

describe('buildHttpFilters', () => {
  it.each<[string, HttpFilterContext, string[]]>([
    ['a bare side: router only', { side: 'outbound' }, ['router']],
    ['outbound without faults', { side: 'outbound', routes: [plain] }, ['router']],
    ['outbound with a faulty route', { side: 'outbound', routes: [plain, faulty] }, ['fault', 'router']],
    ['gRPC server side never gets the fault filter (grpc-js has no server fault filter)', { side: 'server', routes: [faulty] }, ['router']],
    ['inbound with a rate limit', { side: 'inbound', rateLimit: limit }, ['local_ratelimit', 'router']],
    ['rate limit only on the inbound side', { side: 'outbound', rateLimit: limit, routes: [faulty] }, ['fault', 'router']],
  ])('%s', (_name, context, expected) => {
    const filters = buildHttpFilters(context);
    expect(filters.map((f) => String(f['name']).replace('envoy.filters.http.', ''))).toEqual(expected);
    for (const f of filters) expectValidEnvoy('envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter', f);
  });
});
