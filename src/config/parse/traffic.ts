/**
 * Per-route traffic settings, also allowed at service level: retries, fault injection, mirroring
 * and header mutation.
 */
import type { FaultSpec, HeaderMutationSpec, HeaderOperations, MirrorSpec, RetrySpec } from '../types.ts';
import {
  compact, describeValue, readDuration, readEnum, readHeaderName, readMap, readNumber, readObject,
  readPercent, readServiceKey, readDnsLabel, readString, readStringList,
} from './checker.ts';
import type { Checker } from './checker.ts';
import type { Path } from './paths.ts';

/** What `retries.on` accepts: Envoy retry conditions and gRPC status names. */
export const RETRY_ON = [
  '5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-4xx',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
] as const;
export const MAX_RETRY_ATTEMPTS = 10;

/** gRPC status names (index = code). */
export const GRPC_STATUS_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED',
  'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
] as const;

/** Checks a subset reference that points at the document's own service; set by the ServiceConfig validator. */
export type OwnSubsetCheck = (subset: string, path: Path) => void;

export interface TrafficContext {
  /** 'service': a ServiceConfig; 'policy': PlatformPolicy defaults or overrides (no own service). */
  readonly place: 'service' | 'policy';
  /** Own service key (ServiceConfig only): a target naming it is the same as naming none. */
  readonly selfKey?: string;
  readonly ownSubset?: OwnSubsetCheck;
}

const RETRY_FIELDS = ['attempts', 'perTryTimeout', 'on'];

export function readRetries(c: Checker, value: unknown, path: Path): RetrySpec | undefined {
  if (value === undefined) return undefined;
  const o = readObject(c, value, path, RETRY_FIELDS, 'a retry policy');
  if (o === undefined) return undefined;
  const on = readStringList(c, o['on'], [...path, 'on'], 'retry conditions', (entry, p) => readEnum(c, entry, p, RETRY_ON));
  return compact<RetrySpec>({
    attempts: readNumber(c, o['attempts'], [...path, 'attempts'], 0, MAX_RETRY_ATTEMPTS, true),
    perTryTimeout: readDuration(c, o['perTryTimeout'], [...path, 'perTryTimeout']),
    on,
  });
}

function readGrpcStatus(c: Checker, value: unknown, path: Path): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    const code = GRPC_STATUS_NAMES.findIndex((name) => name === value.toUpperCase().replaceAll('-', '_'));
    if (code >= 0) return code;
  }
  if (typeof value === 'number') return readNumber(c, value, path, 0, 16, true, 'a gRPC status code 0..16 or a name like UNAVAILABLE');
  c.fail(path, `expected a gRPC status code 0..16 or a name (${GRPC_STATUS_NAMES.join(', ')}), got ${describeValue(value)}`);
  return undefined;
}

export function readFault(c: Checker, value: unknown, path: Path): FaultSpec | undefined {
  if (value === undefined) return undefined;
  const o = readObject(c, value, path, ['abort', 'delay'], 'a fault injection');
  if (o === undefined) return undefined;
  if (o['abort'] === undefined && o['delay'] === undefined) c.fail(path, 'a fault needs abort and/or delay');
  let abort: FaultSpec['abort'];
  const abortPath = [...path, 'abort'];
  if (o['abort'] !== undefined) {
    const a = readObject(c, o['abort'], abortPath, ['percent', 'httpStatus', 'grpcStatus'], 'an abort fault');
    if (a !== undefined) {
      const percent = requiredPercent(c, a, abortPath);
      const httpStatus = readNumber(c, a['httpStatus'], [...abortPath, 'httpStatus'], 200, 599, true, 'an HTTP status 200..599');
      const grpcStatus = readGrpcStatus(c, a['grpcStatus'], [...abortPath, 'grpcStatus']);
      if ((a['httpStatus'] === undefined) === (a['grpcStatus'] === undefined)) {
        c.fail(abortPath, 'an abort needs exactly one of httpStatus (200..599) or grpcStatus (0..16 or a name)');
      }
      if (percent !== undefined && (httpStatus !== undefined || grpcStatus !== undefined)) {
        abort = compact<NonNullable<FaultSpec['abort']>>({ percent, httpStatus, grpcStatus });
      }
    }
  }
  let delay: FaultSpec['delay'];
  const delayPath = [...path, 'delay'];
  if (o['delay'] !== undefined) {
    const d = readObject(c, o['delay'], delayPath, ['percent', 'fixed'], 'a delay fault');
    if (d !== undefined) {
      const percent = requiredPercent(c, d, delayPath);
      if (d['fixed'] === undefined) c.fail(delayPath, 'a delay needs fixed (a duration such as 100ms)');
      const fixed = readDuration(c, d['fixed'], [...delayPath, 'fixed']);
      if (percent !== undefined && fixed !== undefined) delay = { percent, fixed };
    }
  }
  return compact<FaultSpec>({ abort, delay });
}

function requiredPercent(c: Checker, o: Record<string, unknown>, path: Path): number | undefined {
  if (o['percent'] === undefined) c.fail(path, 'percent is required (a percentage 0..100)');
  return readPercent(c, o['percent'], [...path, 'percent']);
}

/** A mirror: in a ServiceConfig the target defaults to the service itself; in a policy it must name a service. */
export function readMirror(c: Checker, value: unknown, path: Path, ctx: TrafficContext): MirrorSpec | undefined {
  if (value === undefined) return undefined;
  const o = readObject(c, value, path, ['service', 'subset', 'percent'], 'a mirror');
  if (o === undefined) return undefined;
  const service = readServiceKey(c, o['service'], [...path, 'service']);
  const subset = readDnsLabel(c, o['subset'], [...path, 'subset'], 'a subset name');
  const percent = requiredPercent(c, o, path);
  if (ctx.place === 'policy' && o['service'] === undefined) {
    c.fail(path, 'a mirror in a PlatformPolicy must name its service (name.namespace): a policy has no service of its own');
  }
  const own = o['service'] === undefined || service === ctx.selfKey;
  if (ctx.place === 'service' && own && o['subset'] === undefined) {
    c.fail(path, 'a mirror to the service itself needs a subset (or name another service)');
  }
  if (subset !== undefined && own && ctx.ownSubset !== undefined) ctx.ownSubset(subset, [...path, 'subset']);
  if (percent === undefined) return undefined;
  return compact<MirrorSpec>({ service, subset, percent });
}

const HEADER_OP_FIELDS = ['set', 'add', 'remove'];

function readHeaderOps(c: Checker, value: unknown, path: Path): HeaderOperations | undefined {
  if (value === undefined) return undefined;
  const o = readObject(c, value, path, HEADER_OP_FIELDS, 'header operations');
  if (o === undefined) return undefined;
  const values = (field: string): Record<string, string> | undefined => {
    if (o[field] === undefined) return undefined;
    const map = readMap(c, o[field], [...path, field], 'header name → value');
    if (map === undefined) return undefined;
    const entries: Array<[string, string]> = [];
    for (const [name, headerValue] of Object.entries(map)) {
      const p = [...path, field, name];
      const okName = readHeaderName(c, name, p);
      const text = readString(c, headerValue, p, 'a header value (a string)');
      if (okName !== undefined && text !== undefined) entries.push([okName, text]);
    }
    return Object.fromEntries(entries);
  };
  const remove = readStringList(c, o['remove'], [...path, 'remove'], 'header names', (entry, p) => {
    const text = readString(c, entry, p, 'a header name');
    return text === undefined ? undefined : readHeaderName(c, text, p);
  });
  return compact<HeaderOperations>({ set: values('set'), add: values('add'), remove });
}

export function readHeaderMutation(c: Checker, value: unknown, path: Path): HeaderMutationSpec | undefined {
  if (value === undefined) return undefined;
  const o = readObject(c, value, path, ['request', 'response'], 'header mutations');
  if (o === undefined) return undefined;
  return compact<HeaderMutationSpec>({
    request: readHeaderOps(c, o['request'], [...path, 'request']),
    response: readHeaderOps(c, o['response'], [...path, 'response']),
  });
}

