/**
 * The pipeline: registry snapshot → mesh model → per-view snapshots, served to the ADS server as
 * a SnapshotSource. Proxies whose views are equal share one snapshot. Changes are coalesced: the
 * first change is flushed on the next turn of the event loop, and changes that arrive while a
 * flush runs are folded into the following one, so a burst becomes one push per proxy.
 * An endpoint-only change rebuilds only the affected ClusterLoadAssignments, and costs O(changed
 * services + views that see them), not O(mesh): the model is updated in place of a rebuild
 * (`updateMeshModel`), views are found through a service → views index, and each view's endpoint
 * set is patched copy-on-write (`patchResourceSet`). A snapshot that fails its consistency check
 * is never published: proxies keep the last good one.
 */
import { buildMeshModel, updateMeshModel } from '../model/build-model.ts';
import { parseNodeIdentity } from '../model/node-identity.ts';
import type { MeshModel, ProxyIdentity, ProxyView, ServiceModel } from '../model/types.ts';
import { viewFor } from '../model/view.ts';
import type { CertificateSource, IdentityVerifier } from '../ca/types.ts';
import type { ConfigLookup } from '../config/types.ts';
import { authorizationModel } from '../model/authorization.ts';
import { spiffeIdOf } from '../model/names.ts';
import type { RegistryChange, RegistrySnapshot, ServiceKey } from '../registry/types.ts';
import { formatDiagnostic, type Diagnostic } from '../util/errors.ts';
import { createLogger, type Logger } from '../util/log.ts';
import { buildSecrets, createTranslationMemo, translateView, type NamedResource } from '../xds/resources/translate.ts';
import { buildSnapshot, patchResourceSet, sameContent, withResourceSet } from '../xds/cache/snapshot.ts';
import type { NodeInfo, ResourceSet, Snapshot, SnapshotSource, SnapshotWatch } from '../xds/cache/types.ts';
import { TypeUrl } from '../xds/type-urls.ts';
import { createResourceEncoder } from './resource-encoder.ts';

/** What the pipeline needs from the config stage: the current lookup, and word when it changes. */
export interface ConfigFeed {
  lookup(): ConfigLookup;
  onChange(listener: () => void): () => void;
}

/** What the pipeline needs from the registry. */
export interface RegistryFeed {
  snapshot(): RegistrySnapshot;
  onChange(listener: (change: RegistryChange, snapshot: RegistrySnapshot) => void): () => void;
}

export interface ViewStatus {
  readonly key: string;
  readonly kind: string;
  readonly serviceKey: string;
  readonly namespace: string;
  readonly proxies: number;
  readonly visibleServices: number;
  readonly snapshotVersion: string | undefined;
  readonly diagnostics: readonly string[];
  /** The last build that was refused (kept the previous snapshot), if any. */
  readonly lastError: string | undefined;
}

export interface PipelineStats {
  flushes: number;
  fullBuilds: number;
  endpointOnlyBuilds: number;
  lastFlushMs: number;
  encoded: number;
  reused: number;
}

export interface MeshPipeline extends SnapshotSource {
  model(): MeshModel;
  views(): ViewStatus[];
  stats(): PipelineStats;
  /** Runs a pending flush now (tests and benchmarks); returns when it is done. */
  flushNow(): void;
  close(): void;
}

interface Watcher {
  readonly onChange: (snapshot: Snapshot) => void;
}

interface ViewEntry {
  key: string;
  readonly identity: ProxyIdentity;
  view: ProxyView;
  visibleKeys: ReadonlySet<ServiceKey>;
  snapshot: Snapshot | undefined;
  diagnostics: readonly Diagnostic[];
  lastError: string | undefined;
  readonly watchers: Set<Watcher>;
  /** Set while the view has no proxy and waits out its grace period. */
  retireTimer?: NodeJS.Timeout | undefined;
}

export interface MeshPipelineOptions {
  readonly registry: RegistryFeed;
  readonly config?: ConfigFeed;
  /** Certificates for SDS; without it no Secret is served. */
  readonly certificates?: CertificateSource;
  /** Checks the join token a sidecar presents; without it no sidecar is treated as proven. */
  readonly verifier?: IdentityVerifier;
  /** The SPIFFE trust domain of the mesh. */
  readonly trustDomain?: string;
  /**
   * How long a view outlives its last proxy (default 0). A reconnecting fleet then finds its
   * snapshots ready instead of rebuilding every view.
   */
  readonly viewGraceMs?: number;
  readonly log?: Logger;
}

export function createMeshPipeline(options: MeshPipelineOptions): MeshPipeline {
  const log = options.log ?? createLogger('pipeline');
  const encoder = createResourceEncoder();
  const memo = createTranslationMemo();
  const stats: PipelineStats = { flushes: 0, fullBuilds: 0, endpointOnlyBuilds: 0, lastFlushMs: 0, encoded: 0, reused: 0 };
  let registrySnapshot = options.registry.snapshot();
  const modelOptions = options.trustDomain ? { trustDomain: options.trustDomain } : {};
  // Built on first use (the first watch), not here: at start-up the servers listen before the
  // model of a large mesh is built.
  let built: MeshModel | undefined;
  const currentModel = (): MeshModel => (built ??= buildMeshModel(registrySnapshot, undefined, options.config?.lookup(), modelOptions));
  const entries = new Map<string, ViewEntry>();
  // Which views see a service, so an endpoint change visits only those views.
  const viewsByService = new Map<ServiceKey, Set<ViewEntry>>();
  // Views without a snapshot (their last build was refused): every flush retries them.
  const unbuilt = new Set<ViewEntry>();

  function index(entry: ViewEntry): void {
    for (const key of entry.visibleKeys) {
      let set = viewsByService.get(key);
      if (!set) viewsByService.set(key, (set = new Set()));
      set.add(entry);
    }
  }

  function unindex(entry: ViewEntry): void {
    unbuilt.delete(entry);
    for (const key of entry.visibleKeys) {
      const set = viewsByService.get(key);
      set?.delete(entry);
      if (set?.size === 0) viewsByService.delete(key);
    }
  }

  let pending = false;
  const pendingEndpointChanges = new Set<ServiceKey>();
  let pendingServiceChange = false;
  let scheduled: NodeJS.Immediate | undefined;

  const unsubscribe = options.registry.onChange((change, snapshot) => {
    registrySnapshot = snapshot;
    pending = true;
    for (const key of change.endpointsChanged) pendingEndpointChanges.add(key);
    if (change.servicesChanged.length > 0) pendingServiceChange = true;
    scheduled ??= setImmediate(flush);
  });
  // A config change can touch any service's clusters, routes or listeners: rebuild fully.
  const unsubscribeConfig = options.config?.onChange(() => {
    pending = true;
    pendingServiceChange = true;
    scheduled ??= setImmediate(flush);
  });

  // Issued, renewed or rotated certificates change Secrets only.
  const pendingSecrets = new Set<string>();
  let pendingBundle = false;
  const unsubscribeCertificates = options.certificates?.onChange((change) => {
    for (const id of change.identities) pendingSecrets.add(id);
    if (change.bundle) pendingBundle = true;
    scheduled ??= setImmediate(flush);
  });

  /** The SDS secrets of a proven sidecar: its certificate and the trust bundle. */
  function secretsFor(view: ProxyView): ReturnType<typeof buildSecrets> {
    if (!options.certificates || view.workloadIdentity === '') return [];
    return buildSecrets(options.certificates.certificateFor(view.workloadIdentity), options.certificates.bundle());
  }

  function buildFull(entry: ViewEntry): void {
    stats.fullBuilds += 1;
    const result = translateView(entry.view, memo);
    entry.diagnostics = result.diagnostics;
    const problems = result.diagnostics.filter((d) => d.severity === 'error' && d.field === 'consistency').map((d) => d.message);
    if (problems.length > 0) {
      entry.lastError = `inconsistent snapshot refused: ${problems.join('; ')}`;
      log.error('keeping the last good snapshot', { view: entry.key, problems });
      if (!entry.snapshot && entries.get(entry.key) === entry) unbuilt.add(entry);
      return;
    }
    const sets: Partial<Record<TypeUrl, ResourceSet>> = {};
    const before = entry.snapshot?.resources;
    const isOwn = (resource: NamedResource): boolean => result.own.has(resource);
    for (const url of Object.values(TypeUrl)) sets[url] = encoder.encodeSet(url, result.resources[url] ?? [], before?.[url], isOwn);
    sets[TypeUrl.Secret] = encoder.encodeSet(TypeUrl.Secret, secretsFor(entry.view), before?.[TypeUrl.Secret]);
    // Nothing changed: keep the snapshot object (no new version, nothing for streams to compare).
    const unchanged = before !== undefined && Object.values(TypeUrl).every((url) => sets[url] === before[url]);
    if (!unchanged) entry.snapshot = buildSnapshot(sets);
    entry.lastError = undefined;
    unbuilt.delete(entry);
  }

  /**
   * Rebuilds only the endpoints of `changed` services; everything else is shared with the old
   * snapshot. Views that held the same endpoint set (one object, shared) and whose proxies share a
   * locality get the same new set, so it is built once per flush: `patched` maps the old set, then
   * the locality and changed services, to the new one. Thousands of views share a few sets, and
   * this runs for each of them on every endpoint change: no per-view strings or hashing.
   */
  function buildEndpointsOnly(entry: ViewEntry, previous: Snapshot, changed: TouchedServices, patched: Map<ResourceSet, Map<string, ResourceSet>>): void {
    stats.endpointOnlyBuilds += 1;
    const before = previous.resources[TypeUrl.ClusterLoadAssignment];
    let byLocality = patched.get(before);
    if (!byLocality) patched.set(before, (byLocality = new Map()));
    const key = `${localityKeyOf(entry.view)}\0${changed.key}`;
    let endpointsSet = byLocality.get(key);
    if (!endpointsSet) {
      const replacements = [];
      for (const service of changed.services) {
        for (const cluster of service.clusters) {
          replacements.push(encoder.encode(TypeUrl.ClusterLoadAssignment, memo.assignment(cluster, entry.view.locality)));
        }
      }
      endpointsSet = patchResourceSet(before, replacements);
      byLocality.set(key, endpointsSet);
    }
    entry.snapshot = withResourceSet(previous, TypeUrl.ClusterLoadAssignment, endpointsSet);
  }

  function flush(): void {
    scheduled = undefined;
    flushSecrets();
    if (!pending) return;
    const started = performance.now();
    const previousModel = built;
    const endpointKeys = [...pendingEndpointChanges];
    const serviceChange = pendingServiceChange;
    pending = false;
    pendingEndpointChanges.clear();
    pendingServiceChange = false;
    stats.flushes += 1;
    // No model yet means no view yet: the first use builds from the latest registry.
    if (!previousModel) return;
    const lookup = options.config?.lookup();
    const model =
      (serviceChange ? undefined : updateMeshModel(previousModel, registrySnapshot, endpointKeys, lookup, modelOptions)) ??
      buildMeshModel(registrySnapshot, previousModel, lookup, modelOptions);
    built = model;
    const patched = new Map<ResourceSet, Map<string, ResourceSet>>();

    // After a service or config change every view may change; otherwise only the views that see a
    // changed service (with the changed services each sees), and those still waiting for a first
    // good snapshot.
    const touchedBy = serviceChange ? undefined : touchedServices(endpointKeys, previousModel, model);
    const candidates: Iterable<ViewEntry> = touchedBy ? new Set([...unbuilt, ...touchedBy.keys()]) : [...entries.values()];
    for (const entry of candidates) {
      if (entries.get(entry.key) !== entry) continue;
      const oldSnapshot = entry.snapshot;
      const touched = touchedBy?.get(entry);
      // Endpoints cannot change a view (its key covers no endpoint), so the view is kept as is.
      if (touched && oldSnapshot && touched.endpointOnly) {
        buildEndpointsOnly(entry, oldSnapshot, touched, patched);
      } else {
        const view = viewOf(entry.identity);
        if (view.key !== entry.key) rekey(entry, view);
        entry.view = view;
        buildFull(entry);
      }
      if (entry.snapshot && entry.snapshot !== oldSnapshot && !(oldSnapshot && sameContent(oldSnapshot, entry.snapshot))) notify(entry);
    }
    stats.encoded = encoder.stats.encoded;
    stats.reused = encoder.stats.reused;
    stats.lastFlushMs = performance.now() - started;
  }

  /**
   * For each view that sees a service whose endpoints changed: those services, a key naming them,
   * and whether only their endpoints changed. Views seeing the same changed services share one
   * record (one per distinct combination; one in all for the usual single change).
   */
  function touchedServices(keys: readonly ServiceKey[], previous: MeshModel, model: MeshModel): Map<ViewEntry, TouchedServices> {
    const byEntry = new Map<ViewEntry, TouchedServices>();
    const combinations = new Map<string, TouchedServices>();
    for (const key of keys) {
      const service = model.services.get(key);
      if (!service) continue;
      const single = combined(combinations, undefined, service, endpointOnly(previous, service));
      for (const entry of viewsByService.get(key) ?? []) {
        const sofar = byEntry.get(entry);
        byEntry.set(entry, sofar ? combined(combinations, sofar, service, single.endpointOnly) : single);
      }
    }
    return byEntry;
  }

  /** Replaces the Secret set of every proven view whose certificate or bundle changed. */
  function flushSecrets(): void {
    if (pendingSecrets.size === 0 && !pendingBundle) return;
    for (const entry of entries.values()) {
      const id = entry.view.workloadIdentity;
      const previous = entry.snapshot;
      if (id === '' || !previous || (!pendingBundle && !pendingSecrets.has(id))) continue;
      entry.snapshot = withResourceSet(previous, TypeUrl.Secret, encoder.encodeSet(TypeUrl.Secret, secretsFor(entry.view), previous.resources[TypeUrl.Secret]));
      if (entry.snapshot !== previous && !sameContent(previous, entry.snapshot)) notify(entry);
    }
    pendingSecrets.clear();
    pendingBundle = false;
  }

  function rekey(entry: ViewEntry, view: ProxyView): void {
    entries.delete(entry.key);
    unindex(entry);
    entry.key = view.key;
    entry.visibleKeys = new Set(view.visibleServices.map((s) => s.key));
    const existing = entries.get(view.key);
    if (existing) {
      for (const watcher of entry.watchers) existing.watchers.add(watcher);
      entry.watchers.clear();
    } else {
      entries.set(view.key, entry);
      index(entry);
    }
  }

  function notify(entry: ViewEntry): void {
    const snapshot = entry.snapshot;
    if (!snapshot) return;
    for (const watcher of entry.watchers) {
      try {
        watcher.onChange(snapshot);
      } catch (error) {
        log.error('snapshot watcher failed', { view: entry.key, error: String(error) });
      }
    }
  }

  /** The proxy's view; for an own service not registered yet, its mTLS mode and authorization come from config. */
  function viewOf(identity: ProxyIdentity): ProxyView {
    const model = currentModel();
    const ownKey = identity.service === '' ? '' : `${identity.service}.${identity.namespace}`;
    if (ownKey === '' || model.services.has(ownKey) || !options.config) return viewFor(model, identity);
    const lookup = options.config.lookup();
    return viewFor(
      model,
      identity,
      lookup.forService(ownKey).settings.mtls?.mode,
      authorizationModel(ownKey, lookup.authorizationFor(ownKey), model.trustDomain),
    );
  }

  /** The identity with `spiffeId` set when its join token proves exactly this workload's identity. */
  function proven(identity: ProxyIdentity, nodeId: string): ProxyIdentity {
    if (identity.joinToken === '' || !options.verifier || identity.service === '') return identity;
    const expected = spiffeIdOf(currentModel().trustDomain, identity.namespace, identity.service);
    const proved = options.verifier.verifyJoinToken(identity.joinToken);
    if (proved === expected) return { ...identity, spiffeId: proved };
    // Never log the token itself.
    log.warn('join token refused: it does not prove this workload\'s identity', { node: nodeId, expected, proved: proved ?? 'nothing' });
    return identity;
  }

  /** Forgets a view nobody watches, after the grace period (a proxy joining meanwhile keeps it). */
  function retire(entry: ViewEntry): void {
    const forget = (): void => {
      entry.retireTimer = undefined;
      if (entry.watchers.size > 0 || entries.get(entry.key) !== entry) return;
      entries.delete(entry.key);
      unindex(entry);
    };
    const grace = options.viewGraceMs ?? 0;
    if (grace <= 0) return forget();
    clearTimeout(entry.retireTimer);
    entry.retireTimer = setTimeout(forget, grace);
    entry.retireTimer.unref();
  }

  function watch(node: NodeInfo, onChange: (snapshot: Snapshot) => void): SnapshotWatch {
    const parsed = parseNodeIdentity(node);
    for (const d of parsed.diagnostics) log.warn('node metadata problem', { node: node.id, problem: formatDiagnostic(d) });
    const identity = proven(parsed.identity, node.id);
    const view = viewOf(identity);
    let entry = entries.get(view.key);
    if (!entry) {
      entry = {
        key: view.key,
        identity,
        view,
        visibleKeys: new Set(view.visibleServices.map((s) => s.key)),
        snapshot: undefined,
        diagnostics: [],
        lastError: undefined,
        watchers: new Set(),
      };
      entries.set(view.key, entry);
      index(entry);
      buildFull(entry);
    }
    const watcher: Watcher = { onChange };
    clearTimeout(entry.retireTimer);
    entry.retireTimer = undefined;
    entry.watchers.add(watcher);
    const key = view.key;
    return {
      current: () => findEntry(watcher, key)?.snapshot,
      close: () => {
        const owner = findEntry(watcher, key);
        if (!owner) return;
        owner.watchers.delete(watcher);
        if (owner.watchers.size === 0) retire(owner);
      },
    };
  }

  /** The entry holding `watcher` (entries can be re-keyed when the model changes). */
  function findEntry(watcher: Watcher, originalKey: string): ViewEntry | undefined {
    const direct = entries.get(originalKey);
    if (direct?.watchers.has(watcher)) return direct;
    for (const entry of entries.values()) if (entry.watchers.has(watcher)) return entry;
    return undefined;
  }

  return {
    watch,
    model: currentModel,
    views: () =>
      [...entries.values()].map((entry) => ({
        key: entry.key,
        kind: entry.view.kind,
        serviceKey: entry.view.serviceKey,
        namespace: entry.view.namespace,
        proxies: entry.watchers.size,
        visibleServices: entry.view.visibleServices.length,
        snapshotVersion: entry.snapshot?.version,
        diagnostics: entry.diagnostics.map(formatDiagnostic),
        lastError: entry.lastError,
      })),
    stats: () => ({ ...stats }),
    flushNow: () => {
      if (scheduled) clearImmediate(scheduled);
      flush();
    },
    close: () => {
      unsubscribe();
      unsubscribeConfig?.();
      unsubscribeCertificates?.();
      for (const entry of entries.values()) clearTimeout(entry.retireTimer);
      if (scheduled) clearImmediate(scheduled);
      scheduled = undefined;
    },
  };
}

/** The changed services a view sees: `key` names the combination (shared-set lookups). */
interface TouchedServices {
  readonly key: string;
  readonly services: readonly ServiceModel[];
  /** Only endpoints changed (ports, protocol and clusters as before): the view itself is unchanged. */
  readonly endpointOnly: boolean;
}

/** `sofar` plus `service`, one shared record per combination. */
function combined(combinations: Map<string, TouchedServices>, sofar: TouchedServices | undefined, service: ServiceModel, endpointOnly: boolean): TouchedServices {
  const key = sofar ? `${sofar.key}\0${service.key}` : service.key;
  let record = combinations.get(key);
  if (!record) {
    record = {
      key,
      services: sofar ? [...sofar.services, service] : [service],
      endpointOnly: (sofar?.endpointOnly ?? true) && endpointOnly,
    };
    combinations.set(key, record);
  }
  return record;
}

/** The locality part of a shared endpoint set's key (assignments are prioritized by it). */
const localityKeys = new WeakMap<ProxyView, string>();
function localityKeyOf(view: ProxyView): string {
  let key = localityKeys.get(view);
  if (key === undefined) {
    const { region, zone, subZone } = view.locality;
    localityKeys.set(view, (key = `${region}\0${zone}\0${subZone}`));
  }
  return key;
}

/** True when only the endpoints of `service` changed (same port and protocol as before). */
function endpointOnly(previous: MeshModel, service: ServiceModel): boolean {
  const before = previous.services.get(service.key);
  return before !== undefined && before.port === service.port && before.protocol === service.protocol &&
    before.clusters.length === service.clusters.length &&
    before.clusters.every((c, i) => c.name === service.clusters[i]?.name);
}
