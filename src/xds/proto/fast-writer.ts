/**
 * A protobuf writer for the hand-written encoders (fast-encoders.ts, the ADS client's
 * request-wire.ts): the subset of protobufjs' Writer they use (uint32, int32, int64, string,
 * bytes, fork/ldelim), plus raw pre-encoded fields, writing the same bytes straight
 * into one scratch buffer. protobufjs' Writer queues an operation object per field and copies
 * everything at `finish`; at 40k resources per full build that queue was most of the encoders'
 * time and garbage. A nested message reserves one byte for its length and its body is moved up
 * only when the length needs more (bodies of 128 bytes and more).
 */

const INITIAL_SCRATCH = 64 * 1024;

function varintSize(value: number): number {
  let size = 1;
  while (value > 0x7f) {
    value = Math.floor(value / 128);
    size += 1;
  }
  return size;
}

export class FastWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly forks: number[] = [];

  constructor(scratch: Buffer) {
    this.buf = scratch;
  }

  /** The scratch buffer (it may have grown), for reuse by the next writer. */
  get scratch(): Buffer {
    return this.buf;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  private varint(value: number): void {
    const buf = this.buf;
    while (value > 0x7f) {
      buf[this.pos++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    buf[this.pos++] = value;
  }

  uint32(value: number): this {
    this.ensure(5);
    this.varint(value >>> 0);
    return this;
  }

  /** As protobuf: a negative value is sign-extended to ten bytes. */
  int32(value: number): this {
    if (value >= 0) return this.uint32(value);
    this.ensure(10);
    const buf = this.buf;
    let low = value >>> 0;
    for (let i = 0; i < 4; i += 1) {
      buf[this.pos++] = (low & 0x7f) | 0x80;
      low >>>= 7;
    }
    buf[this.pos++] = (low & 0x0f) | 0xf0;
    for (let i = 0; i < 4; i += 1) buf[this.pos++] = 0xff;
    buf[this.pos++] = 0x01;
    return this;
  }

  /** A non-negative integer up to 2^53 (durations' seconds); anything else is refused. */
  int64(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`int64 ${value} is outside the fast writer's range`);
    this.ensure(10);
    this.varint(value);
    return this;
  }

  /** A double as its 8 little-endian bytes (wire type 1; the tag is written by the caller). */
  double(value: number): this {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
    return this;
  }

  string(value: string): this {
    // Up to 42 UTF-16 units take at most 126 bytes: the length fits one byte, written after.
    if (value.length <= 42) {
      this.ensure(1 + value.length * 3);
      const written = this.buf.write(value, this.pos + 1, 'utf8');
      this.buf[this.pos] = written;
      this.pos += 1 + written;
      return this;
    }
    const length = Buffer.byteLength(value, 'utf8');
    this.ensure(5 + length);
    this.varint(length);
    this.pos += this.buf.write(value, this.pos, 'utf8');
    return this;
  }

  /** Length-delimited bytes (a sub-message already encoded). */
  bytes(value: Uint8Array): this {
    this.ensure(5 + value.length);
    this.varint(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** Bytes that are already encoded fields, copied as they are. */
  raw(value: Uint8Array): this {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** Starts a length-delimited sub-message (its tag is already written). */
  fork(): this {
    this.ensure(1);
    this.forks.push(this.pos);
    this.pos += 1;
    return this;
  }

  /** Ends the sub-message started by the last `fork`, writing its length before it. */
  ldelim(): this {
    const at = this.forks.pop();
    if (at === undefined) throw new Error('ldelim without fork');
    const bodyStart = at + 1;
    const length = this.pos - bodyStart;
    const size = varintSize(length);
    if (size > 1) {
      this.ensure(size - 1);
      this.buf.copyWithin(at + size, bodyStart, this.pos);
      this.pos += size - 1;
    }
    const end = this.pos;
    this.pos = at;
    this.varint(length);
    this.pos = end;
    return this;
  }

  /** The bytes written, copied out of the scratch buffer. */
  finish(): Buffer {
    if (this.forks.length > 0) throw new Error('finish with an open fork');
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }
}

let idleScratch: Buffer | undefined = Buffer.allocUnsafe(INITIAL_SCRATCH);

/**
 * Runs `write` with a writer over the shared scratch buffer (a fresh one if it is in use: a
 * nested call) and returns the bytes written.
 */
export function writeWith(write: (w: FastWriter) => void): Buffer {
  const scratch = idleScratch ?? Buffer.allocUnsafe(INITIAL_SCRATCH);
  idleScratch = undefined;
  const writer = new FastWriter(scratch);
  try {
    write(writer);
    return writer.finish();
  } finally {
    idleScratch = writer.scratch;
  }
}
