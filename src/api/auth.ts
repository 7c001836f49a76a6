/**
 * Who may do what over the HTTP API. `authorize(request, action)` authenticates the bearer token
 * and checks the role against the route's action; `permitWrites(principal, targets)` then checks
 * the namespaces and kinds a request writes (known only once its body is read).
 *
 * Roles: viewer → reads only; team → ServiceConfig, namespaced AuthorizationPolicy and registry
 * writes in its namespaces only; admin → everything, including PlatformPolicy, cluster-scoped
 * AuthorizationPolicy and tokens. The bootstrap admin token
 * (`admin.token`) is always an admin. Reads are open when `openReads` (the API listens on
 * loopback); otherwise they need any valid token.
 */
import type { IncomingMessage } from 'node:http';
import { TrellisError } from '../util/errors.ts';
import { secretDigest, secretMatches } from '../util/secrets.ts';

/**
 * read: GET-like; write: changes state (then permitWrites narrows it); admin: admin only;
 * open: anyone, the handler checks its own proof (a workload's join token or certificate).
 */
export type ApiAction = 'read' | 'write' | 'admin' | 'open';

export type Role = 'admin' | 'team' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'team', 'viewer'];

/** Whoever made the request. Anonymous requests are a viewer named `anonymous`. */
export interface Principal {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** The namespaces a team token may write; empty for other roles. */
  readonly namespaces: readonly string[];
}

export const ANONYMOUS: Principal = { id: 'anonymous', name: 'anonymous', role: 'viewer', namespaces: [] };
export const BOOTSTRAP_ADMIN: Principal = { id: 'admin', name: 'admin', role: 'admin', namespaces: [] };

export type AuthDecision =
  | { readonly allowed: true; readonly principal: Principal }
  | { readonly allowed: false; readonly status: 401 | 403; readonly message: string };

/** Decides whether `request` may perform `action`; pure apart from reading request headers. */
export type Authorize = (request: IncomingMessage, action: ApiAction) => AuthDecision;

/** Finds an issued token by the SHA-256 hex of its secret (see token-store.ts). */
export interface TokenLookup {
  lookup(hash: string): Principal | undefined;
}

export interface AuthorizerOptions {
  /** Issued tokens besides the bootstrap admin token. */
  readonly tokens?: TokenLookup;
  /** Whether reads need no token (true when the API listens on loopback). Default true. */
  readonly openReads?: boolean;
}

/**
 * An authorizer checking `Authorization: Bearer <token>` against the admin token's SHA-256 hex
 * (fixed-length digests compared in constant time) and then the issued tokens. Throws
 * TrellisError kind 'internal' if `adminTokenHash` is not 64 hex digits (a wiring bug).
 */
export function createAuthorizer(adminTokenHash: string, options: AuthorizerOptions = {}): Authorize {
  if (!/^[0-9a-fA-F]{64}$/.test(adminTokenHash)) {
    throw new TrellisError('internal', 'adminTokenHash must be a SHA-256 hex digest (64 hex digits)');
  }
  const expected = Buffer.from(adminTokenHash, 'hex');
  const openReads = options.openReads ?? true;
  const identify = (token: string): Principal | undefined => {
    if (secretMatches(token, expected)) return BOOTSTRAP_ADMIN;
    return options.tokens?.lookup(secretDigest(token).toString('hex'));
  };
  return (request, action) => {
    const token = bearerToken(request.headers.authorization);
    const principal = token === undefined ? undefined : identify(token);
    if (action === 'open') return { allowed: true, principal: principal ?? ANONYMOUS };
    // On loopback, reads ignore credentials entirely: a stale token never locks out `trellis get`.
    if (action === 'read' && openReads) return { allowed: true, principal: principal ?? ANONYMOUS };
    if (token === undefined) {
      return {
        allowed: false,
        status: 401,
        message: action === 'read'
          ? 'this API is not on loopback: reads need the header `Authorization: Bearer <token>` (any valid token)'
          : 'write requests (POST, PUT, DELETE) need the header `Authorization: Bearer <token>`',
      };
    }
    if (principal === undefined) {
      return { allowed: false, status: 401, message: 'the bearer token is not valid: it is not the admin token nor an issued token (unknown or revoked)' };
    }
    if (action === 'write' && principal.role === 'viewer') {
      return { allowed: false, status: 403, message: `viewer token "${principal.name}" may only read; this request writes` };
    }
    if (action === 'admin' && principal.role !== 'admin') {
      return { allowed: false, status: 403, message: `${principal.role} token "${principal.name}" may not do this; it needs an admin token` };
    }
    return { allowed: true, principal };
  };
}

/** What a request writes, for the namespace and kind rules. */
export type WriteTarget =
  | { readonly kind: 'ServiceConfig'; readonly id: string; readonly namespace: string }
  | { readonly kind: 'PlatformPolicy'; readonly id: string }
  /** Without a namespace: a cluster-scoped (platform) policy, admin only. */
  | { readonly kind: 'AuthorizationPolicy'; readonly id: string; readonly namespace?: string }
  | { readonly kind: 'registry'; readonly namespace: string; readonly what: string };

/**
 * undefined when `principal` may write every target, else the refusal naming the rule and the
 * first target it breaks (a 403 message).
 */
export function permitWrites(principal: Principal, targets: readonly WriteTarget[]): string | undefined {
  if (principal.role === 'admin') return undefined;
  if (principal.role === 'viewer') return `${principal.name === 'anonymous' ? 'anonymous requests' : `viewer token "${principal.name}"`} may only read; this request writes`;
  const namespaces = `[${principal.namespaces.join(', ')}]`;
  for (const target of targets) {
    if (target.kind === 'registry') {
      if (!principal.namespaces.includes(target.namespace)) {
        return `team token "${principal.name}" may only write registry entries in namespaces ${namespaces}; this request writes ${target.what} in namespace ${target.namespace}`;
      }
    } else if (target.kind === 'AuthorizationPolicy') {
      if (target.namespace === undefined) {
        return `team token "${principal.name}" may not write cluster-scoped (platform) AuthorizationPolicy ${target.id}: it needs an admin token; ` +
          `team tokens write namespaced AuthorizationPolicies in namespaces ${namespaces}`;
      }
      if (!principal.namespaces.includes(target.namespace)) {
        return `team token "${principal.name}" may only write AuthorizationPolicy in namespaces ${namespaces}; this request writes ${target.id}`;
      }
    } else if (target.kind === 'PlatformPolicy' || !principal.namespaces.includes(target.namespace)) {
      return `team token "${principal.name}" may only write ServiceConfig in namespaces ${namespaces}; this request writes ${target.id}`;
    }
  }
  return undefined;
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Whether `host` is a loopback address (or `localhost`), where reads stay open. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
