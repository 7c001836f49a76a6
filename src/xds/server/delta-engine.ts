/**
 * Incremental (delta) ADS for one stream. Per type it tracks what the client holds
 * (name → version, seeded from initial_resource_versions) and what it subscribed to, and sends
 * only new or changed resources plus removed names. Same single in-flight, ACK/NACK, ordering
 * and warming rules as SotW.
 */
import type { EncodedResource, ResourceSet, Snapshot } from '../cache/types.ts';
import { FULL_STATE_TYPES, isKnownTypeUrl, PUSH_ORDER, TYPE_SHORT_NAMES, TypeUrl } from '../type-urls.ts';
import { nextNonce } from './nonce.ts';
import { edsNameOfCluster, splitAny } from './proto-scan.ts';
import { pumpInOrder, type PumpStep } from './push-order.ts';
import type { DeltaRequest } from './requests.ts';
import { deltaResponse } from './response-wire.ts';
import type { HeldResource, NackInfo, Outbox, StreamEngine, TypeShortName, TypeStatus } from './stream-types.ts';

interface ClientCopy {
  readonly version: string;
  /** Undefined when only known from initial_resource_versions. */
  readonly resource: EncodedResource | undefined;
}

interface DeltaTypeState {
  readonly typeUrl: TypeUrl;
  wildcard: boolean;
  readonly names: Set<string>;
  /** What we believe the client holds (updated when we send: a NACKed version is not resent). */
  readonly has: Map<string, ClientCopy>;
  /** Newly subscribed names: if absent, the client is told so through removed_resources. */
  readonly missing: Set<string>;
  /** Names to send even if the client has their version (CLAs of re-sent clusters). */
  readonly forced: Set<string>;
  answered: boolean;
  sent: { nonce: string; version: string; upserts: readonly EncodedResource[]; names: ReadonlySet<string> } | undefined;
  inFlight: boolean;
  ackedVersion: string | undefined;
  nack: NackInfo | undefined;
  /** Resources whose last sent version was NACKed, with that NACK. */
  readonly nacked: Map<string, NackInfo>;
  dirty: boolean;
  /**
   * The resource set the client was last brought fully in line with (every in-scope name at its
   * version, nothing else held), or undefined after a subscription change. When set, the next
   * plan is the shared difference between that set and the new one instead of a walk over every
   * subscribed name.
   */
  syncedWith: ResourceSet | undefined;
}

interface SetDiff {
  readonly changed: readonly EncodedResource[];
  readonly removed: readonly string[];
}

// Differences between consecutive resource sets, computed once and shared by every stream.
const diffs = new WeakMap<ResourceSet, WeakMap<ResourceSet, SetDiff>>();

function diffSets(from: ResourceSet, to: ResourceSet): SetDiff {
  let byTarget = diffs.get(from);
  if (!byTarget) diffs.set(from, (byTarget = new WeakMap()));
  let diff = byTarget.get(to);
  if (!diff) {
    const changed: EncodedResource[] = [];
    for (const item of to.items.values()) if (from.items.get(item.name)?.version !== item.version) changed.push(item);
    const removed: string[] = [];
    for (const name of from.items.keys()) if (!to.items.has(name)) removed.push(name);
    diff = { changed, removed };
    byTarget.set(to, diff);
  }
  return diff;
}

interface DeltaPlan {
  readonly version: string;
  readonly upserts: readonly EncodedResource[];
  readonly removed: readonly string[];
  /** The set the plan brings the client in line with. */
  readonly from: ResourceSet;
}

/** Options for a delta engine. */
export interface DeltaEngineOptions {
  readonly outbox: Outbox;
  readonly controlPlane?: Uint8Array;
  readonly onUnknownType?: (typeUrl: string) => void;
  /** Called when the client rejects a response (for logs; the state is in status()). */
  readonly onNack?: (typeUrl: string, version: string, message: string) => void;
}

// Decoding a cluster for its EDS name is done once per encoded resource, shared by streams.
const edsNames = new WeakMap<EncodedResource, string | null>();

function edsNameOf(cluster: EncodedResource): string | undefined {
  let name = edsNames.get(cluster);
  if (name === undefined) {
    name = edsNameOfCluster(splitAny(cluster.any).value) ?? null;
    edsNames.set(cluster, name);
  }
  return name ?? undefined;
}

function inScope(state: DeltaTypeState, name: string): boolean {
  return state.wildcard || state.names.has(name);
}

/** Creates the delta engine of one stream. */
export function createDeltaEngine(options: DeltaEngineOptions): StreamEngine<DeltaRequest> {
  const { outbox } = options;
  const states = new Map<TypeUrl, DeltaTypeState>();
  let snapshot: Snapshot | undefined;

  const applyAck = (state: DeltaTypeState, request: DeltaRequest): void => {
    if (!state.sent || !state.inFlight || request.responseNonce !== state.sent.nonce) return;
    state.inFlight = false;
    // Nothing changed while the response was in flight: re-planning would find nothing to send.
    state.dirty ||= state.syncedWith === undefined || snapshot?.resources[state.typeUrl] !== state.syncedWith || state.forced.size > 0;
    if (request.errorDetail) {
      const { code, message } = request.errorDetail;
      state.nack = { version: state.sent.version, code, message, at: new Date().toISOString() };
      options.onNack?.(state.typeUrl, state.sent.version, message);
      for (const item of state.sent.upserts) state.nacked.set(item.name, { ...state.nack, version: item.version });
    } else {
      state.ackedVersion = state.sent.version;
      for (const name of state.sent.names) state.nacked.delete(name);
    }
  };

  const applySubscriptions = (state: DeltaTypeState, request: DeltaRequest): void => {
    if (request.subscribe.length > 0 || request.unsubscribe.length > 0) state.syncedWith = undefined;
    for (const name of request.subscribe) {
      if (name === '*') state.wildcard = true;
      else if (!state.names.has(name)) {
        state.names.add(name);
        if (!state.has.has(name)) state.missing.add(name);
      }
      state.dirty = true;
    }
    for (const name of request.unsubscribe) {
      if (name === '*') state.wildcard = false;
      else state.names.delete(name);
      state.dirty = true;
    }
    // The client drops what it unsubscribed from; we must not report those as removed.
    if (request.unsubscribe.length > 0) {
      for (const name of [...state.has.keys()]) if (!inScope(state, name)) state.has.delete(name);
    }
  };

  const onRequest = (request: DeltaRequest): void => {
    const typeUrl = request.typeUrl;
    if (!isKnownTypeUrl(typeUrl)) {
      options.onUnknownType?.(typeUrl);
      return;
    }
    let state = states.get(typeUrl);
    if (!state) {
      state = {
        typeUrl,
        wildcard: FULL_STATE_TYPES.has(typeUrl) && request.subscribe.length === 0,
        names: new Set(),
        has: new Map([...request.initialVersions].map(([name, version]) => [name, { version, resource: undefined }] as const)),
        missing: new Set(),
        forced: new Set(),
        answered: false,
        sent: undefined,
        inFlight: false,
        ackedVersion: undefined,
        nack: undefined,
        nacked: new Map(),
        dirty: true,
        syncedWith: undefined,
      };
      states.set(typeUrl, state);
    } else {
      applyAck(state, request);
    }
    applySubscriptions(state, request);
  };

  /** Every in-scope resource the client lacks or holds at another version, and what it must drop. */
  const fullPlan = (state: DeltaTypeState, set: ResourceSet): { upserts: EncodedResource[]; removed: string[] } => {
    const upserts: EncodedResource[] = [];
    const consider = (item: EncodedResource): void => {
      if (state.has.get(item.name)?.version !== item.version || state.forced.has(item.name)) upserts.push(item);
    };
    if (state.wildcard) for (const item of set.items.values()) consider(item);
    else {
      for (const name of state.names) {
        const item = set.items.get(name);
        if (item) consider(item);
      }
    }
    const removed: string[] = [];
    for (const name of state.has.keys()) if (!set.items.has(name) || !inScope(state, name)) removed.push(name);
    for (const name of state.missing) if (!set.items.has(name) && !state.has.has(name)) removed.push(name);
    return { upserts, removed };
  };

  /** The same result as fullPlan when the client is in line with `from`, in O(changes). */
  const diffPlan = (state: DeltaTypeState, from: ResourceSet, set: ResourceSet): { upserts: EncodedResource[]; removed: string[] } => {
    const diff = diffSets(from, set);
    return {
      upserts: diff.changed.filter((item) => inScope(state, item.name) && state.has.get(item.name)?.version !== item.version),
      removed: diff.removed.filter((name) => state.has.has(name)),
    };
  };

  const planFor = (state: DeltaTypeState): DeltaPlan | undefined => {
    if (!state.dirty || !snapshot) return undefined;
    const set = snapshot.resources[state.typeUrl];
    const canDiff = state.syncedWith !== undefined && state.forced.size === 0 && state.missing.size === 0;
    const { upserts, removed } = canDiff && state.syncedWith ? diffPlan(state, state.syncedWith, set) : fullPlan(state, set);
    // The first response is always sent: Envoy finishes initialisation of a type on it.
    if (upserts.length === 0 && removed.length === 0 && state.answered) {
      state.dirty = false;
      state.missing.clear();
      state.forced.clear();
      state.syncedWith = set;
      return undefined;
    }
    return { version: set.version, upserts, removed, from: set };
  };

  const stepFor = (state: DeltaTypeState): PumpStep<DeltaPlan> => ({
    due: () => planFor(state),
    inFlight: () => state.inFlight,
    send(plan) {
      const nonce = nextNonce();
      outbox.send(deltaResponse(state.typeUrl, plan.version, plan.upserts, plan.removed, nonce, options.controlPlane));
      for (const item of plan.upserts) state.has.set(item.name, { version: item.version, resource: item });
      for (const name of plan.removed) {
        state.has.delete(name);
        state.nacked.delete(name);
      }
      state.missing.clear();
      state.forced.clear();
      const names = new Set(plan.upserts.map((item) => item.name));
      for (const name of plan.removed) names.add(name);
      state.sent = { nonce, version: plan.version, upserts: plan.upserts, names };
      state.syncedWith = plan.from;
      state.inFlight = true;
      state.answered = true;
      state.dirty = false;
      const eds = states.get(TypeUrl.ClusterLoadAssignment);
      if (state.typeUrl === TypeUrl.Cluster && eds) {
        for (const cluster of plan.upserts) {
          const claName = edsNameOf(cluster);
          if (claName !== undefined && inScope(eds, claName)) {
            eds.forced.add(claName);
            eds.dirty = true;
          }
        }
      }
    },
  });

  // The steps in PUSH_ORDER, rebuilt only when a type is added: pump runs on every request and push.
  let steps: PumpStep<DeltaPlan>[] = [];
  let stepsFor = 0;
  const orderedSteps = (): readonly PumpStep<DeltaPlan>[] => {
    if (stepsFor !== states.size) {
      steps = [];
      for (const typeUrl of PUSH_ORDER) {
        const state = states.get(typeUrl);
        if (state) steps.push(stepFor(state));
      }
      stepsFor = states.size;
    }
    return steps;
  };

  return {
    onRequest,
    onSnapshot(next) {
      const previous = snapshot;
      snapshot = next;
      for (const state of states.values()) {
        if (!previous || previous.resources[state.typeUrl].version !== next.resources[state.typeUrl].version) {
          state.dirty = true;
        }
      }
    },
    pump() {
      pumpInOrder(outbox, orderedSteps());
    },
    types() {
      const out: Partial<Record<TypeShortName, TypeStatus>> = {};
      for (const state of states.values()) {
        const status: { -readonly [K in keyof TypeStatus]: TypeStatus[K] } = {
          subscribed: state.wildcard ? 'wildcard' : state.names.size,
          awaitingAck: state.inFlight,
        };
        if (state.sent) {
          status.versionSent = state.sent.version;
          status.nonceSent = state.sent.nonce;
        }
        if (state.ackedVersion !== undefined) status.versionAcked = state.ackedVersion;
        if (state.nack) status.lastNack = state.nack;
        out[TYPE_SHORT_NAMES[state.typeUrl] as TypeShortName] = status;
      }
      return out;
    },
    held() {
      const out: HeldResource[] = [];
      for (const state of states.values()) {
        const { typeUrl } = state;
        for (const [name, copy] of state.has) {
          const nack = state.nacked.get(name);
          const base = { typeUrl, name, versionInfo: copy.version, any: copy.resource?.any };
          if (nack && nack.version === copy.version) out.push({ ...base, any: undefined, status: 'NACKED', nack });
          else if (state.inFlight && state.sent?.names.has(name)) out.push({ ...base, status: 'REQUESTED' });
          else out.push({ ...base, status: 'ACKED' });
        }
        for (const name of state.names) {
          if (!state.has.has(name)) {
            out.push({ typeUrl, name, versionInfo: '', any: undefined, status: state.answered ? 'DOES_NOT_EXIST' : 'REQUESTED' });
          }
        }
      }
      return out;
    },
  };
}
