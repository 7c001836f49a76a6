import { describe, expect, it } from 'vitest';
import { parseNodeIdentity } from '../../src/model/node-identity.ts';
import type { NodeInfo } from '../../src/xds/cache/types.ts';

const baseNode: NodeInfo = {
  id: 'n1',
  cluster: 'reviews',
  metadata: {},
  locality: { region: 'r1', zone: 'z1', sub_zone: 's1' },
  user_agent_name: 'envoy',
  user_agent_version: '1.30',
};

const node = (overrides: Partial<NodeInfo>): NodeInfo => ({ ...baseNode, ...overrides });

describe('parseNodeIdentity defaults', () => {
  it('reads an Envoy node with empty metadata as a sidecar of node.cluster in "default"', () => {
    const { identity, diagnostics } = parseNodeIdentity(baseNode);
    expect(diagnostics).toEqual([]);
    expect(identity).toEqual({
      nodeId: 'n1',
      kind: 'sidecar',
      service: 'reviews',
      namespace: 'default',
      address: '',
      port: 0,
      protocol: 'http',
      labels: {},
      locality: { region: 'r1', zone: 'z1', subZone: 's1' },
      joinToken: '',
      spiffeId: '',
    });
  });

  it.each([
    ['gRPC Node Pure-JS', 'proxyless'],
    ['grpc-go', 'proxyless'],
    ['envoy', 'sidecar'],
    ['', 'sidecar'],
  ])('user agent %j defaults the kind to %s', (agent, kind) => {
    expect(parseNodeIdentity(node({ user_agent_name: agent })).identity.kind).toBe(kind);
  });

  it('ignores node.cluster as the service when it is not a DNS label', () => {
    expect(parseNodeIdentity(node({ cluster: 'Reviews_v1' })).identity.service).toBe('');
  });

  it('reads every metadata key, accepting a numeric string port', () => {
    const { identity, diagnostics } = parseNodeIdentity(
      node({
        user_agent_name: 'grpc-node',
        metadata: {
          'trellis.kind': 'gateway',
          'trellis.service': 'ingress',
          'trellis.namespace': 'edge',
          'trellis.address': 'fd00::5',
          'trellis.port': '8443',
          'trellis.protocol': 'grpc',
          'trellis.labels': { tier: 'front' },
        },
      }),
    );
    expect(diagnostics).toEqual([]);
    expect(identity).toMatchObject({
      kind: 'gateway',
      service: 'ingress',
      namespace: 'edge',
      address: 'fd00::5',
      port: 8443,
      protocol: 'grpc',
      labels: { tier: 'front' },
    });
  });

  it('treats a missing locality as unknown', () => {
    const { identity } = parseNodeIdentity(node({ locality: {} }));
    expect(identity.locality).toEqual({ region: '', zone: '', subZone: '' });
  });
});

describe('parseNodeIdentity bad metadata', () => {
  // Each bad value gives exactly one diagnostic naming its field, and the default is used.
  const cases: Array<{ key: string; value: unknown; field?: string; check: (id: ReturnType<typeof parseNodeIdentity>['identity']) => void }> = [
    { key: 'trellis.kind', value: 'mesh', check: (id) => expect(id.kind).toBe('sidecar') },
    { key: 'trellis.service', value: 'Bad_Name', check: (id) => expect(id.service).toBe('reviews') },
    { key: 'trellis.namespace', value: 7, check: (id) => expect(id.namespace).toBe('default') },
    { key: 'trellis.address', value: 'example.com', check: (id) => expect(id.address).toBe('') },
    { key: 'trellis.port', value: 70000, check: (id) => expect(id.port).toBe(0) },
    { key: 'trellis.port', value: '80a', check: (id) => expect(id.port).toBe(0) },
    { key: 'trellis.port', value: 80.5, check: (id) => expect(id.port).toBe(0) },
    { key: 'trellis.port', value: 0, check: (id) => expect(id.port).toBe(0) },
    { key: 'trellis.protocol', value: 'udp', check: (id) => expect(id.protocol).toBe('http') },
    { key: 'trellis.labels', value: ['a'], check: (id) => expect(id.labels).toEqual({}) },
    {
      key: 'trellis.labels',
      value: { ok: 'yes', count: 3 },
      field: 'node.metadata.trellis.labels.count',
      check: (id) => expect(id.labels).toEqual({ ok: 'yes' }),
    },
  ];
  it.each(cases)('$key = $value', ({ key, value, field, check }) => {
    const { identity, diagnostics } = parseNodeIdentity(node({ metadata: { [key]: value } }));
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ severity: 'error', field: field ?? `node.metadata.${key}`, source: 'node n1' });
    check(identity);
  });

  it('never throws on a metadata value that is not an object', () => {
    const weird = node({ metadata: null as unknown as NodeInfo['metadata'] });
    expect(parseNodeIdentity(weird).identity.namespace).toBe('default');
  });
});

describe('parseNodeIdentity join token', () => {
  const SECRET = 'tok_9f8e7d6c5b4a-very-secret';

  it('takes trellis.token as the join token and never sets spiffeId itself', () => {
    const { identity, diagnostics } = parseNodeIdentity(node({ metadata: { 'trellis.token': SECRET } }));
    expect(diagnostics).toEqual([]);
    expect(identity.joinToken).toBe(SECRET);
    expect(identity.spiffeId).toBe('');
  });

  it('drops a non-string token with a diagnostic that does not quote it', () => {
    const { identity, diagnostics } = parseNodeIdentity(node({ metadata: { 'trellis.token': { value: SECRET } } }));
    expect(identity.joinToken).toBe('');
    expect(diagnostics.map((d) => d.field)).toEqual(['node.metadata.trellis.token']);
    expect(diagnostics[0]?.message).toContain('expected the join token as a string');
    expect(JSON.stringify(diagnostics)).not.toContain('very-secret');
  });
});
