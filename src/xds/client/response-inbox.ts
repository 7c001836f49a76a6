/**
 * The receiving half every raw ADS stream shares (grpc-js in raw-stream.ts, plain HTTP/2 in
 * h2-stream.ts): responses in arrival order, `next` for tests that take them one by one,
 * `quiet` for "nothing is pushed" checks, and listeners for clients that follow them live.
 */
import type { ReceivedResponse } from './response-decode.ts';

/** How a stream ended. */
export interface StreamEnd {
  readonly code: number;
  readonly details: string;
}

/** What a raw stream exposes of its responses. */
export interface ResponseReader {
  /** Every response, with its arrival time (performance.now()); empty when not retained. */
  readonly received: readonly { readonly response: ReceivedResponse; readonly at: number }[];
  /** The next response not yet taken by `next`; rejects after `timeoutMs` or once the stream ended. */
  next(timeoutMs: number): Promise<ReceivedResponse>;
  /** Resolves when no response arrives for `ms` (for "nothing is pushed" assertions). */
  quiet(ms: number): Promise<readonly ReceivedResponse[]>;
  onResponse(listener: (response: ReceivedResponse, at: number) => void): void;
}

/** A stream's inbox: the transport calls `deliver` per response and `end` once. */
export interface ResponseInbox {
  readonly reader: ResponseReader;
  deliver(response: ReceivedResponse, at: number): void;
  end(end: StreamEnd): void;
}

/** An inbox; `retain: false` keeps no responses (only listeners see them: no growth per response). */
export function responseInbox(retain: boolean): ResponseInbox {
  const received: { response: ReceivedResponse; at: number }[] = [];
  const listeners: ((response: ReceivedResponse, at: number) => void)[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  let ended: StreamEnd | undefined;

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
    deliver(response, at) {
      if (retain) received.push({ response, at });
      for (const listener of listeners) listener(response, at);
      wake?.();
    },
    end(end) {
      ended ??= end;
      wake?.();
    },
    reader: {
      received,
      async next(timeoutMs) {
        const deadline = Date.now() + timeoutMs;
        while (taken >= received.length) {
          if (ended) throw new Error(`stream ended (${ended.code} ${ended.details}) before a response`);
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
    },
  };
}
