import { afterEach, describe, expect, it } from 'vitest';
import { startLoadFleet, type LoadFleet } from '../../bench/lib/load-fleet.ts';
import { fanOutPolicyYaml, stormNodes } from '../../bench/lib/storm-setup.ts';
import { processesFor } from '../../bench/scenarios/connect-storm.ts';
import { basicMesh, snapshotOf, startServer, type Running } from '../xds/server/helpers.ts';

describe('storm setup', () => {
  it('spreads P sidecars over N services, several per service once P > N', () => {
    const nodes = stormNodes(5, 2);
    expect(nodes.map((n) => n.cluster)).toEqual(['svc-00000', 'svc-00001', 'svc-00000', 'svc-00001', 'svc-00000']);
    expect(new Set(nodes.map((n) => n.id)).size).toBe(5);
    expect(nodes[1]?.metadata).toMatchObject({ 'trellis.kind': 'sidecar', 'trellis.service': 'svc-00001', 'trellis.namespace': 'ns-1' });
  });

  it('writes a policy naming the first k services as every service\'s dependencies', () => {
    const yaml = fanOutPolicyYaml(100, 3);
    expect(yaml).toContain('kind: PlatformPolicy');
    expect(yaml).toContain('defaults: {dependencies: [svc-00000.ns-0, svc-00001.ns-1, svc-00002.ns-2]}');
    expect(fanOutPolicyYaml(2, 50)).toContain('[svc-00000.ns-0, svc-00001.ns-1]');
  });

  it('sizes the load generator at about 5,000 streams per process, at least two', () => {
    expect(processesFor(1000)).toBe(2);
    expect(processesFor(10_000)).toBe(2);
    expect(processesFor(10_001)).toBe(3);
    expect(processesFor(20_000)).toBe(4);
  });
});

describe('load fleet: shared connections and reconnect', () => {
  let fleet: LoadFleet | undefined;
  let running: Running | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
    await running?.server.close();
    running = undefined;
  });

  it('holds several streams per connection and reconnects without resending unchanged resources', async () => {
    running = await startServer(snapshotOf(basicMesh()));
    fleet = startLoadFleet({ processes: 1 });
    const nodes = stormNodes(4, 2);
    for (const mode of ['sotw', 'delta'] as const) {
      const ready = await fleet.connectWith(running.address, mode, nodes, 15_000, { streamsPerConnection: 2, record: true });
      expect(ready).toHaveLength(4);
      expect(ready.every((at) => at > 0)).toBe(true);
      expect(running.server.status().filter((s) => s.protocol === mode)).toHaveLength(4);

      const result = await fleet.reconnect(15_000, 200);
      // Each stream held CDS, LDS, EDS and RDS before the drop.
      expect(result.bytesBefore.every((b) => b > 0)).toBe(true);
      // Nothing changed: no resource comes again.
      expect(result.resources).toEqual([0, 0, 0, 0]);
      if (mode === 'sotw') {
        // The server adopts the versions the streams announce and sends nothing at all.
        expect(result.bytes).toEqual([0, 0, 0, 0]);
        expect(result.reconnectedAt).toEqual([0, 0, 0, 0]);
      } else {
        // One empty answer per type (CDS, LDS, EDS, RDS), each far smaller than what is held.
        expect(result.responses).toEqual([4, 4, 4, 4]);
        expect(result.reconnectedAt.every((at) => at > 0)).toBe(true);
        result.bytes.forEach((b, i) => expect(b).toBeLessThan((result.bytesBefore[i] ?? 0) / 2));
      }
      await fleet.disconnect();
    }
  }, 60_000);
});
