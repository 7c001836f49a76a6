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

/**
 * Splits a gRPC body into messages. Complete messages inside one chunk are views of it (no copy);
 * a message spread over chunks is joined once, when its last byte arrives. Throws on a compressed
 * message, or one larger than `maxMessageBytes` (before buffering it).
 */
export function grpcMessageReader(onMessage: (message: Buffer) => void, maxMessageBytes = Infinity): (chunk: Buffer) => void {
  let chunks: Buffer[] = [];
  let buffered = 0;
  /** Bytes needed before the next message can be cut: its prefix, then prefix + body. */
  let need = 5;
  return (chunk) => {
    if (chunks.length > 0) {
      chunks.push(chunk);
      buffered += chunk.length;
      if (buffered < need) return;
      chunk = Buffer.concat(chunks, buffered);
      chunks = [];
      buffered = 0;
    }
    let pos = 0;
    for (;;) {
      const left = chunk.length - pos;
      if (left < 5) {
        need = 5;
        break;
      }
      if (chunk[pos] !== 0) throw new Error('compressed gRPC message (none was asked for)');
      const length = chunk.readUInt32BE(pos + 1);
      if (length > maxMessageBytes) throw new OversizedMessageError(`gRPC message of ${length} bytes is larger than the limit of ${maxMessageBytes}`);
      if (left < 5 + length) {
        need = 5 + length;
        break;
      }
      onMessage(chunk.subarray(pos + 5, pos + 5 + length));
      pos += 5 + length;
    }
    if (pos < chunk.length) {
      const rest = chunk.subarray(pos);
      chunks.push(rest);
      buffered = rest.length;
    }
  };
}
