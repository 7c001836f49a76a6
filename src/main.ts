/**
 * Composition root: opens the store, builds the stages, connects them and starts the servers.
 * Nothing else in Trellis wires modules together, so every stage stays testable alone.
 */
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startApiServer } from './api/server.ts';
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
import { defaultInstanceId } from './registry/validate.ts';
import { openLevelStore } from './store/level-store.ts';
import { formatDiagnostic } from './util/errors.ts';
import { createLogger } from './util/log.ts';
import { createAdsServer } from './xds/server/ads-server.ts';
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
  close(): Promise<void>;
}

/**
 * Starts Trellis; resolves once both servers listen and server.json is written. If any step
 * fails, everything opened so far is closed again (the data folder's lock included).
 */
export async function startTrellis(options: TrellisOptions): Promise<RunningTrellis> {
  const opened: Array<() => Promise<void> | void> = [];
  try {
    return await start(options, opened);
  } catch (error) {
    for (const close of opened.reverse()) await Promise.resolve().then(close).catch(() => undefined);
    throw error;
  }
}

async function start(options: TrellisOptions, opened: Array<() => Promise<void> | void>): Promise<RunningTrellis> {
  const log = createLogger('trellis');
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const store = await openLevelStore(join(dataDir, 'db'));
  opened.push(() => store.close());
  const registry = await createRegistry({ store, log: log.child('registry') });
  opened.push(() => registry.close());
  for (const path of options.examples) {
    const result = await loadExamples(registry, path);
    for (const problem of result.problems) log.warn('example entry skipped', { problem });
    log.info('example mesh loaded', { path, instances: result.loaded });
  }
  const stopSweeper = registry.startTtlSweeper(options.ttlSweepMs);
  opened.push(stopSweeper);

  const configStore = await openConfigStore(store);
  const config = createConfigService({
    store: configStore,
    trustDomain: options.trustDomain,
    knownServices: () => registry.snapshot().services.keys(),
    previewEnvoy: (snapshot, serviceKey) => previewEnvoy(registry.snapshot(), snapshot, serviceKey),
  });
  for (const path of options.examples) {
    const result = await loadExampleConfig(config, path);
    if (result.problems.length > 0) log.warn('example config not applied', { path, problems: result.problems });
    else if (result.files > 0) log.info('example config applied', { path, files: result.files });
  }
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
  // One lookup per config revision; the previous one lets unchanged services keep their identity.
  let configLookup: ConfigLookup = createConfigLookup(config.snapshot());
  const pipeline = createMeshPipeline({
    registry,
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

  /** The instance a connecting proxy stands for, when its metadata names service, address and port. */
  const proxyInstance = (node: NodeInfo): { identity: ProxyIdentity; id: string } | undefined => {
    const { identity } = parseNodeIdentity(node);
    if (!identity.service || !identity.address || !identity.port) return undefined;
    return { identity, id: defaultInstanceId(identity.address, identity.port) };
  };
  const ads = createAdsServer({
    source: pipeline,
    ...(options.xdsTls ? { tls: await ca.servingCertificate(options.xdsTls) } : {}),
    log: log.child('ads'),
    onStreamOpen: ({ node }) => {
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
    },
    onStreamClose: ({ node }) => {
      const target = proxyInstance(node);
      if (target) registry.scheduleProxyRemoval(target.identity.namespace, target.identity.service, target.id, options.proxyGraceMs);
    },
  });
  opened.push(() => ads.close());
  const xdsPort = await ads.listen(options.xdsHost, options.xdsPort);
  const { token, hash } = await ensureAdminToken(dataDir);
  const tokens = await openTokenStore(store);
  const api = await startApiServer({
    host: options.apiHost,
    port: options.apiPort,
    registry,
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
    log: log.child('api'),
  });
  opened.push(() => api.close());
  const xdsAddress = `${options.xdsHost}:${xdsPort}`;
  const apiUrl = `http://${options.apiHost.includes(':') ? `[${options.apiHost}]` : options.apiHost}:${api.port}`;
  const serverFile = join(dataDir, 'server.json');
  await writeFile(serverFile, JSON.stringify({ pid: process.pid, xds: xdsAddress, api: apiUrl }, null, 2) + '\n', { mode: 0o600 });
  log.info('Trellis is up', { xds: xdsAddress, api: apiUrl, data: dataDir });

  let closed = false;
  return {
    xdsAddress,
    apiUrl,
    newAdminToken: token,
    close: async () => {
      if (closed) return;
      closed = true;
      stopSweeper();
      gitops?.close();
      pipeline.close();
      ca.close();
      await Promise.allSettled([api.close(), ads.close()]);
      await registry.close();
      await store.close();
      await rm(serverFile, { force: true });
    },
  };
}
