/**
 * State-of-the-world ADS for one stream: subscriptions per type, ACK/NACK bookkeeping, and the
 * decision of what to send. A response is sent when a type is first requested, when its
 * subscription changes what it would receive, or when a new snapshot does; an unchanged response
 * is never resent. At most one response per type is in flight.
 */
import type { ResourceSet, Snapshot } from '../cache/types.ts';
import { FULL_STATE_TYPES, isKnownTypeUrl, PUSH_ORDER, TYPE_SHORT_NAMES, TypeUrl } from '../type-urls.ts';
import { nextNonce } from './nonce.ts';
import { pumpInOrder, type PumpStep } from './push-order.ts';
import type { SotwRequest } from './requests.ts';
import { partialSotw, prepareSotw, sotwResponse, type PreparedSotw } from './response-wire.ts';
import type { HeldResource, NackInfo, Outbox, StreamEngine, TypeShortName, TypeStatus } from './stream-types.ts';

interface SotwTypeState {
  readonly typeUrl: TypeUrl;
  /** This type's bit in the engine's masks: 1 << its index in PUSH_ORDER. */
  readonly bit: number;
  /** First request had no names (LDS/CDS only): wildcard until a non-empty list arrives. */
  legacyWildcard: boolean;
  explicitWildcard: boolean;
  /** Sorted, unique explicit names (no `*`). */
  names: readonly string[];
  /** `*` for wildcard, else the names joined: the key of the shared prepared response. */
  key: string;
  /** resource_names exactly as last received: an ACK repeating them skips re-sorting. */
  rawNames: readonly string[];
  /** The encoded names of the last request (SotwRequest.namesWire), when they were contiguous. */
  rawNamesWire: Uint8Array | undefined;
  /** The client's version_info on its first request (reconnect): adopted if it is current. */
  initialVersion: string;
  sent: { prepared: PreparedSotw; nonce: string } | undefined;
  inFlight: boolean;
  acked: PreparedSotw | undefined;
  nack: (NackInfo & { prepared: PreparedSotw }) | undefined;
  /** Send even if unchanged (EDS after a cluster change: Envoy leaves such a cluster warming). */
  forced: boolean;
}

/** Options for a SotW engine. */
export interface SotwEngineOptions {
  readonly outbox: Outbox;
  readonly controlPlane?: Uint8Array;
  /** Called for requests naming a type the server does not serve. */
  readonly onUnknownType?: (typeUrl: string) => void;
  /** Called when the client rejects a response (for logs; the state is in status()). */
  readonly onNack?: (typeUrl: string, version: string, message: string) => void;
}

/**
 * Types whose SotW responses carry only what changed since the client's acknowledged copy (the
 * xDS spec requires full state for Listener and Cluster only; Envoy and gRPC keep EDS and RDS
 * resources a response does not name). An endpoint change then costs one CLA per stream, not
 * every CLA the stream holds. Secrets stay full: they are few and small.
 */
const PARTIAL_TYPES: ReadonlySet<TypeUrl> = new Set<TypeUrl>([TypeUrl.ClusterLoadAssignment, TypeUrl.RouteConfiguration]);

/** PUSH_ORDER index → bit, by type. */
const TYPE_BITS: ReadonlyMap<TypeUrl, number> = new Map(PUSH_ORDER.map((url, i) => [url, 1 << i] as const));
const ALL_TYPES = (1 << PUSH_ORDER.length) - 1;

/**
 * Which types differ between two snapshots. Unchanged types share their set object, so this is
 * mostly identity compares; a stream then touches only the state of a type that changed.
 */
function changedTypeMask(previous: Snapshot, next: Snapshot): number {
  let mask = 0;
  for (let i = 0; i < PUSH_ORDER.length; i += 1) {
    const url = PUSH_ORDER[i] as TypeUrl;
    const a = previous.resources[url];
    const b = next.resources[url];
    if (a !== b && a.version !== b.version) mask |= 1 << i;
  }
  return mask;
}

function isWildcard(state: SotwTypeState): boolean {
  return state.explicitWildcard || (state.legacyWildcard && state.names.length === 0);
}

/** A request's resource_names as a subscription: sorted unique explicit names, and whether `*` is among them. */
function normalizeNames(names: readonly string[]): { explicit: string[]; star: boolean } {
  return { explicit: [...new Set(names.filter((name) => name !== '*'))].sort(), star: names.includes('*') };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * One string object per distinct key. The prepared-response cache is looked up with a stream's
 * key on every pump; a key of 1,000 names is ~30 KB, and two equal keys that are different
 * string objects are compared character by character on every lookup. Interned, they compare as
 * one pointer. The table is cleared when it grows past its bound (keys are re-interned as
 * subscriptions change; an old key still works, only slower).
 */
const internedKeys = new Map<string, string>();
const MAX_INTERNED_KEYS = 50_000;

function intern(key: string): string {
  const known = internedKeys.get(key);
  if (known !== undefined) return known;
  if (internedKeys.size >= MAX_INTERNED_KEYS) internedKeys.clear();
  internedKeys.set(key, key);
  return key;
}

function subscriptionKey(state: SotwTypeState): string {
  return isWildcard(state) ? '*' : intern(state.names.join('\0'));
}

function changedItems(previous: PreparedSotw | undefined, next: PreparedSotw): boolean {
  if (!previous) return next.items.length > 0;
  const before = new Map(previous.items.map((item) => [item.name, item.version] as const));
  return next.items.some((item) => before.get(item.name) !== item.version);
}

/** Creates the SotW engine of one stream. */
export function createSotwEngine(options: SotwEngineOptions): StreamEngine<SotwRequest> {
  const { outbox } = options;
  const states = new Map<TypeUrl, SotwTypeState>();
  let snapshot: Snapshot | undefined;
  // Bits of the types with a state, and of those with something new since their last evaluation
  // (dirty): pump and onSnapshot touch only the states that need it.
  let presentMask = 0;
  let dirtyMask = 0;
  const markDirty = (state: SotwTypeState): void => {
    dirtyMask |= state.bit;
  };
  const settle = (state: SotwTypeState): void => {
    dirtyMask &= ~state.bit;
  };

  const prepared = (state: SotwTypeState, set: ResourceSet): PreparedSotw => {
    return prepareSotw(state.typeUrl, set, isWildcard(state), state.names, state.key);
  };

  const onRequest = (request: SotwRequest): void => {
    const typeUrl = request.typeUrl;
    if (!isKnownTypeUrl(typeUrl)) {
      options.onUnknownType?.(typeUrl);
      return;
    }
    let state = states.get(typeUrl);
    if (!state) {
      const { explicit, star } = normalizeNames(request.resourceNames);
      state = {
        typeUrl,
        bit: TYPE_BITS.get(typeUrl) ?? 0,
        legacyWildcard: FULL_STATE_TYPES.has(typeUrl) && request.resourceNames.length === 0,
        explicitWildcard: star,
        names: explicit,
        key: '',
        rawNames: request.resourceNames,
        rawNamesWire: request.namesWire === undefined ? undefined : Buffer.from(request.namesWire),
        initialVersion: request.versionInfo,
        sent: undefined,
        inFlight: false,
        acked: undefined,
        nack: undefined,
        forced: false,
      };
      state.key = subscriptionKey(state);
      states.set(typeUrl, state);
      presentMask |= state.bit;
      dirtyMask |= state.bit;
      return;
    }
    // ACK/NACK only for the latest nonce; a stale nonce still carries a valid subscription.
    if (state.sent && state.inFlight && request.responseNonce === state.sent.nonce) {
      // Not marked dirty: news that came while this response was in flight (a snapshot, a forced
      // EDS resend, types held behind this one) left their states dirty, and the session pumps
      // after every request. An ACK with nothing new then costs no pump at all.
      state.inFlight = false;
      if (request.errorDetail) {
        const { code, message } = request.errorDetail;
        state.nack = { version: state.sent.prepared.version, code, message, at: new Date().toISOString(), prepared: state.sent.prepared };
        options.onNack?.(state.typeUrl, state.sent.prepared.version, message);
      } else {
        state.acked = state.sent.prepared;
      }
    }
    // Most requests are ACKs repeating the last list: nothing to decode, normalize or compare.
    if (request.namesWire !== undefined && state.rawNamesWire !== undefined && Buffer.compare(request.namesWire, state.rawNamesWire) === 0) return;
    // A copy: the request's bytes are a view of a transport buffer, often larger, and reused once handled.
    state.rawNamesWire = request.namesWire === undefined ? undefined : Buffer.from(request.namesWire);
    if (sameList(state.rawNames, request.resourceNames)) return;
    state.rawNames = request.resourceNames;
    const { explicit, star } = normalizeNames(request.resourceNames);
    const wasWildcard = isWildcard(state);
    if (request.resourceNames.length > 0) state.legacyWildcard = false;
    state.explicitWildcard = star;
    if (!sameNames(state.names, explicit) || wasWildcard !== isWildcard(state)) {
      state.names = explicit;
      markDirty(state);
    }
    state.key = subscriptionKey(state);
  };

  const stepFor = (state: SotwTypeState): PumpStep<PreparedSotw> => ({
    due() {
      if ((dirtyMask & state.bit) === 0 || !snapshot) return undefined;
      const next = prepared(state, snapshot.resources[state.typeUrl]);
      if (!state.sent) {
        // Reconnect: the client already holds exactly this response.
        if (state.initialVersion !== '' && state.initialVersion === next.version) {
          state.sent = { prepared: next, nonce: '' };
          state.acked = next;
          settle(state);
          return undefined;
        }
        return next;
      }
      if (state.forced) return next;
      if (next.version !== state.sent.prepared.version) {
        // Only names left the subscription: the client holds every item of `next` already.
        if (PARTIAL_TYPES.has(state.typeUrl) && state.acked && !state.inFlight && !partialSotw(state.acked, next)) {
          state.sent = { prepared: next, nonce: state.sent.nonce };
          state.acked = next;
          settle(state);
          return undefined;
        }
        return next;
      }
      settle(state);
      return undefined;
    },
    inFlight: () => state.inFlight,
    send(next) {
      const previous = state.sent?.prepared;
      let nonce: string;
      if (previous === next) {
        // The same content again (a forced EDS resend): a fresh nonce, so the ACK of this send
        // is told apart from that of the last one.
        nonce = nextNonce();
        outbox.send(sotwResponse(next, nonce, options.controlPlane));
      } else {
        // Usual case: the bytes (and nonce) built once for this content, shared by every stream
        // (for EDS/RDS, by every stream that acknowledged the same earlier content).
        // A stream may get one content's nonce again later (subscription A → B → A); every
        // request echoing the earlier send arrived before the ACK that allowed this one (one
        // ordered stream, one response in flight), so a matching nonce can only answer this send.
        const partial = PARTIAL_TYPES.has(state.typeUrl) && !state.forced && state.acked ? partialSotw(state.acked, next) : undefined;
        const shared = (partial ?? next).shared(options.controlPlane);
        nonce = shared.nonce;
        outbox.send(shared.bytes);
      }
      state.sent = { prepared: next, nonce };
      state.inFlight = true;
      settle(state);
      state.forced = false;
      if (state.typeUrl === TypeUrl.Cluster && changedItems(previous, next)) {
        const eds = states.get(TypeUrl.ClusterLoadAssignment);
        if (eds?.sent) {
          eds.forced = true;
          markDirty(eds);
        }
      }
    },
  });

  // The steps by PUSH_ORDER index (holes for types not requested), rebuilt only when a type is
  // added: pump runs on every request and push.
  let steps: (PumpStep<PreparedSotw> | undefined)[] = [];
  let stepsFor = 0;
  const orderedSteps = (): readonly (PumpStep<PreparedSotw> | undefined)[] => {
    if (stepsFor !== states.size) {
      steps = PUSH_ORDER.map((typeUrl) => {
        const state = states.get(typeUrl);
        return state ? stepFor(state) : undefined;
      });
      stepsFor = states.size;
    }
    return steps;
  };

  return {
    onRequest,
    onSnapshot(next) {
      const previous = snapshot;
      snapshot = next;
      // Only the states of types that changed (and are not dirty already) are touched.
      const changed = (previous ? changedTypeMask(previous, next) : ALL_TYPES) & presentMask & ~dirtyMask;
      if (changed === 0) return;
      for (let i = 0; i < PUSH_ORDER.length; i += 1) {
        if ((changed & (1 << i)) === 0) continue;
        const state = states.get(PUSH_ORDER[i] as TypeUrl);
        if (state) markDirty(state);
      }
    },
    pump() {
      if (dirtyMask !== 0) pumpInOrder(outbox, orderedSteps(), dirtyMask);
    },
    types() {
      const out: Partial<Record<TypeShortName, TypeStatus>> = {};
      for (const state of states.values()) {
        const status: { -readonly [K in keyof TypeStatus]: TypeStatus[K] } = {
          subscribed: isWildcard(state) ? 'wildcard' : state.names.length,
          awaitingAck: state.inFlight,
        };
        if (state.sent) {
          status.versionSent = state.sent.prepared.version;
          status.nonceSent = state.sent.nonce;
        }
        if (state.acked) status.versionAcked = state.acked.version;
        if (state.nack) status.lastNack = { version: state.nack.version, code: state.nack.code, message: state.nack.message, at: state.nack.at };
        out[TYPE_SHORT_NAMES[state.typeUrl] as TypeShortName] = status;
      }
      return out;
    },
    held() {
      const out: HeldResource[] = [];
      for (const state of states.values()) out.push(...heldOf(state));
      return out;
    },
  };
}

/** What CSDS reports for one type: acked copies, NACKed ones, in-flight ones, missing names. */
function heldOf(state: SotwTypeState): HeldResource[] {
  const out = new Map<string, HeldResource>();
  const { typeUrl, acked, nack, sent } = state;
  const ackedItems = new Map((acked?.items ?? []).map((item) => [item.name, item] as const));
  for (const item of ackedItems.values()) {
    out.set(item.name, { typeUrl, name: item.name, versionInfo: acked?.version ?? '', any: item.any, status: 'ACKED' });
  }
  // The latest answer wins: a NACK of the last response marks what it would have changed.
  if (nack && sent && nack.prepared === sent.prepared && !state.inFlight) {
    const { prepared, ...info } = nack;
    for (const item of prepared.items) {
      const held = ackedItems.get(item.name);
      if (held?.version === item.version) continue;
      out.set(item.name, { typeUrl, name: item.name, versionInfo: acked?.version ?? '', any: held?.any, status: 'NACKED', nack: info });
    }
  }
  if (sent && state.inFlight) {
    for (const item of sent.prepared.items) {
      if (ackedItems.get(item.name)?.version !== item.version) {
        out.set(item.name, { typeUrl, name: item.name, versionInfo: sent.prepared.version, any: item.any, status: 'REQUESTED' });
      }
    }
  }
  for (const name of state.names) {
    if (!out.has(name)) out.set(name, { typeUrl, name, versionInfo: '', any: undefined, status: sent ? 'DOES_NOT_EXIST' : 'REQUESTED' });
  }
  return [...out.values()];
}
