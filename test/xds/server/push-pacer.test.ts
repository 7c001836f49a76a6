import { describe, expect, it } from 'vitest';
import { createPushPacer } from '../../../src/xds/server/push-pacer.ts';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('push pacer', () => {
  it('runs pushes in order, a batch per event-loop turn, and nothing in the scheduling turn', async () => {
    const pacer = createPushPacer(3);
    const ran: number[] = [];
    for (let i = 0; i < 7; i += 1) pacer.schedule(() => ran.push(i));
    expect(ran).toEqual([]);
    expect(pacer.pending()).toBe(7);
    await turn();
    expect(ran).toEqual([0, 1, 2]);
    await turn();
    expect(ran).toEqual([0, 1, 2, 3, 4, 5]);
    await turn();
    expect(ran).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pacer.pending()).toBe(0);
  });

  it('takes pushes scheduled while it runs, after those already queued', async () => {
    const pacer = createPushPacer(2);
    const ran: string[] = [];
    pacer.schedule(() => {
      ran.push('a');
      pacer.schedule(() => ran.push('late'));
    });
    pacer.schedule(() => ran.push('b'));
    pacer.schedule(() => ran.push('c'));
    for (let i = 0; i < 3; i += 1) await turn();
    expect(ran).toEqual(['a', 'b', 'c', 'late']);
    // Idle again: a new push is run on the next turn.
    pacer.schedule(() => ran.push('next'));
    await turn();
    expect(ran.at(-1)).toBe('next');
  });
});
