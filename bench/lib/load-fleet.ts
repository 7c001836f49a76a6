/**
 * The parent's side of the load generator: C child processes (load-generator.ts), each holding a
 * share of the streams, optionally pinned to a CPU core with taskset so the generator does not
 * compete with the server for one core. Commands fan out to every child; replies are gathered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientNode } from '../../src/xds/client/ads-client.ts';
import type { LoadCommand, LoadReply, ResourceDump, ResourceExpectation, StreamBehaviour, StreamBytes } from './load-protocol.ts';
import type { SecretCondition } from './secret-check.ts';

type CommandBody = LoadCommand extends infer C ? (C extends { seq: number } ? Omit<C, 'seq'> : never) : never;

/** A running set of load generator processes. */
export interface LoadFleet {
  readonly size: number;
  /** Opens one stream per node (spread over the children); resolves with each stream's ready time. */
  connect(address: string, mode: 'sotw' | 'delta', nodes: readonly ClientNode[], timeoutMs: number): Promise<number[]>;
  /**
   * Like `connect`, each stream also subscribing SDS `secrets` by name; resolves with each stream's
   * initial-config time and the time it first held every named secret (0: not within the timeout).
   */
  connectWithSecrets(
    address: string,
    mode: 'sotw' | 'delta',
    nodes: readonly ClientNode[],
    secrets: readonly string[],
    timeoutMs: number,
  ): Promise<{ readyAt: number[]; secretsAt: number[] }>;
  /**
   * Like `connect`, with `streamsPerConnection` streams sharing each HTTP/2 connection (so one
   * machine can hold 10k streams) and, with `record`, per-response records kept for `reconnect`.
   */
  connectWith(
    address: string,
    mode: 'sotw' | 'delta',
    nodes: readonly ClientNode[],
    timeoutMs: number,
    options: { readonly streamsPerConnection?: number; readonly record?: boolean },
  ): Promise<number[]>;
  /**
   * Every stream drops and reconnects with what it holds; per stream (children's order): when a
   * delta stream was answered on every type (0 for SotW), bytes received before the drop, and
   * bytes / resources / responses received since. Needs streams connected with `record`.
   */
  reconnect(timeoutMs: number, settleMs: number): Promise<{ reconnectedAt: number[]; bytesBefore: number[]; bytes: number[]; resources: number[]; responses: number[] }>;
  /** Arms wait `id` (collected with `collect`) until every stream's copy of `secret` meets `condition`. */
  armSecret(id: number, secret: string, condition: SecretCondition, timeoutMs: number): Promise<void>;
  /** Arms wait `id` for a changed copy of `cluster` on every stream. */
  arm(id: number, cluster: string, timeoutMs: number): Promise<void>;
  /** A young-generation GC in every generator (see the 'collect-garbage' command), resolved when all are done. */
  collectGarbage(): Promise<void>;
  /** ACK times of every stream for wait `id`, and how many streams never got the change. */
  collect(id: number): Promise<{ ackedAt: number[]; missing: number }>;
  /**
   * Like `connect`, with per-node behaviours (slow, NACKing: not awaited, their ready time is 0),
   * per-response records (for `bytes`) and the slow streams' apply delay.
   */
  connectMixed(address: string, mode: 'sotw' | 'delta', nodes: readonly ClientNode[], options: MixedConnectOptions, timeoutMs: number): Promise<number[]>;
  /** Arms wait `id` (collected with `collect`) on one resource; resolves with the number of streams tracked. */
  armResource(id: number, wait: ResourceWaitSpec): Promise<number>;
  /** Marks every stream's response count; `bytes` counts from here. */
  markBytes(): Promise<void>;
  /** Per stream (needs `record`): bytes and responses received since `markBytes`. */
  bytes(): Promise<StreamBytes[]>;
  /** What the first stream of the first child holds. */
  dump(): Promise<ResourceDump>;
  /** CPU seconds used so far and RSS, summed over children. */
  usage(): Promise<{ cpuSeconds: number; rssBytes: number }>;
  disconnect(): Promise<void>;
  close(): Promise<void>;
}

/** Options of `connectMixed`. */
export interface MixedConnectOptions {
  readonly behaviours?: readonly StreamBehaviour[];
  readonly slowDelayMs?: number;
  readonly record?: boolean;
}

/** What `armResource` waits for (see the 'arm-resource' command). */
export interface ResourceWaitSpec {
  readonly typeUrl: string;
  readonly name: string;
  readonly expect: ResourceExpectation;
  readonly holdersOnly?: boolean;
  readonly healthyOnly?: boolean;
  readonly timeoutMs: number;
}

const GENERATOR = fileURLToPath(new URL('./load-generator.ts', import.meta.url));

/** Node arguments that run the load generator: its bundle when bin/bench.mjs built one, else the source under tsx. */
function generatorArgs(): string[] {
  const bundle = process.env['BENCH_LOAD_GENERATOR'];
  return bundle ? [bundle] : ['--import', 'tsx', GENERATOR];
}

/** Spawns `processes` children; `core` pins them all to that CPU (Linux taskset) when given. */
export function startLoadFleet(options: { processes: number; core?: number | undefined }): LoadFleet {
  const children: ChildProcess[] = [];
  const pending = new Map<number, { resolve: (reply: LoadReply) => void; reject: (error: Error) => void }>();
  let seq = 0;
  for (let i = 0; i < options.processes; i += 1) {
    // BENCH_LOAD_CPU_PROF=<dir>: each child writes a .cpuprofile there on exit (the load generator's own cost).
    const profileDir = process.env['BENCH_LOAD_CPU_PROF'];
    // --expose-gc: 'collect-garbage' (a GC between measured changes, not inside one).
    // BENCH_LOAD_NODE_ARGS: more node flags for the children (--trace-gc, say), space-separated.
    const extraArgs = (process.env['BENCH_LOAD_NODE_ARGS'] ?? '').split(' ').filter((arg) => arg !== '');
    const nodeArgs = ['--expose-gc', ...extraArgs, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...generatorArgs()];
    const [command, args] =
      options.core === undefined ? [process.execPath, nodeArgs] : ['taskset', ['-c', String(options.core), process.execPath, ...nodeArgs]];
    const child = spawn(command, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, TRELLIS_LOG: 'warn' },
    });
    child.on('message', (reply: LoadReply) => {
      const waiter = pending.get(reply.seq);
      pending.delete(reply.seq);
      waiter?.resolve(reply);
    });
    child.on('exit', (code) => {
      for (const [key, waiter] of pending) {
        pending.delete(key);
        waiter.reject(new Error(`load generator exited (code ${code}) with a command pending`));
      }
    });
    children.push(child);
  }

  const ask = (child: ChildProcess, body: CommandBody): Promise<LoadReply> => {
    const reply = new Promise<LoadReply>((resolve, reject) => {
      seq += 1;
      pending.set(seq, { resolve, reject });
      child.send({ ...body, seq } as LoadCommand);
    });
    // Marked handled: when one child fails, Promise.all reports it and the others' rejections
    // must not crash the whole run as unhandled.
    reply.catch(() => undefined);
    return reply;
  };

  const askAll = async (body: (index: number) => CommandBody): Promise<LoadReply[]> => {
    const replies = await Promise.all(children.map((child, index) => ask(child, body(index))));
    for (const reply of replies) if (!reply.ok) throw new Error(`load generator: ${reply.error}`);
    return replies;
  };

  const field = <K extends string>(reply: LoadReply, key: K): unknown => (reply as unknown as Record<string, unknown>)[key];

  return {
    size: children.length,
    async connect(address, mode, nodes, timeoutMs) {
      const shares = children.map((_, c) => nodes.filter((__, n) => n % children.length === c));
      const replies = await askAll((c) => ({ cmd: 'connect', address, mode, nodes: shares[c] ?? [], timeoutMs }));
      return replies.flatMap((r) => field(r, 'readyAt') as number[]);
    },
    async connectWith(address, mode, nodes, timeoutMs, extra) {
      const shares = children.map((_, c) => nodes.filter((__, n) => n % children.length === c));
      const replies = await askAll((c) => ({
        cmd: 'connect',
        address,
        mode,
        nodes: shares[c] ?? [],
        timeoutMs,
        ...(extra.streamsPerConnection !== undefined ? { streamsPerConnection: extra.streamsPerConnection } : {}),
        ...(extra.record !== undefined ? { record: extra.record } : {}),
      }));
      return replies.flatMap((r) => field(r, 'readyAt') as number[]);
    },
    async reconnect(timeoutMs, settleMs) {
      const replies = await askAll(() => ({ cmd: 'reconnect', timeoutMs, settleMs }));
      const list = (key: string): number[] => replies.flatMap((r) => field(r, key) as number[]);
      return { reconnectedAt: list('reconnectedAt'), bytesBefore: list('bytesBefore'), bytes: list('bytes'), resources: list('resources'), responses: list('responses') };
    },
    async connectWithSecrets(address, mode, nodes, secrets, timeoutMs) {
      const shares = children.map((_, c) => nodes.filter((__, n) => n % children.length === c));
      const replies = await askAll((c) => ({ cmd: 'connect', address, mode, nodes: shares[c] ?? [], timeoutMs, secrets }));
      return {
        readyAt: replies.flatMap((r) => field(r, 'readyAt') as number[]),
        secretsAt: replies.flatMap((r) => (field(r, 'secretsAt') as number[] | undefined) ?? []),
      };
    },
    async armSecret(id, secret, condition, timeoutMs) {
      await askAll(() => ({ cmd: 'arm-secret', id, secret, condition, timeoutMs }));
    },
    async arm(id, cluster, timeoutMs) {
      await askAll(() => ({ cmd: 'arm', id, cluster, timeoutMs }));
    },
    async collectGarbage() {
      await askAll(() => ({ cmd: 'collect-garbage' }));
    },
    async collect(id) {
      const replies = await askAll(() => ({ cmd: 'await', id }));
      return {
        ackedAt: replies.flatMap((r) => field(r, 'ackedAt') as number[]),
        missing: replies.reduce((sum, r) => sum + (field(r, 'missing') as number), 0),
      };
    },
    async connectMixed(address, mode, nodes, options, timeoutMs) {
      const share = <T>(list: readonly T[], c: number): T[] => list.filter((_, n) => n % children.length === c);
      const replies = await askAll((c) => ({
        cmd: 'connect',
        address,
        mode,
        nodes: share(nodes, c),
        timeoutMs,
        ...(options.behaviours ? { behaviours: share(options.behaviours, c) } : {}),
        ...(options.slowDelayMs !== undefined ? { slowDelayMs: options.slowDelayMs } : {}),
        ...(options.record !== undefined ? { record: options.record } : {}),
      }));
      return replies.flatMap((r) => field(r, 'readyAt') as number[]);
    },
    async armResource(id, wait) {
      const replies = await askAll(() => ({ cmd: 'arm-resource', id, ...wait }));
      return replies.reduce((sum, r) => sum + (field(r, 'armed') as number), 0);
    },
    async markBytes() {
      await askAll(() => ({ cmd: 'bytes-mark' }));
    },
    async bytes() {
      const replies = await askAll(() => ({ cmd: 'bytes' }));
      return replies.flatMap((r) => field(r, 'streams') as StreamBytes[]);
    },
    async dump() {
      const first = children[0];
      if (!first) return {};
      const reply = await ask(first, { cmd: 'dump' });
      if (!reply.ok) throw new Error(`load generator: ${reply.error}`);
      return field(reply, 'dump') as ResourceDump;
    },
    async usage() {
      const replies = await askAll(() => ({ cmd: 'usage' }));
      return {
        cpuSeconds: replies.reduce((sum, r) => sum + (field(r, 'cpuSeconds') as number), 0),
        rssBytes: replies.reduce((sum, r) => sum + (field(r, 'rssBytes') as number), 0),
      };
    },
    async disconnect() {
      await askAll(() => ({ cmd: 'disconnect' }));
    },
    async close() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              if (child.connected) child.disconnect();
              setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
            }),
        ),
      );
    },
  };
}
