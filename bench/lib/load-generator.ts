/**
 * Load generator child process (`node --import tsx bench/lib/load-generator.ts`, forked with an
 * IPC channel). Holds many Envoy-like ADS streams (src/xds/client/ads-client.ts: ACKs every
 * response, follows CDS→EDS and LDS→RDS) and answers the commands of load-protocol.ts.
 */
import type * as grpc from '@grpc/grpc-js';
import type { ClientHttp2Session } from 'node:http2';
import { connect, type AdsClient, type AdsClientOptions, type ClientResource } from '../../src/xds/client/ads-client.ts';
import { connectH2, openH2AdsStream } from '../../src/xds/client/h2-stream.ts';
import { createAdsGrpcClient } from '../../src/xds/client/raw-stream.ts';
import { messageType } from '../../src/xds/proto/codec.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';
import type { LoadCommand, LoadReply, ResourceDump, StreamBehaviour } from './load-protocol.ts';
import { behaviourOptions, bytesSince, holderIndex, waitOnResource, waitUntilMet, type TrackedStream } from './load-tracking.ts';
import { secretConditionMet, type SecretCondition } from './secret-check.ts';
import { epochMs } from './stats.ts';

// Load the Envoy descriptors now, not inside the first storm (about 0.7 s of the load core each).
messageType('envoy.service.discovery.v3.DiscoveryRequest');
messageType('envoy.service.discovery.v3.DeltaDiscoveryRequest');

let clients: AdsClient[] = [];
const holders = holderIndex();
/** Per client (same order): its behaviour, and its response count at the last 'bytes-mark'. */
let behaviours: StreamBehaviour[] = [];
let byteMarks: number[] = [];
/** Connections shared by several streams (streamsPerConnection > 1); closed on disconnect. */
let shared: grpc.Client[] = [];
let sharedSessions: ClientHttp2Session[] = [];
/**
 * The streams' transport: gRPC spoken directly over node:http2 (h2-stream.ts) unless
 * BENCH_CLIENT_TRANSPORT=grpc-js. grpc-js's per-call machinery cost the load generator about 1 ms of
 * CPU per stream admitted and set the pace of every convergence figure, server and floor alike.
 */
const TRANSPORT = process.env['BENCH_CLIENT_TRANSPORT'] === 'grpc-js' ? 'grpc-js' : 'h2';
const DEADLINE_MS = 3_600_000;

/** How stream i of a connect command reaches the server: its own connection, or one shared by `perConnection` streams. */
function transportOptions(address: string, i: number, perConnection: number): Pick<AdsClientOptions, 'grpcClient' | 'openStream'> {
  if (TRANSPORT === 'h2') {
    if (perConnection > 1 && i % perConnection === 0) sharedSessions.push(connectH2(address));
    const session = perConnection > 1 ? sharedSessions[sharedSessions.length - 1] : undefined;
    return { openStream: (mode) => openH2AdsStream(address, mode, { deadlineMs: DEADLINE_MS, retain: false, ...(session ? { session } : {}) }) };
  }
  if (perConnection <= 1) return {};
  if (i % perConnection === 0) shared.push(createAdsGrpcClient(address));
  const grpcClient = shared[shared.length - 1];
  return grpcClient ? { grpcClient } : {};
}
const waits = new Map<number, Promise<{ ackedAt: number[]; missing: number }>>();
const startCpu = process.cpuUsage();

/** True once the client holds CDS, LDS, every EDS its clusters need, its scopes (SRDS) and every RDS its listeners or scopes name. */
function initialConfigHeld(client: AdsClient, memo: { eds?: string[]; rds?: string[] }): boolean {
  const clusters = client.resources(TypeUrl.Cluster);
  const listeners = client.resources(TypeUrl.Listener);
  if (clusters.size === 0 || listeners.size === 0) return false;
  // Each full-state type arrives in one response, so the names it references are computed once.
  // A client following references already subscribed exactly those names: no second decode.
  memo.eds ??= [...client.subscription(TypeUrl.ClusterLoadAssignment).names];
  // Sidecars route by scopes (SRDS): the RouteConfigurations to wait for are known once they arrive.
  if (memo.rds === undefined && client.subscription(TypeUrl.ScopedRouteConfiguration).wildcard) {
    if (client.acceptedVersion(TypeUrl.ScopedRouteConfiguration) === undefined) return false;
  }
  memo.rds ??= [...client.subscription(TypeUrl.RouteConfiguration).names];
  const endpoints = client.resources(TypeUrl.ClusterLoadAssignment);
  const routes = client.resources(TypeUrl.RouteConfiguration);
  if (endpoints.size < memo.eds.length || routes.size < memo.rds.length) return false;
  return memo.eds.every((n) => endpoints.has(n)) && memo.rds.every((n) => routes.has(n));
}

async function connectAll(command: Extract<LoadCommand, { cmd: 'connect' }>): Promise<{ readyAt: number[]; secretsAt?: number[] }> {
  const perConnection = Math.max(1, command.streamsPerConnection ?? 1);
  clients = command.nodes.map((node, i) =>
    connect(command.address, node, command.mode, {
      recordResponses: command.record ?? false,
      deadlineMs: DEADLINE_MS,
      onHeldNamesChange: holders.changed,
      ...transportOptions(command.address, i, perConnection),
      ...behaviourOptions(command.behaviours?.[i], command.slowDelayMs),
    }),
  );
  behaviours = command.nodes.map((_, i) => command.behaviours?.[i] ?? 'healthy');
  byteMarks = clients.map(() => 0);
  const secrets = command.secrets ?? [];
  // SDS by name next to the wildcard CDS/LDS, as an Envoy sidecar asks for its SDS secrets.
  if (secrets.length > 0) for (const client of clients) client.subscribe(TypeUrl.Secret, secrets);
  const ready = Promise.all(
    clients.map((client, i) => {
      // Slow and NACKing streams are not awaited: they may never hold (or take long to hold) it all.
      if (behaviours[i] !== 'healthy') return Promise.resolve(0);
      const memo: { eds?: string[]; rds?: string[] } = {};
      let at = 0;
      return client
        .waitFor(() => {
          if (at === 0 && initialConfigHeld(client, memo)) at = epochMs();
          return at !== 0;
          // Not polled: the predicate reads only this client, re-checked after each response.
        }, command.timeoutMs, 0)
        .then(() => at);
    }),
  );
  if (secrets.length === 0) return { readyAt: await ready };
  const held = Promise.all(
    clients.map((client) => {
      let at = 0;
      return client
        .waitFor(() => {
          if (at === 0 && secrets.every((name) => client.resources(TypeUrl.Secret).has(name))) at = epochMs();
          return at !== 0;
        }, command.timeoutMs, 0)
        .then(
          () => at,
          () => 0,
        );
    }),
  );
  const [readyAt, secretsAt] = await Promise.all([ready, held]);
  return { readyAt, secretsAt };
}

/** Starts waiting until every client's copy of SDS secret `secret` meets `condition`. */
function armSecret(id: number, secret: string, condition: SecretCondition, timeoutMs: number): number {
  const streams: TrackedStream[] = clients.map((client) => {
    const held = client.resources(TypeUrl.Secret);
    const baseline = held.get(secret)?.any;
    // Decode each distinct copy once.
    let checked: ClientResource | undefined;
    const met = (): boolean => {
      const now = held.get(secret);
      if (now === undefined || now === checked) return false;
      checked = now;
      return secretConditionMet(condition, now.any, baseline, () => client.decoded(TypeUrl.Secret, secret));
    };
    return { client, met };
  });
  waits.set(id, waitUntilMet(streams, TypeUrl.Secret, timeoutMs));
  return clients.length;
}

/** Starts waiting until every client holds a copy of `cluster` different from the current one. */
function arm(id: number, cluster: string, timeoutMs: number): number {
  const { tracked, done } = waitOnResource(clients, { typeUrl: TypeUrl.ClusterLoadAssignment, name: cluster, expect: 'changed', timeoutMs });
  waits.set(id, done);
  return tracked;
}

/** Types a reconnected delta stream must hear back on before it counts as re-converged. */
const ANSWERED_TYPES = [TypeUrl.Cluster, TypeUrl.Listener, TypeUrl.ClusterLoadAssignment, TypeUrl.RouteConfiguration] as const;

/** Drops and reopens every stream (see the 'reconnect' command); needs clients connected with `record`. */
async function reconnectAll(
  timeoutMs: number,
  settleMs: number,
): Promise<{ reconnectedAt: number[]; bytesBefore: number[]; bytes: number[]; resources: number[]; responses: number[] }> {
  const marks = clients.map((client) => client.responses.length);
  for (const client of clients) client.reconnect();
  const reconnectedAt = await Promise.all(
    clients.map((client, i) => {
      if (client.mode === 'sotw') return 0;
      const mark = marks[i] ?? 0;
      let at = 0;
      return client
        .waitFor(() => {
          if (at !== 0) return true;
          const since = client.responses.slice(mark);
          if (ANSWERED_TYPES.every((t) => since.some((r) => r.typeUrl === t))) at = epochMs();
          return at !== 0;
        }, timeoutMs, 0)
        .then(
          () => at,
          () => 0,
        );
    }),
  );
  // SotW streams whose versions are current get nothing: wait a little for anything late.
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const since = clients.map((client, i) => client.responses.slice(marks[i] ?? 0));
  return {
    reconnectedAt,
    bytesBefore: clients.map((client, i) => client.responses.slice(0, marks[i] ?? 0).reduce((sum, r) => sum + r.bytes, 0)),
    bytes: since.map((list) => list.reduce((sum, r) => sum + r.bytes, 0)),
    resources: since.map((list) => list.reduce((sum, r) => sum + r.names.length, 0)),
    responses: since.map((list) => list.length),
  };
}

function dump(): ResourceDump {
  const first = clients[0];
  if (!first) return {};
  const out: Record<string, { version: string; items: { name: string; version: string; any: Uint8Array }[] }> = {};
  for (const typeUrl of Object.values(TypeUrl)) {
    const held = first.resources(typeUrl);
    if (held.size === 0) continue;
    out[typeUrl] = {
      version: first.acceptedVersion(typeUrl) ?? '',
      items: [...held.values()].map((r) => ({ name: r.name, version: r.version, any: r.any })),
    };
  }
  return out;
}

async function handle(command: LoadCommand): Promise<LoadReply> {
  const { seq } = command;
  switch (command.cmd) {
    case 'connect':
      return { seq, ok: true, ...(await connectAll(command)) };
    case 'arm':
      return { seq, ok: true, armed: arm(command.id, command.cluster, command.timeoutMs) };
    case 'arm-secret':
      return { seq, ok: true, armed: armSecret(command.id, command.secret, command.condition, command.timeoutMs) };
    case 'await': {
      const wait = waits.get(command.id);
      if (!wait) return { seq, ok: false, error: `no armed wait ${command.id}` };
      waits.delete(command.id);
      return { seq, ok: true, ...(await wait) };
    }
    case 'arm-resource': {
      const skip = command.healthyOnly === true ? (i: number) => behaviours[i] !== 'healthy' : undefined;
      const { tracked, done } = waitOnResource(clients, command, skip, holders);
      waits.set(command.id, done);
      return { seq, ok: true, armed: tracked };
    }
    case 'bytes-mark':
      byteMarks = clients.map((client) => client.responses.length);
      return { seq, ok: true, armed: clients.length };
    case 'bytes':
      return { seq, ok: true, streams: bytesSince(clients, byteMarks) };
    case 'dump':
      return { seq, ok: true, dump: dump() };
    case 'collect-garbage':
      (globalThis.gc as ((options: { type: 'minor' }) => void) | undefined)?.({ type: 'minor' }); // see the command's comment
      return { seq, ok: true, armed: clients.length };
    case 'usage': {
      const cpu = process.cpuUsage(startCpu);
      return { seq, ok: true, cpuSeconds: (cpu.user + cpu.system) / 1e6, rssBytes: process.memoryUsage().rss };
    }
    case 'reconnect':
      return { seq, ok: true, ...(await reconnectAll(command.timeoutMs, command.settleMs)) };
    case 'disconnect': {
      const closed = clients.length;
      for (const client of clients) client.close();
      clients = [];
      for (const connection of shared) connection.close();
      shared = [];
      for (const session of sharedSessions) session.close();
      sharedSessions = [];
      return { seq, ok: true, closed };
    }
  }
}

process.on('message', (message: LoadCommand) => {
  handle(message)
    .catch((error: unknown): LoadReply => ({ seq: message.seq, ok: false, error: error instanceof Error ? error.message : String(error) }))
    .then((reply) => process.send?.(reply));
});
// The parent going away ends this process (the IPC channel closes).
process.on('disconnect', () => process.exit(0));
