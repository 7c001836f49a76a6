/** The send loop shared by both protocols: PUSH_ORDER, single in-flight, make-before-break. */
import type { Outbox } from './stream-types.ts';

/** One type's view for the send loop. */
export interface PumpStep<P> {
  /** What to send now, or undefined when this type has nothing new (it may then clear its dirty flag). */
  due(): P | undefined;
  /** True while a response of this type awaits its ACK/NACK. */
  inFlight(): boolean;
  send(plan: P): void;
}

/**
 * Sends each due type in the order given (PUSH_ORDER). A type with news but a response still in
 * flight waits for its ACK, and so do the types after it: sending routes before the clusters
 * they name (or endpoints before their clusters) would break make-before-break. Stops while the
 * transport is congested; the caller pumps again on drain. `steps` may have holes (types not
 * subscribed); `active` lets the caller skip the steps it knows have nothing to send.
 */
export function pumpInOrder<P>(outbox: Outbox, steps: readonly (PumpStep<P> | undefined)[], active = -1): void {
  let held = false;
  for (let i = 0; i < steps.length; i += 1) {
    // A step outside `active` (a bit per index) has nothing new: skipped without touching it.
    if ((active & (1 << i)) === 0) continue;
    const step = steps[i];
    if (step === undefined) continue;
    if (!outbox.ready()) return;
    const plan = step.due();
    if (plan === undefined) continue;
    if (held || step.inFlight()) {
      held = true;
      continue;
    }
    step.send(plan);
  }
}
