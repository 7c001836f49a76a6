import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { FastWriter, writeWith } from '../../../src/xds/proto/fast-writer.ts';

type Op =
  | { op: 'uint32'; v: number }
  | { op: 'int32'; v: number }
  | { op: 'int64'; v: number }
  | { op: 'string'; v: string }
  | { op: 'message'; body: Op[] };

const { tree } = fc.letrec<{ tree: Op[]; op: Op }>((tie) => ({
  tree: fc.array(tie('op'), { maxLength: 6 }),
  op: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ op: fc.constant('uint32' as const), v: fc.oneof(fc.nat(300), fc.nat()) }),
    fc.record({ op: fc.constant('int32' as const), v: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
    fc.record({ op: fc.constant('int64' as const), v: fc.oneof(fc.nat(200), fc.maxSafeNat()) }),
    fc.record({ op: fc.constant('string' as const), v: fc.oneof(fc.string({ unit: 'binary', maxLength: 50 }), fc.string({ maxLength: 400 })) }),
    fc.record({ op: fc.constant('message' as const), body: tie('tree') as fc.Arbitrary<Op[]> }),
  ),
}));

function replay(w: FastWriter | protobuf.Writer, ops: readonly Op[]): void {
  for (const o of ops) {
    if (o.op === 'message') {
      w.uint32((1 << 3) | 2).fork();
      replay(w, o.body);
      w.ldelim();
    } else if (o.op === 'string') w.uint32((2 << 3) | 2).string(o.v);
    else if (o.op === 'int64') w.uint32(3 << 3).int64(o.v);
    else if (o.op === 'int32') w.uint32(4 << 3).int32(o.v);
    else w.uint32(5 << 3).uint32(o.v);
  }
}

describe('FastWriter', () => {
  it('writes the bytes protobufjs writes, nested messages and multi-byte lengths included', () => {
    fc.assert(
      fc.property(tree, (ops) => {
        const reference = protobuf.Writer.create();
        replay(reference, ops);
        const fast = writeWith((w) => replay(w, ops));
        expect(fast.toString('hex')).toBe(Buffer.from(reference.finish()).toString('hex'));
      }),
      { numRuns: 400 },
    );
  });

  it('grows past its scratch buffer and leaves no state behind for the next use', () => {
    const big = 'x'.repeat(200_000);
    const reference = protobuf.Writer.create();
    reference.uint32(10).fork().uint32(18).string(big).ldelim();
    const fast = writeWith((w) => w.uint32(10).fork().uint32(18).string(big).ldelim());
    expect(fast.equals(Buffer.from(reference.finish()))).toBe(true);
    expect(writeWith((w) => w.uint32(8).uint32(1)).toString('hex')).toBe('0801');
    // A failed write (an exception inside) leaves the next write clean.
    expect(() => writeWith((w) => {
      w.uint32(10).fork();
      throw new Error('abandoned');
    })).toThrow('abandoned');
    expect(writeWith((w) => w.uint32(8).uint32(2)).toString('hex')).toBe('0802');
    expect(() => writeWith((w) => w.int64(-1))).toThrow(RangeError);
  });
});
