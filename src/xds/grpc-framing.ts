/**
 * gRPC's wire protocol over HTTP/2, as both sides of Trellis speak it: status codes, and message
 * framing (a 1-byte compressed flag, a 4-byte big-endian length, the message). Trellis never
 * compresses and refuses compressed messages.
 */

/** The gRPC status codes Trellis sends or reports. */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** The frame of one message: flag 0 (not compressed), big-endian length, the bytes. */
export function frameMessage(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + bytes.length);
  out[0] = 0;
  out.writeUInt32BE(bytes.length, 1);
  out.set(bytes, 5);
  return out;
}

/** A message whose length prefix is over the reader's limit (gRPC status RESOURCE_EXHAUSTED). */
export class OversizedMessageError extends Error {}

/** How a reader hands out messages. */
export interface MessageReaderOptions {
  /** Largest message accepted (OversizedMessageError beyond it, before buffering). */
  readonly maxMessageBytes?: number;
  /**
   * Messages are read only while `onMessage` runs (it copies what it keeps): a message spread
   * over chunks is then joined in one buffer shared by every such reader, not in a new one.
   */
  readonly transient?: boolean;
}

/**
 * The buffer transient readers join messages in. Every new buffer is memory outside V8's heap,
 * and V8 starts a full mark-compact whenever enough of that has been allocated: SotW ACKs of a
 * 1,000-name subscription are 40 KB each, and with a buffer per ACK the server ran 4 full GCs in
 * 40 endpoint changes at 200 streams, none in the same run with this buffer.
 */
let sharedJoin = Buffer.allocUnsafeSlow(64 * 1024);
/** Larger messages are joined in their own buffer, so one huge request is not held forever. */
const SHARED_JOIN_MAX = 4 * 1024 * 1024;
/** True while a message in `sharedJoin` is being handled (a reader called from inside must not reuse it). */
let sharedJoinBusy = false;

/** `chunks` (`total` bytes) as one buffer: the shared one when `shared` and free, else a new one. */
function join(chunks: readonly Buffer[], total: number, shared: boolean): Buffer {
  if (!shared || sharedJoinBusy || total > SHARED_JOIN_MAX) return Buffer.concat(chunks, total);
  if (sharedJoin.length < total) sharedJoin = Buffer.allocUnsafeSlow(Math.min(SHARED_JOIN_MAX, Math.max(total, sharedJoin.length * 2)));
  let at = 0;
  for (const chunk of chunks) {
    sharedJoin.set(chunk, at);
    at += chunk.length;
  }
  return sharedJoin.subarray(0, total);
}

/**
 * Splits a gRPC body into messages. Complete messages inside one chunk are views of it (no copy);
 * a message spread over chunks is joined once, when its last byte arrives (see
 * `MessageReaderOptions.transient`). Throws on a compressed message, or one larger than the limit.
 */
export function grpcMessageReader(onMessage: (message: Buffer) => void, options: MessageReaderOptions = {}): (chunk: Buffer) => void {
  const maxMessageBytes = options.maxMessageBytes ?? Infinity;
  const transient = options.transient === true;
  // One list per reader, emptied in place. A list per message was pretenured by V8 (its lists
  // outlive a scavenge while a message's frames arrive), and a dropped list in the old generation
  // still holds its chunks for every scavenge until a full GC: the socket buffers they view then
  // lived until one. At 200 streams with 40 KB ACKs that was 12 full GCs in 100 changes and 26 ms
  // of server CPU per change; 0 and 16 ms with this list, as with --no-allocation-site-pretenuring.
  const chunks: Buffer[] = [];
  let buffered = 0;
  /** Bytes needed before the next message can be cut: its prefix, then prefix + body. */
  let need = 5;
  const cut = (chunk: Buffer): number => {
    let pos = 0;
    for (;;) {
      const left = chunk.length - pos;
      if (left < 5) {
        need = 5;
        return pos;
      }
      if (chunk[pos] !== 0) throw new Error('compressed gRPC message (none was asked for)');
      const length = chunk.readUInt32BE(pos + 1);
      if (length > maxMessageBytes) throw new OversizedMessageError(`gRPC message of ${length} bytes is larger than the limit of ${maxMessageBytes}`);
      if (left < 5 + length) {
        need = 5 + length;
        return pos;
      }
      onMessage(chunk.subarray(pos + 5, pos + 5 + length));
      pos += 5 + length;
    }
  };
  return (chunk) => {
    let joinedShared = false;
    if (chunks.length > 0) {
      chunks.push(chunk);
      buffered += chunk.length;
      if (buffered < need) return;
      chunk = join(chunks, buffered, transient);
      joinedShared = chunk.buffer === sharedJoin.buffer;
      chunks.length = 0;
      buffered = 0;
    }
    let pos: number;
    if (joinedShared) {
      sharedJoinBusy = true;
      try {
        pos = cut(chunk);
      } finally {
        sharedJoinBusy = false;
      }
    } else {
      pos = cut(chunk);
    }
    if (pos < chunk.length) {
      // The start of the next message; out of the shared buffer, which the next join overwrites.
      const rest = joinedShared ? Buffer.from(chunk.subarray(pos)) : chunk.subarray(pos);
      chunks.push(rest);
      buffered = rest.length;
    }
  };
}
