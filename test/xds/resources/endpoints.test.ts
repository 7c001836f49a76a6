import { describe, expect, it } from 'vitest';
import type { ClusterModel, EndpointModel, Locality } from '../../../src/model/types.ts';
import { buildClusterLoadAssignment } from '../../../src/xds/resources/endpoints.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { expectValidEnvoy } from '../../support/envoy-assert.ts';

const loc = (region: string, zone: string, subZone = ''): Locality => ({ region, zone, subZone });
const NOWHERE = loc('', '');

const endpoint = (address: string, locality: Locality, change: Partial<EndpointModel> = {}): EndpointModel => ({
  instanceId: `${address}:80`,
  address,
  port: 80,
  weight: 1,
  health: 'healthy',
  locality,
  labels: {},
  ...change,
});

const cluster = (endpoints: EndpointModel[]): ClusterModel => ({
  name: 'outbound|web.default',
  serviceKey: 'web.default',
  subset: '',
  protocol: 'http',
  endpoints,
  connectTimeoutMs: 1000,
  lbPolicy: 'round_robin',
});

interface Summary {
  locality: string;
  priority: unknown;
  weight: unknown;
  endpoints: string[];
}

/** Localities as `region/zone/subzone` with priority, weight and endpoint addresses. */
function summarize(value: Record<string, unknown>): Summary[] {
  const groups = (value['endpoints'] ?? []) as Array<Record<string, unknown>>;
  return groups.map((g) => {
    const l = g['locality'] as Record<string, string>;
    return {
      locality: [l['region'] ?? '', l['zone'] ?? '', l['sub_zone'] ?? ''].join('/'),
      priority: g['priority'],
      weight: (g['load_balancing_weight'] as { value: number }).value,
      endpoints: (g['lb_endpoints'] as Array<{ endpoint: { address: { socket_address: { address: string } } } }>).map(
        (e) => e.endpoint.address.socket_address.address,
      ),
    };
  });
}

const spread = [
  endpoint('10.0.0.1', loc('r1', 'z1')),
  endpoint('10.0.0.2', loc('r1', 'z2'), { weight: 5 }),
  endpoint('10.0.0.3', loc('r2', 'z7')),
  endpoint('10.0.0.4', loc('r1', 'z1'), { weight: 3 }),
];

describe('buildClusterLoadAssignment priorities', () => {
  it.each<[string, Locality, Summary[]]>([
    [
      'proxy in r1/z1: same zone 0, same region 1, other region 2',
      loc('r1', 'z1'),
      [
        { locality: 'r1/z1/', priority: 0, weight: 4, endpoints: ['10.0.0.1', '10.0.0.4'] },
        { locality: 'r1/z2/', priority: 1, weight: 5, endpoints: ['10.0.0.2'] },
        { locality: 'r2/z7/', priority: 2, weight: 1, endpoints: ['10.0.0.3'] },
      ],
    ],
    [
      'proxy in r2/z9: nothing local, so same region is renumbered to 0 and others to 1',
      loc('r2', 'z9'),
      [
        { locality: 'r2/z7/', priority: 0, weight: 1, endpoints: ['10.0.0.3'] },
        { locality: 'r1/z1/', priority: 1, weight: 4, endpoints: ['10.0.0.1', '10.0.0.4'] },
        { locality: 'r1/z2/', priority: 1, weight: 5, endpoints: ['10.0.0.2'] },
      ],
    ],
    [
      'proxy in r3: every locality is remote, all at priority 0',
      loc('r3', 'z1'),
      [
        { locality: 'r1/z1/', priority: 0, weight: 4, endpoints: ['10.0.0.1', '10.0.0.4'] },
        { locality: 'r1/z2/', priority: 0, weight: 5, endpoints: ['10.0.0.2'] },
        { locality: 'r2/z7/', priority: 0, weight: 1, endpoints: ['10.0.0.3'] },
      ],
    ],
    [
      'proxy without locality: all at priority 0',
      NOWHERE,
      [
        { locality: 'r1/z1/', priority: 0, weight: 4, endpoints: ['10.0.0.1', '10.0.0.4'] },
        { locality: 'r1/z2/', priority: 0, weight: 5, endpoints: ['10.0.0.2'] },
        { locality: 'r2/z7/', priority: 0, weight: 1, endpoints: ['10.0.0.3'] },
      ],
    ],
  ])('%s', (_name, proxy, expected) => {
    const cla = buildClusterLoadAssignment(cluster(spread), proxy);
    expect(summarize(cla)).toEqual(expected);
    expectValidEnvoy(TypeUrl.ClusterLoadAssignment, cla);
  });

  it('keeps sub-zones apart as localities; the sub-zone does not change the priority', () => {
    const cla = buildClusterLoadAssignment(
      cluster([endpoint('10.0.0.1', loc('r1', 'z1', 'a')), endpoint('10.0.0.2', loc('r1', 'z1', 'b'))]),
      loc('r1', 'z1', 'b'),
    );
    expect(summarize(cla).map((s) => [s.locality, s.priority])).toEqual([
      ['r1/z1/a', 0],
      ['r1/z1/b', 0],
    ]);
  });
});

describe('buildClusterLoadAssignment endpoints', () => {
  it.each<[EndpointModel['health'], string]>([
    ['healthy', 'HEALTHY'],
    ['unhealthy', 'UNHEALTHY'],
    ['draining', 'DRAINING'],
    ['unknown', 'UNKNOWN'],
  ])('maps health %s to %s and carries the endpoint weight', (health, status) => {
    const cla = buildClusterLoadAssignment(cluster([endpoint('fd00::1', NOWHERE, { health, weight: 7, port: 9090 })]), NOWHERE);
    expect(cla).toEqual({
      cluster_name: 'outbound|web.default',
      endpoints: [
        {
          locality: {},
          priority: 0,
          load_balancing_weight: { value: 7 },
          lb_endpoints: [
            {
              endpoint: { address: { socket_address: { address: 'fd00::1', port_value: 9090 } } },
              health_status: status,
              load_balancing_weight: { value: 7 },
            },
          ],
        },
      ],
    });
    expectValidEnvoy(TypeUrl.ClusterLoadAssignment, cla);
  });

  it('is just the cluster name when there are no endpoints', () => {
    expect(buildClusterLoadAssignment(cluster([]), loc('r1', 'z1'))).toEqual({ cluster_name: 'outbound|web.default' });
  });
});
