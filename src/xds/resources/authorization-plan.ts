/**
 * Warnings about authorization rules a view cannot enforce as written (pure, from the view only):
 * - rules naming callers need the caller's certificate, so a serving side that accepts plaintext
 *   (sidecar inbound DISABLE or PERMISSIVE, or an unproven PERMISSIVE sidecar; a proxyless server
 *   under DISABLE) cannot match plaintext callers: deny-by-identity rules never match them and
 *   allow-by-identity rules deny them;
 * - a tcp sidecar inbound has no HTTP connection manager, so no RBAC filter: nothing is enforced.
 * An unproven STRICT sidecar serves no inbound at all (mtls-plan.ts warns about that).
 */
import type { AuthorizationModel, ProxyView } from '../../model/types.ts';
import type { Diagnostic } from '../../util/errors.ts';
import { serverRequiresMtls, sidecarInbound } from './mtls-plan.ts';

/** The warnings for `view` (see the module comment); [] when its rules are enforceable or it has none. */
export function authorizationWarnings(view: ProxyView): Diagnostic[] {
  const authz = view.inboundAuthorization;
  if (!authz) return [];
  const source = view.serviceKey === '' ? `view ${view.key}` : `service ${view.serviceKey}`;
  const warn = (message: string): Diagnostic[] => [{ severity: 'warning', field: 'authorization', message, source }];
  if (view.kind === 'sidecar' && view.inboundPort > 0) {
    const inbound = sidecarInbound(view);
    if (inbound === 'none') return [];
    if (view.inboundProtocol === 'tcp') {
      return warn('authorization rules are not enforced for a tcp service (RBAC needs HTTP or gRPC inbound traffic)');
    }
    if ((inbound === 'plaintext' || inbound === 'mtls-and-plaintext') && namesCallers(authz)) {
      return warn(plaintextMessage(inbound === 'plaintext' ? 'inbound mTLS is off for this sidecar' : 'this sidecar also accepts plaintext (PERMISSIVE)'));
    }
    return [];
  }
  if (view.kind === 'proxyless' && view.serverListeners.length > 0 && !serverRequiresMtls(view) && namesCallers(authz)) {
    return warn(plaintextMessage('mtls.mode is DISABLE for this gRPC server'));
  }
  return [];
}

function namesCallers(authz: AuthorizationModel): boolean {
  return [...authz.deny, ...authz.allow].some((r) => r.principals !== undefined);
}

function plaintextMessage(why: string): string {
  return `${why}: rules naming callers cannot match plaintext callers (their DENY rules never apply to them, their ALLOW rules deny them); set mtls.mode STRICT`;
}
