/**
 * The built-in CA over HTTP. Workloads (no API token) get certificates by proving an identity in
 * the body: `POST /ca/certificates`; anyone may read the trust bundle. Listing certificates needs
 * read access; join tokens and root rotation need an admin. Private keys appear only in the
 * answer to the workload that proved the identity (and only when Trellis generated the key).
 */
import { diagnosticsJson, errorBody, type Reply, type Route, type RouteContext } from './route-types.ts';
import type { CertificateAuthority } from '../ca/certificate-authority.ts';

const notEnabled: Reply = { status: 404, body: errorBody('the built-in CA is not enabled on this server') };

function withCa(handle: (ca: CertificateAuthority, c: RouteContext) => Promise<Reply>): (c: RouteContext) => Promise<Reply> {
  return async (c) => (c.ca === undefined ? notEnabled : handle(c.ca, c));
}

export const CA_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    pattern: ['ca', 'certificates'],
    action: 'open',
    body: true,
    handle: withCa(async (ca, c) => {
      const result = await ca.requestCertificate(c.body);
      return result.ok ? { status: 201, body: result.issued } : { status: result.status, body: errorBody(result.reason) };
    }),
  },
  {
    method: 'GET',
    pattern: ['ca', 'certificates'],
    action: 'read',
    handle: withCa(async (ca) => ({ status: 200, body: { certificates: ca.certificates() } })),
  },
  {
    method: 'GET',
    pattern: ['ca', 'bundle'],
    action: 'open',
    handle: withCa(async (ca) => {
      const bundle = ca.bundle();
      return { status: 200, body: { trustDomain: ca.trustDomain, bundlePem: bundle.pem, roots: bundle.roots, version: bundle.version } };
    }),
  },
  {
    method: 'POST',
    pattern: ['ca', 'tokens'],
    action: 'admin',
    body: true,
    handle: withCa(async (ca, c) => {
      const result = await ca.createJoinToken(c.body, c.principal.name);
      if (!result.ok) return { status: 400, body: { error: 'invalid join token request', diagnostics: diagnosticsJson(result.diagnostics) } };
      return { status: 201, body: { ...result.record, token: result.token } };
    }),
  },
  {
    method: 'GET',
    pattern: ['ca', 'tokens'],
    action: 'admin',
    handle: withCa(async (ca) => ({ status: 200, body: { tokens: ca.joinTokens.list() } })),
  },
  {
    method: 'DELETE',
    pattern: ['ca', 'tokens', ':id'],
    action: 'admin',
    handle: withCa(async (ca, c) =>
      (await ca.joinTokens.revoke(c.params['id'] ?? '')) ? { status: 204 } : { status: 404, body: errorBody(`join token ${c.params['id'] ?? ''} not found`) },
    ),
  },
  {
    method: 'POST',
    pattern: ['ca', 'rotate'],
    action: 'admin',
    handle: withCa(async (ca) => {
      await ca.rotateRoot();
      return { status: 202, body: { bundle: ca.bundle().roots } };
    }),
  },
];
