/**
 * A raw ADS stream over grpc-js: send any request (plain object in proto field names, or bytes),
 * receive decoded responses in order. The building block of the ADS client and of protocol tests
 * that need exact control (stale nonces, no ACKs, garbage).
 */
import * as grpc from '@grpc/grpc-js';
import { encodeMessage } from '../proto/codec.ts';
import { decodeDeltaResponse, decodeSotwResponse, type ReceivedResponse } from './response-decode.ts';

/** How a stream ended. */
export interface StreamEnd {
  readonly code: number;
  readonly details: string;
}

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
export interface RawAdsStream {
  readonly mode: 'sotw' | 'delta';
  /** Encodes and sends a DiscoveryRequest (sotw) or DeltaDiscoveryRequest (delta). */
  send(request: Record<string, unknown>): void;
  sendBytes(bytes: Uint8Array): void;
  /** Every response, with its arrival time (performance.now()). */
  readonly received: readonly { readonly response: ReceivedResponse; readonly at: number }[];
  /** The next response not yet taken by `next`; rejects after `timeoutMs`. */
  next(timeoutMs: number): Promise<ReceivedResponse>;
  /** Resolves when no response arrives for `ms` (for "nothing is pushed" assertions). */
  quiet(ms: number): Promise<readonly ReceivedResponse[]>;
  onResponse(listener: (response: ReceivedResponse, at: number) => void): void;
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

/** Opens a SotW or delta ADS stream to `address` (host:port). */
export function openAdsStream(address: string, mode: 'sotw' | 'delta', options: RawStreamOptions = {}): RawAdsStream {
  const ownClient = options.client === undefined;
  const client = options.client ?? createAdsGrpcClient(address);
  const method = mode === 'sotw' ? 'StreamAggregatedResources' : 'DeltaAggregatedResources';
  const decode = mode === 'sotw' ? decodeSotwResponse : decodeDeltaResponse;
  const requestType = mode === 'sotw' ? 'envoy.service.discovery.v3.DiscoveryRequest' : 'envoy.service.discovery.v3.DeltaDiscoveryRequest';
  const call = client.makeBidiStreamRequest(
    `/envoy.service.discovery.v3.AggregatedDiscoveryService/${method}`,
    (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    (bytes: Buffer) => bytes,
    new grpc.Metadata(),
    { deadline: Date.now() + (options.deadlineMs ?? 600_000) },
  );
  const received: { response: ReceivedResponse; at: number }[] = [];
  const listeners: ((response: ReceivedResponse, at: number) => void)[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  let endStatus: StreamEnd | undefined;

  const ended = new Promise<StreamEnd>((resolve) => {
    call.on('status', (status: grpc.StatusObject) => {
      endStatus = { code: status.code, details: status.details };
      if (ownClient) client.close();
      resolve(endStatus);
      wake?.();
    });
  });
  call.on('error', () => {
    // Reported through 'status'; this listener keeps the error from being thrown.
  });
  if (options.read !== false) {
    const retain = options.retain !== false;
    call.on('data', (bytes: Buffer) => {
      const at = performance.now();
      const response = decode(bytes);
      if (retain) received.push({ response, at });
      for (const listener of listeners) listener(response, at);
      wake?.();
    });
  }

  const waitForNews = (timeoutMs: number): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve(false);
      }, timeoutMs);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve(true);
      };
    });

  return {
    mode,
    send: (request) => void call.write(encodeMessage(requestType, request)),
    sendBytes: (bytes) => void call.write(bytes),
    received,
    async next(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (taken >= received.length) {
        if (endStatus) throw new Error(`stream ended (${endStatus.code} ${endStatus.details}) before a response`);
        const left = deadline - Date.now();
        if (left <= 0 || !(await waitForNews(left))) throw new Error(`no response within ${timeoutMs} ms`);
      }
      const entry = received[taken];
      taken += 1;
      if (!entry) throw new Error('response queue out of sync');
      return entry.response;
    },
    async quiet(ms) {
      const start = received.length;
      await new Promise((resolve) => setTimeout(resolve, ms));
      return received.slice(start).map((entry) => entry.response);
    },
    onResponse: (listener) => void listeners.push(listener),
    ended,
    close() {
      call.cancel();
    },
  };
}
