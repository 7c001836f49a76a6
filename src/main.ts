/**
 * Composition root: opens the store, builds the stages, connects them and starts the servers.
 * Nothing else in Trellis wires modules together, so every stage stays testable alone.
 */
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startApiServer } from './api/server.ts';
import { ensureAdminToken } from './api/tokens.ts';
import { parseNodeIdentity } from './model/node-identity.ts';
import { createMeshPipeline } from './pipeline/mesh-pipeline.ts';
import { loadExamples } from './registry/examples.ts';
import { createRegistry } from './registry/registry.ts';
import { defaultInstanceId } from './registry/validate.ts';
import { openLevelStore } from './store/level-store.ts';
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
  /** Registry YAML files or folders loaded at start (idempotent upserts). */
  readonly examples: readonly string[];
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
};

export interface RunningTrellis {
  readonly xdsAddress: string;
  readonly apiUrl: string;
  /** The admin token when it was created by this start (first start), else undefined. */
  readonly newAdminToken: string | undefined;
  close(): Promise<void>;
}

/** Starts Trellis; resolves once both servers listen and server.json is written. */
export async function startTrellis(options: TrellisOptions): Promise<RunningTrellis> {
  const log = createLogger('trellis');
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const store = await openLevelStore(join(dataDir, 'db'));
  const registry = await createRegistry({ store, log: log.child('registry') });
  for (const path of options.examples) {
    const result = await loadExamples(registry, path);
    for (const problem of result.problems) log.warn('example entry skipped', { problem });
    log.info('example mesh loaded', { path, instances: result.loaded });
  }
  const stopSweeper = registry.startTtlSweeper(options.ttlSweepMs);
  const pipeline = createMeshPipeline({ registry, log: log.child('pipeline') });

  const autoRegister = (node: NodeInfo): { namespace: string; service: string; id: string } | undefined => {
    const { identity } = parseNodeIdentity(node);
    if (!identity.service || !identity.address || !identity.port) return undefined;
    return { namespace: identity.namespace, service: identity.service, id: defaultInstanceId(identity.address, identity.port) };
  };
  const ads = createAdsServer({
    source: pipeline,
    log: log.child('ads'),
    onStreamOpen: ({ node }) => {
      const target = autoRegister(node);
      if (!target) return;
      const { identity } = parseNodeIdentity(node);
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
      const target = autoRegister(node);
      if (target) registry.scheduleProxyRemoval(target.namespace, target.service, target.id, options.proxyGraceMs);
    },
  });
  const xdsPort = await ads.listen(options.xdsHost, options.xdsPort);
  const { token, hash } = await ensureAdminToken(dataDir);
  const api = await startApiServer({
    host: options.apiHost,
    port: options.apiPort,
    registry,
    adminTokenHash: hash,
    status: () => ({ proxies: ads.status(), views: pipeline.views(), pipeline: pipeline.stats() }),
    log: log.child('api'),
  });
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
      pipeline.close();
      await Promise.allSettled([api.close(), ads.close()]);
      await registry.close();
      await store.close();
      await rm(serverFile, { force: true });
    },
  };
}
