/**
 * Helpers for the layered-config end-to-end tests: apply YAML through the HTTP API or the CLI,
 * wait until a connected client has ACKed what the apply changed, call until a condition holds,
 * and small arithmetic on call results.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { proxyStatus, runTrellisCli, waitFor, type ApiAnswer, type CallOptions, type CallResult, type CliResult, type TrellisProcess, type XdsClient } from './harness.ts';

export interface ConfigFile {
  readonly name: string;
  readonly text: string;
}

/** `POST /api/v1/config/apply {files}` with the admin token; the answer as it came. */
export function applyConfig(trellis: TrellisProcess, files: readonly ConfigFile[]): Promise<ApiAnswer> {
  return trellis.api('POST', '/api/v1/config/apply', { files });
}

/** Applies `files` and fails with the API's answer (status and diagnostics) unless it was 2xx. */
export async function applyConfigOk(trellis: TrellisProcess, files: readonly ConfigFile[]): Promise<unknown> {
  const answer = await applyConfig(trellis, files);
  if (answer.status < 200 || answer.status > 299) {
    throw new Error(`config apply failed: HTTP ${answer.status} ${JSON.stringify(answer.body, null, 2)}`);
  }
  return answer.body;
}

/** Writes `text` to `dir/name` and returns the path (for `trellis apply -f`). */
export async function writeConfigFile(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text, 'utf8');
  return path;
}

/** `trellis apply -f PATH` against `trellis` (token and server found through its data folder). */
export function applyWithCli(trellis: TrellisProcess, path: string, extra: readonly string[] = []): Promise<CliResult> {
  return runTrellisCli(['apply', '-f', path, '--data', trellis.dataDir, ...extra]);
}

/** The 1-based line of the first line of `text` containing `needle` (throws when absent). */
export function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`"${needle}" is not in the text`);
  return index + 1;
}

/** Version ACKed per subscribed type (LDS, RDS, ...) for `nodeId`; {} when not connected. */
export async function ackedVersions(trellis: TrellisProcess, nodeId: string): Promise<Record<string, string | undefined>> {
  const proxy = await proxyStatus(trellis, nodeId);
  const versions: Record<string, string | undefined> = {};
  for (const [type, state] of Object.entries(proxy?.types ?? {})) versions[type] = state?.versionAcked;
  return versions;
}

/**
 * Applies `files` through the API, then waits until the client `nodeId` has ACKed a new version
 * of at least one type and has nothing un-ACKed, stable over two polls 300 ms apart (a rebuild
 * pushes its types within a moment of each other, so one settled poll could still be mid-push).
 */
export async function applyAndWaitForPush(trellis: TrellisProcess, nodeId: string, files: readonly ConfigFile[], timeoutMs = 10_000): Promise<void> {
  const before = await ackedVersions(trellis, nodeId);
  await applyConfigOk(trellis, files);
  let settledAt: string | undefined;
  await waitFor(`client ${nodeId} to ACK the applied config`, timeoutMs, async () => {
    const proxy = await proxyStatus(trellis, nodeId);
    const states = Object.entries(proxy?.types ?? {});
    const allAcked = states.length > 0 && states.every(([, s]) => s?.versionSent !== undefined && s.versionAcked === s.versionSent);
    const changed = states.some(([type, s]) => s?.versionAcked !== before[type]);
    if (!allAcked || !changed) {
      settledAt = undefined;
      return undefined;
    }
    const fingerprint = JSON.stringify(states.map(([type, s]) => [type, s?.versionAcked]));
    if (settledAt === fingerprint) return true;
    settledAt = fingerprint;
    return undefined;
  }, 300);
}

/** Calls in batches of `count` until `accept(result)` holds; resolves to that batch. */
export function callUntil(client: XdsClient, what: string, timeoutMs: number, count: number, options: CallOptions, accept: (result: CallResult) => boolean): Promise<CallResult> {
  let last: CallResult | undefined;
  return waitFor(what, timeoutMs, async () => {
    last = await client.call(count, options);
    return accept(last) ? last : undefined;
  }, 200).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; last batch: ${JSON.stringify(last)}`);
  });
}

/** Successful calls in `result` (every server). */
export function successes(result: CallResult): number {
  return Object.values(result.counts).reduce((sum, n) => sum + n, 0);
}

/** Failed calls in `result` (every status code). */
export function failures(result: CallResult): number {
  return Object.values(result.errors).reduce((sum, n) => sum + n, 0);
}

/** Percentage (0..100) of `part` in `whole`; 0 when `whole` is 0. */
export function percent(part: number, whole: number): number {
  return whole === 0 ? 0 : (100 * part) / whole;
}
