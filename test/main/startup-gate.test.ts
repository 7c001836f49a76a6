/** The start-up gate alone: held watches, hand-over to the real source, and the event queue. */
import { describe, expect, it } from 'vitest';
import { createSnapshotGate, createStartupQueue } from '../../src/startup-gate.ts';
import type { NodeInfo, Snapshot, SnapshotSource } from '../../src/xds/cache/types.ts';

const node = (id: string): NodeInfo => ({ id, cluster: '', metadata: {}, locality: {}, user_agent_name: '', user_agent_version: '' });
const snapshot = (version: string): Snapshot => ({ version, resources: {} as Snapshot['resources'] });

/** A real-source stand-in: one fixed snapshot per node id, a log of watch/close calls. */
function fakeSource(snapshots: Record<string, Snapshot | undefined>): SnapshotSource & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    watch(n) {
      log.push(`watch ${n.id}`);
      return { current: () => snapshots[n.id], close: () => log.push(`close ${n.id}`) };
    },
  };
}

describe('snapshot gate', () => {
  it('holds a watch until open, then delivers the real snapshot once, as a change', () => {
    const gate = createSnapshotGate();
    const seen: string[] = [];
    const watch = gate.source.watch(node('a'), (s) => seen.push(s.version));
    expect(watch.current()).toBeUndefined();
    expect(seen).toEqual([]);
    expect(gate.isOpen()).toBe(false);

    const real = fakeSource({ a: snapshot('v1') });
    gate.open(real);
    expect(gate.isOpen()).toBe(true);
    expect(real.log).toEqual(['watch a']);
    expect(seen).toEqual(['v1']);
    expect(watch.current()?.version).toBe('v1');
    watch.close();
    expect(real.log).toEqual(['watch a', 'close a']);
  });

  it('never watches a stream that ended before open; sends nothing when the real source has no snapshot yet', () => {
    const gate = createSnapshotGate();
    const seen: string[] = [];
    gate.source.watch(node('gone'), (s) => seen.push(`gone ${s.version}`)).close();
    gate.source.watch(node('later'), (s) => seen.push(`later ${s.version}`));
    const real = fakeSource({ gone: snapshot('v1'), later: undefined });
    gate.open(real);
    expect(real.log).toEqual(['watch later']);
    expect(seen).toEqual([]);
  });

  it('after open, watches go straight to the real source', () => {
    const gate = createSnapshotGate();
    const real = fakeSource({ b: snapshot('v2') });
    gate.open(real);
    const watch = gate.source.watch(node('b'), () => undefined);
    expect(real.log).toEqual(['watch b']);
    expect(watch.current()?.version).toBe('v2');
    expect(() => gate.open(real)).toThrow(/already open/);
  });

  it('reports a watch the real source refuses and still hands over the others', () => {
    const errors: string[] = [];
    const gate = createSnapshotGate((n, error) => errors.push(`${n.id}: ${String(error)}`));
    const seen: string[] = [];
    gate.source.watch(node('bad'), () => seen.push('bad'));
    gate.source.watch(node('good'), (s) => seen.push(`good ${s.version}`));
    const good = fakeSource({ good: snapshot('v3') });
    gate.open({
      watch(n, onChange) {
        if (n.id === 'bad') throw new Error('boom');
        return good.watch(n, onChange);
      },
    });
    expect(errors).toEqual(['bad: Error: boom']);
    expect(seen).toEqual(['good v3']);
  });
});

describe('startup queue', () => {
  it('runs held tasks in order at open, later ones at once', () => {
    const queue = createStartupQueue();
    const ran: number[] = [];
    queue.run(() => ran.push(1));
    queue.run(() => ran.push(2));
    expect(ran).toEqual([]);
    queue.open();
    expect(ran).toEqual([1, 2]);
    queue.run(() => ran.push(3));
    expect(ran).toEqual([1, 2, 3]);
  });
});
