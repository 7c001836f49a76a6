/**
 * AuthorizationPolicy spec: who (`from`) may or may not call what (`to`) on a service. A team
 * policy (namespaced) names its service in `target`; a platform policy (cluster-scoped) uses a
 * `scope` like PlatformPolicy. Every problem is a diagnostic; nothing throws.
 */
import type {
  AuthorizationAction,
  AuthorizationOperation,
  AuthorizationPolicySpec,
  AuthorizationRule,
  AuthorizationSource,
} from '../types.ts';
import { compact, describeValue, readDnsLabel, readEnum, readList, readNumber, readObject, readServiceKey, readString, readStringList } from './checker.ts';
import type { Checker } from './checker.ts';
import { hint } from './did-you-mean.ts';
import type { Path } from './paths.ts';
import { readScope } from './policy.ts';

export const AUTHORIZATION_ACTIONS: readonly AuthorizationAction[] = ['ALLOW', 'DENY'];
/** HTTP methods a rule may name (gRPC calls are POST). */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;

const SOURCE_FIELDS = ['service', 'namespace', 'spiffeId'] as const;
const OPERATION_FIELDS = ['paths', 'methods', 'ports'] as const;
// SPIFFE: a trust domain of lowercase letters, digits, '.', '-', '_'; path segments of letters, digits, '.', '-', '_'.
const SPIFFE_EXACT = /^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)+$/;
const SPIFFE_PREFIX = /^spiffe:\/\/([a-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/?)?$/;
const PATH_CHARS = /^\/[A-Za-z0-9\-._~!$&'()+,;=:@%/]*$/;
const MAX_LIST = 1000;

/** Where the policy lives: team policies (with a namespace) target a service; platform ones have a scope. */
export interface AuthorizationPlace {
  readonly namespace?: string;
}

/** Validates an AuthorizationPolicy spec at `path`; undefined when any required part is invalid. */
export function readAuthorizationSpec(c: Checker, value: unknown, path: Path, place: AuthorizationPlace): AuthorizationPolicySpec | undefined {
  const team = place.namespace !== undefined;
  const forbidden: Record<string, string> = team
    ? { scope: 'a namespaced (team) AuthorizationPolicy guards one service: use spec.target.service; spec.scope is for cluster-scoped (platform) policies' }
    : { target: 'a cluster-scoped (platform) AuthorizationPolicy uses spec.scope; spec.target needs metadata.namespace (a team policy for a service of that namespace)' };
  const fields = team ? ['target', 'action', 'rules'] : ['scope', 'action', 'rules'];
  const o = readObject(c, value, path, fields, `an AuthorizationPolicy spec`, forbidden);
  if (o === undefined) return undefined;
  const at = (field: string): Path => [...path, field];
  let ok = true;

  let target: { service: string } | undefined;
  let scope: AuthorizationPolicySpec['scope'];
  if (team) {
    if (o['target'] === undefined) {
      c.fail(path, `a namespaced AuthorizationPolicy needs target: {service: NAME} (a service of namespace ${place.namespace ?? ''})`);
      ok = false;
    } else target = readTarget(c, o['target'], at('target'));
    if (target === undefined) ok = false;
  } else if (o['scope'] === undefined) {
    // A stray `target` was already reported as forbidden; do not pile on.
    if (!Object.hasOwn(o, 'target')) {
      c.fail(path, 'a cluster-scoped AuthorizationPolicy needs scope: {namespaces: [...]} and/or {services: [...]} (namespaces: ["*"] is the whole mesh); give metadata.namespace and spec.target for a team policy');
    }
    ok = false;
  } else {
    scope = readScope(c, o['scope'], at('scope'));
    if (scope === undefined) ok = false;
  }

  if (o['action'] === undefined) {
    c.fail(path, `action is required: ${AUTHORIZATION_ACTIONS.join(' or ')}`);
    ok = false;
  }
  const action = readEnum(c, o['action'], at('action'), AUTHORIZATION_ACTIONS);
  if (action === undefined) ok = false;

  const rules = readRules(c, o['rules'], at('rules'), path);
  if (rules === undefined) ok = false;
  if (!ok || action === undefined || rules === undefined) return undefined;
  return compact<AuthorizationPolicySpec>({ scope, target, action, rules });
}

function readTarget(c: Checker, value: unknown, path: Path): { service: string } | undefined {
  const o = readObject(c, value, path, ['service'], 'a target', { services: 'a team policy targets one service: service: NAME' });
  if (o === undefined) return undefined;
  if (o['service'] === undefined) {
    c.fail(path, 'target.service is required: the name of a service in the policy\'s namespace (a DNS label)');
    return undefined;
  }
  if (typeof o['service'] === 'string' && o['service'].includes('.')) {
    c.fail([...path, 'service'], `target.service is the service's name in the policy's namespace (a DNS label), got ${describeValue(o['service'])}; to guard services of other namespaces, write the policy in that namespace`);
    return undefined;
  }
  const service = readDnsLabel(c, o['service'], [...path, 'service'], 'target.service');
  return service === undefined ? undefined : { service };
}

function readRules(c: Checker, value: unknown, path: Path, specPath: Path): AuthorizationRule[] | undefined {
  if (value === undefined) {
    c.fail(specPath, 'rules is required: a non-empty list of {from, to} (use [{}] to match every request)');
    return undefined;
  }
  const list = readList(c, value, path, 'rules');
  if (list === undefined) return undefined;
  if (list.length === 0) {
    c.fail(path, 'rules must not be empty (use [{}] to match every request)');
    return undefined;
  }
  if (list.length > MAX_LIST) {
    c.fail(path, `at most ${MAX_LIST} rules per policy, got ${list.length}`);
    return undefined;
  }
  const rules: AuthorizationRule[] = [];
  let ok = true;
  list.forEach((raw, i) => {
    const rule = readRule(c, raw, [...path, i]);
    if (rule === undefined) ok = false;
    else rules.push(rule);
  });
  return ok ? rules : undefined;
}

function readRule(c: Checker, value: unknown, path: Path): AuthorizationRule | undefined {
  const o = readObject(c, value, path, ['from', 'to'], 'a rule');
  if (o === undefined) return undefined;
  const from = readEntries(c, o['from'], [...path, 'from'], 'from', 'callers', readSource);
  const to = readEntries(c, o['to'], [...path, 'to'], 'to', 'operations', readOperation);
  if (from === null || to === null) return undefined;
  return compact<AuthorizationRule>({ from, to });
}

/** A non-empty list of entries; undefined when absent, null when invalid. */
function readEntries<T>(
  c: Checker, value: unknown, path: Path, field: string, what: string,
  item: (c: Checker, value: unknown, path: Path) => T | undefined,
): T[] | undefined | null {
  if (value === undefined) return undefined;
  const list = readList(c, value, path, what);
  if (list === undefined) return null;
  if (list.length === 0) {
    c.fail(path, `an empty ${field} list matches nothing; leave ${field} out to match all ${what}`);
    return null;
  }
  if (list.length > MAX_LIST) {
    c.fail(path, `at most ${MAX_LIST} ${what} per rule, got ${list.length}`);
    return null;
  }
  const out: T[] = [];
  let ok = true;
  list.forEach((raw, i) => {
    const entry = item(c, raw, [...path, i]);
    if (entry === undefined) ok = false;
    else out.push(entry);
  });
  return ok ? out : null;
}

function readSource(c: Checker, value: unknown, path: Path): AuthorizationSource | undefined {
  const o = readObject(c, value, path, SOURCE_FIELDS, 'a caller');
  if (o === undefined) return undefined;
  const given = SOURCE_FIELDS.filter((f) => o[f] !== undefined);
  if (given.length !== 1) {
    c.fail(path, `a caller has exactly one of service (name.namespace), namespace, spiffeId; ${given.length === 0 ? 'got none' : `got ${given.join(' and ')}`}`);
    return undefined;
  }
  const field = given[0];
  const at: Path = [...path, field ?? ''];
  if (field === 'service') {
    const service = readServiceKey(c, o['service'], at);
    return service === undefined ? undefined : { service };
  }
  if (field === 'namespace') {
    const namespace = readDnsLabel(c, o['namespace'], at, 'namespace');
    return namespace === undefined ? undefined : { namespace };
  }
  const spiffeId = readSpiffePattern(c, o['spiffeId'], at);
  return spiffeId === undefined ? undefined : { spiffeId };
}

/** `spiffe://td/path` exactly, or a prefix ending in `*` (`spiffe://td/ns/bookinfo/*`). */
function readSpiffePattern(c: Checker, value: unknown, path: Path): string | undefined {
  const text = readString(c, value, path, 'a SPIFFE id');
  if (text === undefined) return undefined;
  if (!text.startsWith('spiffe://')) {
    c.fail(path, `expected a SPIFFE id starting with spiffe:// (e.g. spiffe://trellis.local/ns/bookinfo/sa/reviews), got ${describeValue(text)}`);
    return undefined;
  }
  const star = text.indexOf('*');
  if (star >= 0 && star !== text.length - 1) {
    c.fail(path, `"*" may only end a SPIFFE id (a prefix match such as spiffe://trellis.local/ns/bookinfo/*), got ${describeValue(text)}`);
    return undefined;
  }
  const ok = star < 0 ? SPIFFE_EXACT.test(text) : SPIFFE_PREFIX.test(text.slice(0, -1));
  if (!ok || text.length > 2048) {
    c.fail(path, 'expected a SPIFFE id spiffe://<trust-domain>/<path> (trust domain in lowercase letters, digits, ".", "-", "_"; ' +
      `non-empty path segments of letters, digits, ".", "-", "_"), optionally ending in "*", got ${describeValue(text)}`);
    return undefined;
  }
  return text;
}

function readOperation(c: Checker, value: unknown, path: Path): AuthorizationOperation | undefined {
  const o = readObject(c, value, path, OPERATION_FIELDS, 'an operation');
  if (o === undefined) return undefined;
  if (OPERATION_FIELDS.every((f) => o[f] === undefined)) {
    c.fail(path, 'an operation needs at least one of paths, methods, ports; leave to out to match every request');
    return undefined;
  }
  const nonEmpty = <T>(list: T[] | undefined, field: string): T[] | undefined | null => {
    if (list?.length === 0) {
      c.fail([...path, field], `an empty ${field} list matches nothing; leave ${field} out to match any`);
      return null;
    }
    return list;
  };
  const paths = nonEmpty(readStringList(c, o['paths'], [...path, 'paths'], 'paths', (entry, p) => readRequestPath(c, entry, p)), 'paths');
  const methods = nonEmpty(readStringList(c, o['methods'], [...path, 'methods'], 'HTTP methods', (entry, p) => readMethod(c, entry, p)), 'methods');
  const ports = nonEmpty(readPorts(c, o['ports'], [...path, 'ports']), 'ports');
  const bad = (field: string, read: unknown): boolean => o[field] !== undefined && (read === undefined || read === null);
  if (bad('paths', paths) || bad('methods', methods) || bad('ports', ports)) return undefined;
  return compact<AuthorizationOperation>({ paths: paths ?? undefined, methods: methods ?? undefined, ports: ports ?? undefined });
}

function readRequestPath(c: Checker, value: unknown, path: Path): string | undefined {
  const text = readString(c, value, path, 'a request path');
  if (text === undefined) return undefined;
  const star = text.indexOf('*');
  const body = star === text.length - 1 ? text.slice(0, -1) : text;
  if (!text.startsWith('/') || (star >= 0 && star !== text.length - 1) || !PATH_CHARS.test(body) || text.length > 1024) {
    c.fail(path, `expected a request path starting with "/" (exact, or a prefix ending in "*", e.g. /reviews/* or /pkg.Service/*), got ${describeValue(text)}`);
    return undefined;
  }
  return text;
}

function readMethod(c: Checker, value: unknown, path: Path): string | undefined {
  const text = readString(c, value, path, 'an HTTP method');
  if (text === undefined) return undefined;
  if ((HTTP_METHODS as readonly string[]).includes(text)) return text;
  const upper = text.toUpperCase();
  const suggestion = (HTTP_METHODS as readonly string[]).includes(upper) ? ` (write it upper case: "${upper}")` : hint(text, HTTP_METHODS);
  c.fail(path, `expected an HTTP method (${HTTP_METHODS.join(', ')}; gRPC calls are POST), got ${describeValue(text)}${suggestion}`);
  return undefined;
}

function readPorts(c: Checker, value: unknown, path: Path): number[] | undefined {
  const list = readList(c, value, path, 'ports');
  if (list === undefined) return undefined;
  const out: number[] = [];
  let ok = true;
  list.forEach((entry, i) => {
    const port = readNumber(c, entry, [...path, i], 1, 65535, true, 'a port 1..65535');
    if (port === undefined) {
      if (entry === undefined) c.fail([...path, i], 'expected a port 1..65535, got nothing');
      ok = false;
    } else if (out.includes(port)) {
      c.fail([...path, i], `port ${port} is listed twice`);
      ok = false;
    } else out.push(port);
  });
  return ok ? out : undefined;
}
