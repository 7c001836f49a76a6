/**
 * Client Status Discovery Service content: one ClientConfig per connected ADS stream, with a
 * GenericXdsConfig per resource the stream holds or asked for. Node matchers select streams by
 * node id (exact, prefix, suffix, contains; ignore_case honoured); metadata matchers are not
 * evaluated (a matcher with only those matches every node).
 */
import { decodeMessage, encodeMessage } from '../proto/codec.ts';
import { splitAny } from './proto-scan.ts';
import type { MalformedRequest, RequestNode } from './requests.ts';
import type { HeldResource } from './stream-types.ts';

/** A decoded ClientStatusRequest. */
export interface ClientStatusQuery {
  readonly kind: 'csds';
  /** Each returns true for node ids it selects; empty = every node. */
  readonly matchers: readonly ((nodeId: string) => boolean)[];
  readonly excludeResourceContents: boolean;
}

/** One stream as CSDS sees it. */
export interface CsdsStream {
  readonly node: RequestNode;
  readonly held: readonly HeldResource[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idMatcher(raw: unknown): (nodeId: string) => boolean {
  if (!isRecord(raw) || !isRecord(raw['node_id'])) return () => true;
  const m = raw['node_id'];
  const fold = m['ignore_case'] === true ? (s: string) => s.toLowerCase() : (s: string) => s;
  const text = (key: string): string | undefined => (typeof m[key] === 'string' ? fold(m[key]) : undefined);
  const exact = text('exact');
  const prefix = text('prefix');
  const suffix = text('suffix');
  const contains = text('contains');
  if (exact !== undefined) return (id) => fold(id) === exact;
  if (prefix !== undefined) return (id) => fold(id).startsWith(prefix);
  if (suffix !== undefined) return (id) => fold(id).endsWith(suffix);
  if (contains !== undefined) return (id) => fold(id).includes(contains);
  // safe_regex and unknown patterns: select nothing rather than everything.
  return () => false;
}

/** Decodes a ClientStatusRequest; never throws. */
export function decodeClientStatusRequest(bytes: Uint8Array): ClientStatusQuery | MalformedRequest {
  let obj: Record<string, unknown>;
  try {
    obj = decodeMessage('envoy.service.status.v3.ClientStatusRequest', bytes);
  } catch (error) {
    return { kind: 'malformed', message: `cannot decode ClientStatusRequest: ${(error as Error).message}` };
  }
  const raw = Array.isArray(obj['node_matchers']) ? obj['node_matchers'] : [];
  return { kind: 'csds', matchers: raw.map(idMatcher), excludeResourceContents: obj['exclude_resource_contents'] === true };
}

function timestamp(iso: string): { seconds: number; nanos: number } {
  const ms = Date.parse(iso);
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

function genericConfig(resource: HeldResource, excludeContents: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type_url: resource.typeUrl,
    name: resource.name,
    version_info: resource.versionInfo,
    client_status: resource.status,
  };
  if (resource.any && !excludeContents) {
    const { typeUrl, value } = splitAny(resource.any);
    out['xds_config'] = { type_url: typeUrl, value };
  }
  if (resource.nack) {
    out['error_state'] = {
      last_update_attempt: timestamp(resource.nack.at),
      details: resource.nack.message,
      version_info: resource.nack.version,
    };
  }
  return out;
}

/** Encodes the ClientStatusResponse for `streams` selected by `query`. */
export function clientStatusResponse(streams: Iterable<CsdsStream>, query: ClientStatusQuery): Uint8Array {
  const configs: Record<string, unknown>[] = [];
  for (const stream of streams) {
    const id = stream.node.info.id;
    if (query.matchers.length > 0 && !query.matchers.some((match) => match(id))) continue;
    configs.push({
      node: stream.node.raw,
      generic_xds_configs: stream.held.map((r) => genericConfig(r, query.excludeResourceContents)),
    });
  }
  return encodeMessage('envoy.service.status.v3.ClientStatusResponse', { config: configs });
}
