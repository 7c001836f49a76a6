/**
 * An Envoy-like ADS client (SotW or delta) for tests and the load generator. It holds resources
 * per type (encoded Anys, decoded on demand), ACKs every response with its version and nonce,
 * NACKs when a policy says so, records per-response arrival times and sizes, and can reconnect
 * with what it holds (SotW: last versions; delta: initial_resource_versions). By default it
 * follows references like Envoy: wildcard CDS and LDS, then EDS for its EDS clusters, wildcard
 * SRDS when a listener has scoped routes by SRDS, and RDS for the route names its listeners use
 * and its scopes name. (Like Envoy's scoped routes, the SRDS subscription stays once made.)
 */
import type * as grpc from '@grpc/grpc-js';
import { decodeMessage } from '../proto/codec.ts';
import { splitAny } from '../server/proto-scan.ts';
import { FULL_STATE_TYPES, messageNameOf, TypeUrl } from '../type-urls.ts';
import { openAdsStream, type RawAdsStream, type StreamEnd } from './raw-stream.ts';
import { edsNamesOf, listenerReferencesOf, scopeRouteNamesOf } from './references.ts';
import { encodeDeltaRequest, encodeNames, encodeNode, encodeSotwRequest, type DeltaRequestFields, type NodeFields, type RequestErrorDetail, type SotwRequestFields } from './request-wire.ts';
import type { ReceivedResponse } from './response-decode.ts';

/** The node the client announces; metadata is plain JSON (sent as a Struct). */
export type ClientNode = NodeFields;

/** One resource the client holds. `version`: delta Resource.version, or SotW version_info. */
export interface ClientResource {
  readonly name: string;
  readonly version: string;
  readonly any: Uint8Array;
}

/** One response as it arrived. */
export interface ResponseRecord {
  readonly typeUrl: string;
  /** performance.now() at arrival. */
  readonly at: number;
  readonly bytes: number;
  readonly versionInfo: string;
  readonly nonce: string;
  readonly names: readonly string[];
  readonly removed: readonly string[];
  /** The NACK message when the policy rejected it. */
  readonly nacked?: string;
}

/** Options of `connect`. */
export interface AdsClientOptions {
  /** Wildcard CDS+LDS at start, then EDS/SRDS/RDS as referenced (default true). */
  readonly followReferences?: boolean;
  /** Return a message to NACK a response (the client then keeps what it had). */
  readonly nackPolicy?: (typeUrl: string, response: ReceivedResponse) => string | undefined;
  /** Delay before applying and ACKing each response (simulated processing). */
  readonly applyDelayMs?: number;
  /** Keep a ResponseRecord per response (default true). */
  readonly recordResponses?: boolean;
  readonly deadlineMs?: number;
  /** Share one grpc-js client (connection) between ADS clients. */
  readonly grpcClient?: grpc.Client;
  /**
   * Opens each stream (first and after `reconnect`) instead of grpc-js, e.g. `openH2AdsStream`
   * (h2-stream.ts) over a shared HTTP/2 session; `grpcClient` and `deadlineMs` are then unused.
   */
  readonly openStream?: (mode: 'sotw' | 'delta') => RawAdsStream;
  /**
   * Called when the names held for a type change (a resource added or removed; not a new version
   * of one), so a caller can keep an index of which clients hold what.
   */
  readonly onHeldNamesChange?: (typeUrl: TypeUrl) => void;
}

/** A connected client. */
export interface AdsClient {
  readonly mode: 'sotw' | 'delta';
  /** Replaces the subscription of a type: explicit names, or '*' for wildcard. */
  subscribe(typeUrl: TypeUrl, names: readonly string[] | '*'): void;
  /** What the client holds of a type: one live map per type, updated in place. */
  resources(typeUrl: TypeUrl): ReadonlyMap<string, ClientResource>;
  /** The current subscription of a type (explicit names; EDS/RDS follow CDS/LDS when following references). */
  subscription(typeUrl: TypeUrl): { readonly wildcard: boolean; readonly names: ReadonlySet<string> };
  /** The resource decoded into a plain object (proto field names), if held. */
  decoded(typeUrl: TypeUrl, name: string): Record<string, unknown> | undefined;
  /** Last version_info (SotW) or system_version_info (delta) the client accepted for a type; undefined until one was accepted. */
  acceptedVersion(typeUrl: TypeUrl): string | undefined;
  readonly responses: readonly ResponseRecord[];
  /**
   * Resolves once `predicate` holds (checked now, after every response and every `pollMs`,
   * default 25; 0 = never polled: for predicates on this client's own state, which thousands of
   * clients in one load generator can then wait on without timers firing).
   */
  waitFor(predicate: (client: AdsClient) => boolean, timeoutMs: number, pollMs?: number): Promise<void>;
  /**
   * Calls `listener` with the type URL of every response handled from now on, after it was applied
   * and ACKed (or NACKed), and with undefined when a stream ends; returns a function that stops
   * it. `waitFor` runs on it too. No promise or timer per call: a load generator watches
   * thousands of clients for each change. (A function is registered once.)
   */
  onHandled(listener: (typeUrl: string | undefined) => void): () => void;
  /** Drops the stream and opens a new one, announcing what it holds. */
  reconnect(): void;
  /** How the current stream ended, if it did. */
  readonly lastEnd: StreamEnd | undefined;
  close(): void;
}

interface TypeState {
  wildcard: boolean;
  names: Set<string>;
  held: Map<string, ClientResource>;
  version: string;
  nonce: string;
  /** A request for this type went out on the current stream. */
  announced: boolean;
  /** Delta: the subscription as told to the server on this stream; undefined = not yet. */
  told: { wildcard: boolean; names: Set<string> } | undefined;
  /** SotW: the encoded resource_names for `names` and `wildcard` as they were (ACKs repeat them). */
  namesWire: { names: Set<string>; wildcard: boolean; bytes: Uint8Array } | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Connects an ADS client to `address` (host:port). */
export function connect(address: string, node: ClientNode, mode: 'sotw' | 'delta', options: AdsClientOptions = {}): AdsClient {
  const follow = options.followReferences ?? true;
  const record = options.recordResponses ?? true;
  const states = new Map<string, TypeState>();
  const responses: ResponseRecord[] = [];
  /** Called after each handled response (with its type URL) and when a stream ends (undefined). */
  const listeners = new Set<(typeUrl: string | undefined) => void>();
  let stream: RawAdsStream;
  let nodeSent = false;
  let closed = false;
  let lastEnd: StreamEnd | undefined;
  let queue: Promise<void> = Promise.resolve();

  const stateOf = (typeUrl: string): TypeState => {
    let state = states.get(typeUrl);
    if (!state) {
      state = { wildcard: false, names: new Set(), held: new Map(), version: '', nonce: '', announced: false, told: undefined, namesWire: undefined };
      states.set(typeUrl, state);
    }
    return state;
  };

  let encodedNode: Uint8Array | undefined;
  /** The node goes with the first request of each stream (encoded once per client). */
  const nodeOnce = (): Uint8Array | undefined => {
    if (nodeSent) return undefined;
    nodeSent = true;
    encodedNode ??= encodeNode(node);
    return encodedNode;
  };
  const sendDelta = (fields: Omit<DeltaRequestFields, 'node'>): void => stream.sendBytes(encodeDeltaRequest({ ...fields, node: nodeOnce() }));

  const sotwNames = (typeUrl: string, state: TypeState): string[] => {
    if (!state.wildcard) return [...state.names];
    // Envoy's legacy wildcard for LDS/CDS is an empty list; other types need '*'.
    return state.names.size === 0 && FULL_STATE_TYPES.has(typeUrl) ? [] : ['*', ...state.names];
  };

  /** The encoded names of a SotW request; `state.names` is replaced (never mutated) when it changes. */
  const sotwNamesWire = (typeUrl: string, state: TypeState): Uint8Array => {
    const cached = state.namesWire;
    if (cached && cached.names === state.names && cached.wildcard === state.wildcard) return cached.bytes;
    const bytes = encodeNames(3, sotwNames(typeUrl, state));
    state.namesWire = { names: state.names, wildcard: state.wildcard, bytes };
    return bytes;
  };

  /** Sends what the server must learn about a type's subscription (delta: only the diff). */
  const announce = (typeUrl: string, state: TypeState, errorDetail?: RequestErrorDetail): void => {
    state.announced = true;
    if (mode === 'sotw') {
      const fields: SotwRequestFields = {
        typeUrl,
        versionInfo: state.version,
        resourceNames: [],
        resourceNamesWire: sotwNamesWire(typeUrl, state),
        responseNonce: state.nonce,
        errorDetail,
        node: nodeOnce(),
      };
      stream.sendBytes(encodeSotwRequest(fields));
      return;
    }
    if (!state.told) {
      const subscribe = [...state.names];
      if (state.wildcard && (subscribe.length > 0 || !FULL_STATE_TYPES.has(typeUrl))) subscribe.unshift('*');
      const initialVersions = new Map([...state.held.values()].map((r) => [r.name, r.version]));
      sendDelta({ typeUrl, subscribe, initialVersions, errorDetail });
      state.told = { wildcard: state.wildcard, names: new Set(state.names) };
      return;
    }
    const told = state.told;
    const subscribe = [...state.names].filter((n) => !told.names.has(n));
    const unsubscribe = [...told.names].filter((n) => !state.names.has(n));
    if (state.wildcard && !told.wildcard) subscribe.push('*');
    if (!state.wildcard && told.wildcard) unsubscribe.push('*');
    if (subscribe.length === 0 && unsubscribe.length === 0 && errorDetail === undefined) return;
    sendDelta({ typeUrl, subscribe, unsubscribe, responseNonce: state.nonce, errorDetail });
    state.told = { wildcard: state.wildcard, names: new Set(state.names) };
  };

  // A Set visits what is added while it is iterated and skips what is deleted: no copy needed.
  const notify = (typeUrl: string | undefined): void => {
    for (const listener of listeners) listener(typeUrl);
  };

  const setSubscription = (typeUrl: TypeUrl, names: readonly string[] | '*'): void => {
    const state = stateOf(typeUrl);
    const wildcard = names === '*';
    const next = new Set(wildcard ? [] : names);
    const same = state.wildcard === wildcard && next.size === state.names.size && [...next].every((n) => state.names.has(n));
    if (same && state.announced) return;
    state.wildcard = wildcard;
    state.names = next;
    // Unsubscribed names are forgotten (non-wildcard types keep only what they asked for).
    if (!wildcard) {
      let forgot = false;
      for (const name of [...state.held.keys()]) if (!next.has(name)) forgot = state.held.delete(name) || forgot;
      if (forgot) options.onHeldNamesChange?.(typeUrl);
    }
    announce(typeUrl, state);
  };

  // RDS names the listeners reference, kept so a scope update does not decode every listener again.
  let listenerRds: readonly string[] = [];
  const subscribeRoutes = (): void => {
    const scopeAnys = [...stateOf(TypeUrl.ScopedRouteConfiguration).held.values()].map((r) => r.any);
    const names = new Set([...listenerRds, ...scopeRouteNamesOf(scopeAnys)]);
    // Like Envoy, no RDS request at all until some route configuration is named.
    if (names.size === 0 && !stateOf(TypeUrl.RouteConfiguration).announced) return;
    setSubscription(TypeUrl.RouteConfiguration, [...names].sort());
  };

  const followReferences = (typeUrl: string, state: TypeState): void => {
    if (!follow) return;
    const anys = (): Uint8Array[] => [...state.held.values()].map((r) => r.any);
    if (typeUrl === TypeUrl.Cluster) setSubscription(TypeUrl.ClusterLoadAssignment, edsNamesOf(anys()));
    else if (typeUrl === TypeUrl.Listener) {
      const refs = listenerReferencesOf(anys());
      listenerRds = refs.rds;
      if (refs.scopedRds && !stateOf(TypeUrl.ScopedRouteConfiguration).wildcard) setSubscription(TypeUrl.ScopedRouteConfiguration, '*');
      subscribeRoutes();
    } else if (typeUrl === TypeUrl.ScopedRouteConfiguration) subscribeRoutes();
  };

  const apply = (response: ReceivedResponse, state: TypeState): void => {
    const namesChanged = options.onHeldNamesChange !== undefined && changesHeldNames(response, state.held, mode === 'sotw' && FULL_STATE_TYPES.has(response.typeUrl));
    if (mode === 'delta') {
      for (const r of response.resources) state.held.set(r.name, r);
      for (const name of response.removed) state.held.delete(name);
      // system_version_info: not part of the protocol state, but tells that the type was answered.
      state.version = response.versionInfo || state.version || 'answered';
    } else {
      const version = response.versionInfo;
      if (FULL_STATE_TYPES.has(response.typeUrl)) state.held.clear();
      // Decoded resources carry the response's version_info: held as they are, no copy.
      for (const r of response.resources) state.held.set(r.name, r);
      state.version = version;
    }
    if (namesChanged) options.onHeldNamesChange?.(response.typeUrl as TypeUrl);
  };

  const handle = (response: ReceivedResponse, at: number): void => {
    if (closed) return;
    const state = stateOf(response.typeUrl);
    const nack = options.nackPolicy?.(response.typeUrl, response);
    if (record) {
      responses.push({
        typeUrl: response.typeUrl,
        at,
        bytes: response.bytes,
        versionInfo: response.versionInfo,
        nonce: response.nonce,
        names: response.resources.map((r) => r.name),
        removed: response.removed,
        ...(nack !== undefined ? { nacked: nack } : {}),
      });
    }
    if (nack === undefined) apply(response, state);
    state.nonce = response.nonce;
    const errorDetail = nack === undefined ? undefined : { code: 13, message: nack };
    if (mode === 'sotw') announce(response.typeUrl, state, errorDetail);
    else sendDelta({ typeUrl: response.typeUrl, responseNonce: response.nonce, errorDetail });
    if (nack === undefined) followReferences(response.typeUrl, state);
    notify(response.typeUrl);
  };

  const open = (): void => {
    const current =
      options.openStream?.(mode) ??
      openAdsStream(address, mode, {
        // Responses are read through onResponse only (kept as `responses` records when asked).
        retain: false,
        ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
        ...(options.grpcClient ? { client: options.grpcClient } : {}),
      });
    stream = current;
    nodeSent = false;
    lastEnd = undefined;
    current.onResponse((response, at) => {
      if (stream !== current) return;
      const delay = options.applyDelayMs;
      // In arrival order: at once, or each after the previous one's simulated processing.
      if (!delay) {
        try {
          handle(response, at);
        } catch {
          // As a failed delayed handling: the response is dropped (not ACKed), the stream goes on.
        }
      } else queue = queue.then(() => sleep(delay).then(() => handle(response, at))).catch(() => undefined);
    });
    void current.ended.then((end) => {
      if (stream === current) lastEnd = end;
      notify(undefined);
    });
  };

  const client: AdsClient = {
    mode,
    subscribe: setSubscription,
    resources: (typeUrl) => stateOf(typeUrl).held,
    subscription(typeUrl) {
      const state = stateOf(typeUrl);
      return { wildcard: state.wildcard, names: state.names };
    },
    decoded(typeUrl, name) {
      const resource = stateOf(typeUrl).held.get(name);
      return resource ? decodeMessage(messageNameOf(typeUrl), splitAny(resource.any).value) : undefined;
    },
    acceptedVersion: (typeUrl) => stateOf(typeUrl).version || undefined,
    responses,
    waitFor(predicate, timeoutMs, pollMs = 25) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!predicate(client)) return;
          listeners.delete(check);
          clearTimeout(timer);
          if (poll) clearInterval(poll);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          if (poll) clearInterval(poll);
          reject(new Error(`waitFor: condition not met within ${timeoutMs} ms`));
        }, timeoutMs);
        // Also poll: predicates may look at state outside this client (the server's status).
        const poll = pollMs > 0 ? setInterval(check, pollMs) : undefined;
        listeners.add(check);
        check();
      });
    },
    onHandled(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    reconnect() {
      stream.close();
      open();
      for (const [typeUrl, state] of states) {
        if (!state.announced) continue;
        state.nonce = '';
        state.told = undefined;
        announce(typeUrl, state);
      }
    },
    get lastEnd() {
      return lastEnd;
    },
    close() {
      closed = true;
      stream.close();
    },
  };

  open();
  if (follow) {
    setSubscription(TypeUrl.Cluster, '*');
    setSubscription(TypeUrl.Listener, '*');
  }
  return client;
}

/** Whether applying `response` adds or removes a held name (`fullState`: it replaces them all). */
function changesHeldNames(response: ReceivedResponse, held: ReadonlyMap<string, unknown>, fullState: boolean): boolean {
  if (fullState && response.resources.length !== held.size) return true;
  for (const r of response.resources) if (!held.has(r.name)) return true;
  for (const name of response.removed) if (held.has(name)) return true;
  return false;
}
