/**
 * Who may do what over the HTTP API. Today: reads are open, writes need the admin bearer token.
 * Roles (issue 3) extend `ApiAction` and the decision inside `authorize`; callers stay the same.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TrellisError } from '../util/errors.ts';

export type ApiAction = 'read' | 'write';

export type AuthDecision =
  | { readonly allowed: true; readonly principal: 'anonymous' | 'admin' }
  | { readonly allowed: false; readonly status: 401 | 403; readonly message: string };

/** Decides whether `request` may perform `action`; pure apart from reading request headers. */
export type Authorize = (request: IncomingMessage, action: ApiAction) => AuthDecision;

/**
 * An authorizer checking `Authorization: Bearer <token>` against the admin token's SHA-256 hex.
 * Comparison is of fixed-length digests in constant time. Throws TrellisError kind 'internal'
 * if `adminTokenHash` is not 64 hex digits (a startup wiring bug, not a request problem).
 */
export function createAuthorizer(adminTokenHash: string): Authorize {
  if (!/^[0-9a-fA-F]{64}$/.test(adminTokenHash)) {
    throw new TrellisError('internal', 'adminTokenHash must be a SHA-256 hex digest (64 hex digits)');
  }
  const expected = Buffer.from(adminTokenHash, 'hex');
  return (request, action) => {
    const token = bearerToken(request.headers.authorization);
    const isAdmin = token !== undefined && timingSafeEqual(createHash('sha256').update(token, 'utf8').digest(), expected);
    if (action === 'read') return { allowed: true, principal: isAdmin ? 'admin' : 'anonymous' };
    if (token === undefined) {
      return {
        allowed: false,
        status: 401,
        message: 'write requests (POST, PUT, DELETE) need the header `Authorization: Bearer <admin token>`',
      };
    }
    if (!isAdmin) {
      return { allowed: false, status: 401, message: 'the bearer token is not the admin token; write requests need the admin token' };
    }
    return { allowed: true, principal: 'admin' };
  };
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}
