/**
 * Root rotation over real SDS streams. Trellis runs in this process; N workloads are N services
 * with one endpoint and one connected sidecar each, so N distinct SPIFFE identities and N
 * certificates. Each sidecar presents a join token (made through the admin API) for exactly its
 * own identity and asks, next to wildcard CDS/LDS, for SDS `default` and `ROOTCA` (SotW). A
 * PlatformPolicy gives every service a few dependencies, so a sidecar's config is small and the
 * figures are about certificates, not CDS size. Measured: connect → every stream holds both
 * secrets (initial issuance); then `POST /api/v1/ca/rotate` → every stream holds a ROOTCA with the
 * new root, and → every stream ACKed a `default` no longer signed by the old root (the CA waits
 * its rotation grace before re-issuing: the grace is reported apart from the time after it).
 */
import { DEFAULT_TRUST_DOMAIN } from '../../src/ca/types.ts';
import { spiffeIdOf } from '../../src/model/names.ts';
import { decodeMessage } from '../../src/xds/proto/codec.ts';
import { splitAny } from '../../src/xds/server/proto-scan.ts';
import { messageNameOf, TypeUrl } from '../../src/xds/type-urls.ts';
import type { ClientNode } from '../../src/xds/client/ads-client.ts';
import { startLoadFleet } from '../lib/load-fleet.ts';
import { sidecarClientNode, type ResourceDump } from '../lib/load-protocol.ts';
import { generateInstances, namespaceOf, serviceName } from '../lib/mesh-generator.ts';
import { info, type Metric, type ScenarioResult } from '../lib/report.ts';
import type { Scenario, ScenarioOptions } from '../lib/scenario.ts';
import { certificateBlocks, leafSignedBy, secretCertificatePem } from '../lib/secret-check.ts';
import { cpuSeconds, epochMs, summary } from '../lib/stats.ts';
import { startBenchTrellis, type BenchTrellis } from '../lib/trellis-instance.ts';

const NAMESPACES = 10;
const DEPENDENCIES = 4;
const SECRETS = ['default', 'ROOTCA'] as const;
/** The CA's rotation grace; startTrellis leaves it at src/ca's default (5 s). */
export const ROTATION_GRACE_MS = 5_000;
const CONNECT_TIMEOUT_MS = 90_000;
const ROTATION_TIMEOUT_MS = 60_000;
const TOKEN_CONCURRENCY = 16;

/** One workload: its service, namespace and SPIFFE identity. */
export interface RotationWorkload {
  readonly index: number;
  readonly service: string;
  readonly namespace: string;
  readonly identity: string;
}

/** `count` workloads, one per service `svc-<i>` of the generated mesh, each its own identity. */
export function rotationWorkloads(count: number, trustDomain: string = DEFAULT_TRUST_DOMAIN): RotationWorkload[] {
  return Array.from({ length: count }, (_, index) => {
    const service = serviceName(index);
    const namespace = namespaceOf(index, NAMESPACES);
    return { index, service, namespace, identity: spiffeIdOf(trustDomain, namespace, service) };
  });
}

/** The sidecar node of `workload`, carrying its join token as `trellis.token`. */
export function rotationNode(workload: RotationWorkload, token: string): ClientNode {
  const node = sidecarClientNode(workload.index, workload.service, workload.namespace, 'a');
  return { ...node, metadata: { ...node.metadata, 'trellis.token': token } };
}

/** A PlatformPolicy (YAML) giving every service of the mesh the first `count` services as dependencies. */
export function scopePolicyYaml(workloads: readonly RotationWorkload[], count: number): string {
  const deps = workloads.slice(0, count).map((w) => `${w.service}.${w.namespace}`);
  return [
    'apiVersion: trellis.dev/v1alpha1',
    'kind: PlatformPolicy',
    'metadata: {name: bench-rotation-scope}',
    'spec:',
    "  scope: {namespaces: ['*']}",
    `  defaults: {dependencies: [${deps.join(', ')}]}`,
    '',
  ].join('\n');
}

const record = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});

/** Creates one join token per workload through the admin API, `TOKEN_CONCURRENCY` in flight. */
async function createTokens(trellis: BenchTrellis, workloads: readonly RotationWorkload[]): Promise<string[]> {
  const tokens: string[] = new Array<string>(workloads.length).fill('');
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < workloads.length) {
      const workload = workloads[next];
      const at = next;
      next += 1;
      if (!workload) continue;
      const reply = await trellis.request('POST', '/api/v1/ca/tokens', { identity: workload.identity, ttl: '1h' });
      const token = record(reply.body)['token'];
      if (reply.status !== 201 || typeof token !== 'string') throw new Error(`join token for ${workload.identity}: HTTP ${reply.status}`);
      tokens[at] = token;
    }
  };
  await Promise.all(Array.from({ length: TOKEN_CONCURRENCY }, worker));
  return tokens;
}

async function bundlePem(trellis: BenchTrellis): Promise<string> {
  const reply = await trellis.request('GET', '/api/v1/ca/bundle');
  const pem = record(reply.body)['bundlePem'];
  if (reply.status !== 200 || typeof pem !== 'string') throw new Error(`GET /ca/bundle: HTTP ${reply.status}`);
  return pem;
}

/** The certificate chain of the `default` secret the first stream of the dump holds. */
function dumpedLeafChain(dump: ResourceDump): string | undefined {
  const item = dump[TypeUrl.Secret]?.items.find((i) => i.name === 'default');
  if (!item) return undefined;
  const { typeUrl, value } = splitAny(item.any);
  return secretCertificatePem(decodeMessage(messageNameOf(typeUrl), value));
}

async function runRotation(workloadCount: number, options: ScenarioOptions): Promise<ScenarioResult> {
  const say = (line: string): void => options.progress(`[rotation ${workloadCount}] ${line}`);
  const workloads = rotationWorkloads(workloadCount);
  const instances = generateInstances({ services: workloadCount, endpointsPerService: 1, namespaces: NAMESPACES });
  const notes: string[] = [`${workloadCount} workloads = ${workloadCount} services x 1 sidecar: ${workloadCount} distinct identities and certificates`];
  const metrics: Metric[] = [];
  const fleet = startLoadFleet({ processes: options.processes ?? 2, core: options.loadCore });
  try {
    const trellis = await startBenchTrellis();
    try {
      const loadMs = await trellis.load(instances);
      const scope = await trellis.request('POST', '/api/v1/config/apply', {
        files: [{ name: 'bench-rotation-scope.yaml', text: scopePolicyYaml(workloads, Math.min(DEPENDENCIES, workloadCount)) }],
      });
      if (scope.status >= 300) notes.push(`scoping policy refused (HTTP ${scope.status}): every sidecar sees the whole mesh`);
      else notes.push(`every service depends on the first ${DEPENDENCIES} services (PlatformPolicy defaults), so each sidecar's CDS is small`);
      const tokenStart = performance.now();
      const tokens = await createTokens(trellis, workloads);
      const tokenMs = performance.now() - tokenStart;
      say(`registered ${instances.length} instances in ${Math.round(loadMs)} ms, ${tokens.length} join tokens in ${Math.round(tokenMs)} ms`);
      const oldBundle = await bundlePem(trellis);
      const oldRoot = certificateBlocks(oldBundle)[0];
      if (oldRoot === undefined) throw new Error('the trust bundle holds no certificate');
      const nodes = workloads.map((w, i) => rotationNode(w, tokens[i] ?? ''));

      // Connect: initial config, and the first certificate of every identity.
      const cpuConnect = process.cpuUsage();
      const loadConnect = await fleet.usage();
      const connectStart = epochMs();
      const connected = await fleet.connectWithSecrets(trellis.xdsAddress, 'sotw', nodes, SECRETS, CONNECT_TIMEOUT_MS);
      const serverConnectCpu = cpuSeconds(cpuConnect, process.cpuUsage());
      const loadConnectCpu = (await fleet.usage()).cpuSeconds - loadConnect.cpuSeconds;
      const config = summary(connected.readyAt.map((at) => at - connectStart));
      const withSecrets = connected.secretsAt.filter((at) => at > 0);
      const secrets = summary(withSecrets.map((at) => at - connectStart));
      const missingInitial = connected.secretsAt.length - withSecrets.length;
      if (missingInitial > 0) notes.push(`${missingInitial} streams never held default+ROOTCA within ${CONNECT_TIMEOUT_MS} ms`);
      say(`${nodes.length} streams: config in ${Math.round(config.max)} ms, both secrets in ${Math.round(secrets.max)} ms (${missingInitial} missing)`);
      const firstDump = await fleet.dump();
      const clustersHeld = firstDump[TypeUrl.Cluster]?.items.length ?? 0;
      const views = record(await trellis.status())['views'];
      const viewCount = Array.isArray(views) ? views.length : Number.NaN;
      const before = dumpedLeafChain(firstDump);
      if (before === undefined || !leafSignedBy(before, oldRoot)) throw new Error('the first stream\'s default secret is not signed by the current root');

      // Rotation: the bundle goes out at once, the new leaves after the grace.
      await fleet.armSecret(1, 'ROOTCA', { kind: 'changed' }, ROTATION_TIMEOUT_MS);
      await fleet.armSecret(2, 'default', { kind: 'not-signed-by', rootPem: oldRoot }, ROTATION_TIMEOUT_MS);
      const cpuRotate = process.cpuUsage();
      const loadRotate = await fleet.usage();
      const rotateStart = epochMs();
      const rotated = await trellis.request('POST', '/api/v1/ca/rotate');
      if (rotated.status !== 202) throw new Error(`POST /ca/rotate: HTTP ${rotated.status}`);
      const bundles = await fleet.collect(1);
      const leaves = await fleet.collect(2);
      const serverRotateCpu = cpuSeconds(cpuRotate, process.cpuUsage());
      const loadRotateCpu = (await fleet.usage()).cpuSeconds - loadRotate.cpuSeconds;
      const rss = process.memoryUsage().rss;
      const bundle = summary(bundles.ackedAt.map((at) => at - rotateStart));
      const leaf = summary(leaves.ackedAt.map((at) => at - rotateStart));
      const firstLeaf = Math.min(...leaves.ackedAt.map((at) => at - rotateStart));
      say(`rotation: ROOTCA on all streams in ${Math.round(bundle.max)} ms, new default on all in ${Math.round(leaf.max)} ms (${leaves.missing} missing)`);
      if (bundles.missing > 0) notes.push(`${bundles.missing} streams never got the new ROOTCA within ${ROTATION_TIMEOUT_MS} ms`);
      if (leaves.missing > 0) notes.push(`${leaves.missing} streams never got a default from the new root within ${ROTATION_TIMEOUT_MS} ms`);

      // The new leaf must chain to a root of the new bundle other than the old one.
      const newRoots = certificateBlocks(await bundlePem(trellis)).filter((pem) => pem !== oldRoot);
      const after = dumpedLeafChain(await fleet.dump());
      if (after === undefined || !newRoots.some((root) => leafSignedBy(after, root))) throw new Error('the first stream\'s new default secret is not signed by the new root');

      metrics.push(
        info('register mesh over HTTP', loadMs, 'ms'),
        info('create join tokens over HTTP', tokenMs, 'ms'),
        info('connect → initial config ACKed, all streams', config.max, 'ms'),
        info('connect → default+ROOTCA held, all streams (initial issuance)', secrets.max, 'ms'),
        info('connect → default+ROOTCA held, p50 stream', secrets.p50, 'ms'),
        info('clusters held by one sidecar', clustersHeld, 'count'),
        info('views (snapshots) on the server', viewCount, 'count'),
        info('server CPU during connect + issuance', serverConnectCpu, 's'),
        info('load generator CPU during connect', loadConnectCpu, 's'),
        info('rotate → new ROOTCA ACKed, all streams', bundle.max, 'ms'),
        info('CA rotation grace (re-issue delay)', ROTATION_GRACE_MS, 'ms'),
        info('rotate → first stream ACKed a new-root default', firstLeaf, 'ms'),
        info('rotate → new-root default ACKed, p50 stream', leaf.p50, 'ms'),
        info('rotate → new-root default ACKed, all streams', leaf.max, 'ms'),
        info('after the grace: → new-root default ACKed, all streams', leaf.max - ROTATION_GRACE_MS, 'ms'),
        info('server CPU during rotation (incl. re-issue)', serverRotateCpu, 's'),
        info('load generator CPU during rotation', loadRotateCpu, 's'),
        info('server RSS after rotation', rss / 2 ** 20, 'MiB'),
        info('streams that missed the new default', leaves.missing, 'count'),
      );
      await fleet.disconnect();
    } finally {
      await trellis.close();
    }
    return { name: 'rotation', sizes: { workloads: workloadCount, services: workloadCount, streams: workloadCount, mode: 'sotw', processes: fleet.size }, metrics, notes };
  } finally {
    await fleet.close();
  }
}

export const rotation: Scenario = {
  name: 'rotation',
  description: 'root rotation until N connected sidecars (N identities) ACKed certificates of the new root over SDS',
  async run(options) {
    const workloads = options.streams ?? options.services ?? (options.quick ? 100 : 1000);
    return [await runRotation(workloads, options)];
  },
};
