/**
 * A raw ADS stream over grpc-js: send any request (plain object in proto field names, or bytes),
 * receive decoded responses in order. The building block of the ADS client and of protocol tests
 * that need exact control (stale nonces, no ACKs, garbage).
 */
import * as grpc from '@grpc/grpc-js';
import { encodeMessage } from '../proto/codec.ts';
import { decodeDeltaResponse, decodeSotwResponse, type ReceivedResponse } from './response-decode.ts';
import { responseInbox, type ResponseReader, type StreamEnd } from './response-inbox.ts';

export type { StreamEnd } from './response-inbox.ts';

/** Options of `openAdsStream`. */
export interface RawStreamOptions {
  /** Stream deadline in ms (default 10 minutes). */
  readonly deadlineMs?: number;
  /** False: never read responses (a stuck client); they stay in transport buffers. */
  readonly read?: boolean;
  /** Share a grpc-js client (one connection for many streams); else each stream has its own. */
  readonly client?: grpc.Client;
  /** Keep every response for `next()` and `received` (default true); false when only `onResponse` listeners read them. */
  readonly retain?: boolean;
}

/** One open ADS stream. */
export interface RawAdsStream extends ResponseReader {
  readonly mode: 'sotw' | 'delta';
  /** Encodes and sends a DiscoveryRequest (sotw) or DeltaDiscoveryRequest (delta). */
  send(request: Record<string, unknown>): void;
  sendBytes(bytes: Uint8Array): void;
  /** Resolves with the final status once the stream ends. */
  readonly ended: Promise<StreamEnd>;
  close(): void;
}

const MiB = 1024 * 1024;

/** grpc-js channel options for ADS clients: large messages, no shared subchannels. */
export const CLIENT_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 64 * MiB,
  'grpc.max_send_message_length': 64 * MiB,
  // Each proxy has its own connection, as Envoy would.
  'grpc.use_local_subchannel_pool': 1,
};

/** A grpc-js client to share among streams (close it with `client.close()`). */
export function createAdsGrpcClient(address: string): grpc.Client {
  return new grpc.Client(address, grpc.credentials.createInsecure(), CLIENT_OPTIONS);
}

/** What differs between a SotW and a delta ADS call, for either transport. */
export function adsCallShape(mode: 'sotw' | 'delta'): { path: string; decode: (bytes: Uint8Array) => ReceivedResponse; requestType: string } {
  return mode === 'sotw'
    ? { path: `${ADS_SERVICE}/StreamAggregatedResources`, decode: decodeSotwResponse, requestType: 'envoy.service.discovery.v3.DiscoveryRequest' }
    : { path: `${ADS_SERVICE}/DeltaAggregatedResources`, decode: decodeDeltaResponse, requestType: 'envoy.service.discovery.v3.DeltaDiscoveryRequest' };
}

const ADS_SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';

/** Opens a SotW or delta ADS stream to `address` (host:port). */
export function openAdsStream(address: string, mode: 'sotw' | 'delta', options: RawStreamOptions = {}): RawAdsStream {
  const ownClient = options.client === undefined;
  const client = options.client ?? createAdsGrpcClient(address);
  const { path, decode, requestType } = adsCallShape(mode);
  const call = client.makeBidiStreamRequest(
    path,
    (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    (bytes: Buffer) => bytes,
    new grpc.Metadata(),
    { deadline: Date.now() + (options.deadlineMs ?? 600_000) },
  );
  const inbox = responseInbox(options.retain !== false);

  const ended = new Promise<StreamEnd>((resolve) => {
    call.on('status', (status: grpc.StatusObject) => {
      const end = { code: status.code, details: status.details };
      if (ownClient) client.close();
      inbox.end(end);
      resolve(end);
    });
  });
  call.on('error', () => {
    // Reported through 'status'; this listener keeps the error from being thrown.
  });
  if (options.read !== false) {
    call.on('data', (bytes: Buffer) => {
      const at = performance.now();
      inbox.deliver(decode(bytes), at);
    });
  }

  return {
    mode,
    send: (request) => void call.write(encodeMessage(requestType, request)),
    sendBytes: (bytes) => void call.write(bytes),
    ...inbox.reader,
    ended,
    close() {
      call.cancel();
    },
  };
}
