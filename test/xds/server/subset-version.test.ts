import { describe, expect, it } from 'vitest';
import { encodeResource, resourceSet } from '../../../src/xds/cache/snapshot.ts';
import { prepareSotw } from '../../../src/xds/server/response-wire.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';

const listener = (name: string, port: number) =>
  encodeResource(TypeUrl.Listener, name, { name, address: { socket_address: { address: '127.0.0.1', port_value: port } } });

describe('SotW versions for named subscriptions', () => {
  it('are the same whether the subscribed resources are the whole set or part of it', () => {
    const a = listener('a', 1001);
    const b = listener('b', 1002);
    const alone = prepareSotw(TypeUrl.Listener, resourceSet([a]), false, ['a'], 'a');
    const withOther = prepareSotw(TypeUrl.Listener, resourceSet([a, b]), false, ['a'], 'a');
    // A named subscriber to `a` must not be pushed again because another listener appeared.
    expect(withOther.version).toBe(alone.version);
    expect(prepareSotw(TypeUrl.Listener, resourceSet([a, b]), false, ['a', 'b'], 'a\0b').version).toBe(resourceSet([a, b]).version);
    const changed = prepareSotw(TypeUrl.Listener, resourceSet([listener('a', 1003), b]), false, ['a'], 'a');
    expect(changed.version).not.toBe(alone.version);
  });
});
