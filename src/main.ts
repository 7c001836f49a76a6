/**
 * Composition root: opens the store, builds the stages, connects them and starts the servers.
 * Nothing else in Trellis wires modules together, so every stage stays testable alone.
 */
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { listenApiServer } from './api/server.ts';
import { openTokenStore } from './api/token-store.ts';
import { loadCaFiles } from './ca/ca-files.ts';
import { createCertificateAuthority } from './ca/certificate-authority.ts';
import { DEFAULT_TRUST_DOMAIN, type KeyAlgorithm } from './ca/types.ts';
import { ensureAdminToken } from './api/tokens.ts';
import { watchConfigDir, type ConfigDirWatcher } from './config/gitops/watch-config-dir.ts';
import { createConfigLookup } from './config/merge/index.ts';
import { createConfigService } from './config/service/config-service.ts';
import { openConfigStore } from './config/store/config-store.ts';
import type { ConfigLookup } from './config/types.ts';
import { loadExampleConfig } from './config/examples.ts';
import { previewEnvoy } from './pipeline/preview.ts';
import { parseNodeIdentity } from './model/node-identity.ts';
import type { ProxyIdentity } from './model/types.ts';
import { createMeshPipeline } from './pipeline/mesh-pipeline.ts';
import { loadExamples } from './registry/examples.ts';
import { createRegistry } from './registry/registry.ts';
import type { Registry } from './registry/types.ts';
import { createSnapshotGate, createStartupQueue } from './startup-gate.ts';
import { defaultInstanceId } from './registry/validate.ts';
import { openLevelStore } from './store/level-store.ts';
import { formatDiagnostic } from './util/errors.ts';
import { createLogger, type Logger } from './util/log.ts';
import { createAdsServer, type AdsServer, type GrpcServerKind } from './xds/server/ads-server.ts';
import type { ServingTls } from './xds/server/glue-types.ts';
import type { NodeInfo } from './xds/cache/types.ts';

export interface TrellisOptions {
  readonly xdsHost: string;
  readonly xdsPort: number;
  readonly apiHost: string;
  readonly apiPort: number;
  /** Folder for the LevelDB store, the admin token and server.json. */
  readonly dataDir: string;
  /** Registry YAML files or folders loaded at start (idempotent upserts); a folder's config/ is applied too. */
  readonly examples: readonly string[];
  /** A folder of config YAML kept applied (GitOps): changes are applied, removed files deleted. */
  readonly configDir?: string;
  /** SPIFFE trust domain of workload identities. */
  readonly trustDomain: string;
  /** Key algorithm of the certificates Trellis generates keys for (SDS); CSR clients choose their own. */
  readonly keyAlgorithm?: KeyAlgorithm;
  /** Serve ADS/CSDS over TLS with a certificate from the CA naming these hosts. */
  readonly xdsTls?: { readonly dnsNames: readonly string[]; readonly ipAddresses: readonly string[] };
  /** A root or intermediate to sign with instead of a generated root (PEM files). */
  readonly caFiles?: { readonly certificateFile: string; readonly keyFile: string; readonly chainFile?: string };
  /** How long an auto-registered proxy's instance outlives its disconnected stream. */
  readonly proxyGraceMs: number;
  readonly ttlSweepMs: number;
  /** The gRPC transport of ADS/CSDS (default h2). */
  readonly grpcServer?: GrpcServerKind;
}

export const DEFAULT_OPTIONS: TrellisOptions = {
  xdsHost: '127.0.0.1',
  xdsPort: 18000,
  apiHost: '127.0.0.1',
  apiPort: 18001,
  dataDir: '.trellis',
  examples: [],
  proxyGraceMs: 30_000,
  ttlSweepMs: 1_000,
  trustDomain: DEFAULT_TRUST_DOMAIN,
};

export interface RunningTrellis {
  readonly xdsAddress: string;
  readonly apiUrl: string;
  /** The admin token when it was created by this start (first start), else undefined. */
  readonly newAdminToken: string | undefined;
  /** When each start-up phase ended, in ms since process start (Node's own start included). */
  readonly startupPhases: Readonly<Record<string, number>>;
  close(): Promise<void>;
}

/** Where Trellis listens, given to `onListening` as soon as both ports accept connections. */
export interface ListeningAddresses {
  readonly xdsAddress: string;
  readonly apiUrl: string;
}

/**
 * Starts Trellis; resolves once it is ready: state loaded, mesh model built, server.json written.
 * The ports are bound earlier, right after the store opens (ADS over TLS: once the CA has issued
 * its certificate), and `onListening` is called then. Until ready an ADS stream receives nothing
 * (its first full snapshot comes when ready) and the API answers 503 "starting".
 * If any step fails, everything opened so far is closed again (the data folder's lock included).
 */
export async function startTrellis(options: TrellisOptions, onListening?: (addresses: ListeningAddresses) => void): Promise<RunningTrellis> {
  const opened: Array<() => Promise<void> | void> = [];
  try {
    return await start(options, opened, onListening);
  } catch (error) {
    for (const close of opened.reverse()) await Promise.resolve().then(close).catch(() => undefined);
    throw error;
  }
}

/** Records when each start-up phase ended (ms since process start), for the ready log line. */
function phaseClock(): { mark(phase: string): void; readonly phases: Record<string, number> } {
  const phases: Record<string, number> = {};
  return { phases, mark: (phase) => void (phases[phase] = Math.round(performance.now())) };
}

async function start(
  options: TrellisOptions,
  opened: Array<() => Promise<void> | void>,
  onListening: ((addresses: ListeningAddresses) => void) | undefined,
): Promise<RunningTrellis> {
  const log = createLogger('trellis');
  const clock = phaseClock();
  clock.mark('modules loaded');
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // First, because LevelDB's lock is what stops a second Trellis on the same data folder.
  const store = await openLevelStore(join(dataDir, 'db'));
  opened.push(() => store.close());
  clock.mark('store open');

  // The registry's read starts now: LevelDB reads on its own thread while this one binds the ports
  // and loads the proto descriptors. Closed on failure even if it is still loading.
  const registryLoading = createRegistry({ store, log: log.child('registry') });
  registryLoading.catch(() => undefined);
  opened.push(() => registryLoading.then((loaded) => loaded.close(), () => undefined));

  // Listen before loading any state: streams wait behind the gate, API requests get 503 "starting",
  // and the proxy registrations of streams that open meanwhile wait for the registry.
  const gate = createSnapshotGate((node, error) => log.error('watching a snapshot failed at the end of start-up', { node: node.id, error: String(error) }));
  const streamEvents = createStartupQueue();
  let registry: Registry | undefined;
  const api = await listenApiServer({ host: options.apiHost, port: options.apiPort, log: log.child('api') });
  opened.push(() => api.close());
  const apiUrl = `http://${options.apiHost.includes(':') ? `[${options.apiHost}]` : options.apiHost}:${api.port}`;
  let xdsAddress = '';
  const listenXds = async (tls?: ServingTls): Promise<AdsServer> => {
    const server = createAdsServer({
      source: gate.source,
      ...(tls ? { tls } : {}),
      ...(options.grpcServer ? { grpcServer: options.grpcServer } : {}),
      log: log.child('ads'),
      onStreamOpen: ({ node }) => streamEvents.run(() => {
        if (registry) registerProxy(registry, node, log);
      }),
      onStreamClose: ({ node }) => streamEvents.run(() => {
        if (registry) scheduleProxyRemoval(registry, node, options.proxyGraceMs);
      }),
    });
    opened.push(() => server.close());
    xdsAddress = `${options.xdsHost}:${await server.listen(options.xdsHost, options.xdsPort)}`;
    clock.mark('listening');
    log.info('Trellis is listening', { xds: xdsAddress, api: apiUrl });
    onListening?.({ xdsAddress, apiUrl });
    return server;
  };
  // ADS over TLS needs a certificate from the CA, so it listens once the CA is loaded.
  const plainAds = options.xdsTls ? undefined : await listenXds();

  const { token, hash } = await ensureAdminToken(dataDir);
  const tokens = await openTokenStore(store);
  const loadedRegistry = await registryLoading;
  registry = loadedRegistry;
  for (const path of options.examples) {
    const result = await loadExamples(loadedRegistry, path);
    for (const problem of result.problems) log.warn('example entry skipped', { problem });
    log.info('example mesh loaded', { path, instances: result.loaded });
  }
  const stopSweeper = loadedRegistry.startTtlSweeper(options.ttlSweepMs);
  opened.push(stopSweeper);
  clock.mark('registry loaded');

  const configStore = await openConfigStore(store);
  const config = createConfigService({
    store: configStore,
    trustDomain: options.trustDomain,
    knownServices: () => loadedRegistry.snapshot().services.keys(),
    previewEnvoy: (snapshot, serviceKey) => previewEnvoy(loadedRegistry.snapshot(), snapshot, serviceKey),
  });
  for (const path of options.examples) {
    const result = await loadExampleConfig(config, path);
    if (result.problems.length > 0) log.warn('example config not applied', { path, problems: result.problems });
    else if (result.files > 0) log.info('example config applied', { path, files: result.files });
  }
  clock.mark('config loaded');
  let userCa;
  if (options.caFiles) {
    const loaded = await loadCaFiles(options.caFiles);
    if (!loaded.ok) throw new Error(`the CA files are not usable: ${loaded.diagnostics.map(formatDiagnostic).join('; ')}`);
    userCa = loaded.material;
  }
  const ca = await createCertificateAuthority({
    store,
    trustDomain: options.trustDomain,
    ...(options.keyAlgorithm ? { keyAlgorithm: options.keyAlgorithm } : {}),
    log: log.child('ca'),
    ...(userCa ? { userCa } : {}),
  });
  opened.push(() => ca.close());
  clock.mark('CA loaded');
  // One lookup per config revision; the previous one lets unchanged services keep their identity.
  let configLookup: ConfigLookup = createConfigLookup(config.snapshot());
  const pipeline = createMeshPipeline({
    registry: loadedRegistry,
    config: {
      lookup: () => configLookup,
      onChange: (listener) =>
        config.onChange((snapshot) => {
          configLookup = createConfigLookup(snapshot, configLookup);
          listener();
        }),
    },
    certificates: ca.source,
    verifier: ca.verifier,
    trustDomain: options.trustDomain,
    // A reconnect storm finds its views ready instead of rebuilding them.
    viewGraceMs: 10_000,
    log: log.child('pipeline'),
  });
  opened.push(() => pipeline.close());
  let gitops: ConfigDirWatcher | undefined;
  if (options.configDir) gitops = await watchConfigDir(resolve(options.configDir), config, log.child('gitops'));
  opened.push(() => gitops?.close());
  const ads = plainAds ?? (await listenXds(options.xdsTls ? await ca.servingCertificate(options.xdsTls) : undefined));
  // Built now so that "ready" means every view can be served at once.
  pipeline.model();
  clock.mark('mesh model built');

  api.ready({
    registry: loadedRegistry,
    adminTokenHash: hash,
    tokens,
    config,
    ca,
    status: () => ({
      proxies: ads.status(),
      views: pipeline.views(),
      pipeline: pipeline.stats(),
      model: { diagnostics: pipeline.model().diagnostics },
      config: { revision: config.snapshot().revision, ...(gitops ? { gitops: gitops.lastResult() } : {}) },
      // Identity, serial and expiry only: keys never leave the CA through status.
      certificates: ca.issuer.ledger().map(({ spiffeId, serial, notBefore, notAfter, renewAt, managed }) => ({ spiffeId, serial, notBefore, notAfter, renewAt, managed })),
    }),
  });
  // Registrations first, then snapshots: the order a stream sees when Trellis is already ready.
  streamEvents.open();
  gate.open(pipeline);
  const serverFile = join(dataDir, 'server.json');
  await writeFile(serverFile, JSON.stringify({ pid: process.pid, xds: xdsAddress, api: apiUrl }, null, 2) + '\n', { mode: 0o600 });
  clock.mark('ready');
  // CPU time beside wall time: on a busy machine the phases stretch, the CPU spent does not.
  const cpu = process.cpuUsage();
  log.info('Trellis is ready', { xds: xdsAddress, api: apiUrl, data: dataDir, phasesMs: clock.phases, cpuMs: Math.round((cpu.user + cpu.system) / 1000) });

  let closed = false;
  return {
    xdsAddress,
    apiUrl,
    newAdminToken: token,
    startupPhases: { ...clock.phases },
    close: async () => {
      if (closed) return;
      closed = true;
      stopSweeper();
      gitops?.close();
      pipeline.close();
      ca.close();
      await Promise.allSettled([api.close(), ads.close()]);
      await loadedRegistry.close();
      await store.close();
      await rm(serverFile, { force: true });
    },
  };
}

/** The instance a connecting proxy stands for, when its metadata names service, address and port. */
function proxyInstance(node: NodeInfo): { identity: ProxyIdentity; id: string } | undefined {
  const { identity } = parseNodeIdentity(node);
  if (!identity.service || !identity.address || !identity.port) return undefined;
  return { identity, id: defaultInstanceId(identity.address, identity.port) };
}

/** Registers the instance a connecting proxy stands for (origin 'ads'), if its node names one. */
function registerProxy(registry: Registry, node: NodeInfo, log: Logger): void {
  const target = proxyInstance(node);
  if (!target) return;
  const { identity } = target;
  registry
    .registerFromProxy({
      id: target.id,
      service: identity.service,
      namespace: identity.namespace,
      address: identity.address,
      port: identity.port,
      protocol: identity.protocol,
      labels: identity.labels,
      locality: identity.locality,
    })
    .then((result) => {
      if (!result.ok) log.warn('proxy not registered', { node: node.id, diagnostics: result.diagnostics });
    })
    .catch((error: unknown) => log.error('proxy registration failed', { node: node.id, error: String(error) }));
}

/** Removes a disconnected proxy's instance after the grace period (a reconnect cancels it). */
function scheduleProxyRemoval(registry: Registry, node: NodeInfo, graceMs: number): void {
  const target = proxyInstance(node);
  if (target) registry.scheduleProxyRemoval(target.identity.namespace, target.identity.service, target.id, graceMs);
}
