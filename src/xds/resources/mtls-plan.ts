/**
 * What mTLS a view gets, decided in one place (pure, from the view only):
 * - Outbound: a target whose mode is STRICT or PERMISSIVE is called over mTLS by proxyless gRPC
 *   always (its certificates come from files) and by Envoy only once it proved an identity (SDS
 *   secrets are sent to proven proxies only). An unproven Envoy calls in plaintext, which STRICT
 *   targets refuse: a warning names them.
 * - Sidecar inbound: DISABLE plaintext; STRICT mTLS only; PERMISSIVE both (TLS inspector picks).
 *   Unproven under STRICT: no inbound listener (and no inbound cluster) rather than a plaintext
 *   one that would break the mode; unproven under PERMISSIVE: plaintext only. Each with a warning.
 * - Proxyless server (A36) inbound: STRICT and PERMISSIVE both mean mTLS only (gRPC servers
 *   cannot serve both on one port; a warning says so for PERMISSIVE).
 */
import type { ProxyView, ServiceModel } from '../../model/types.ts';
import type { Diagnostic } from '../../util/errors.ts';
import type { UpstreamTls } from './clusters.ts';

/** How a sidecar's inbound listener serves: which filter chains it has, or no listener at all. */
export type SidecarInbound = 'plaintext' | 'mtls' | 'mtls-and-plaintext' | 'none';

/** The upstream TLS for calls from `view` to `target`, or undefined for plaintext. */
export function upstreamTlsFor(view: ProxyView, target: ServiceModel): UpstreamTls | undefined {
  if (target.mtlsMode === 'DISABLE') return undefined;
  if (view.kind !== 'proxyless' && view.workloadIdentity === '') return undefined;
  return { serverSpiffeId: target.spiffeId };
}

/** The sidecar inbound plan (meaningful for sidecar views with an inbound port). */
export function sidecarInbound(view: ProxyView): SidecarInbound {
  const proven = view.workloadIdentity !== '';
  switch (view.inboundMtls) {
    case 'DISABLE':
      return 'plaintext';
    case 'STRICT':
      return proven ? 'mtls' : 'none';
    case 'PERMISSIVE':
      return proven ? 'mtls-and-plaintext' : 'plaintext';
  }
}

/** True when a proxyless server listener of `view` must require mTLS. */
export function serverRequiresMtls(view: ProxyView): boolean {
  return view.inboundMtls !== 'DISABLE';
}

/** Warnings about mTLS this view cannot honour as configured (see the module comment). */
export function mtlsWarnings(view: ProxyView): Diagnostic[] {
  const out: Diagnostic[] = [];
  const source = view.serviceKey === '' ? `view ${view.key}` : `service ${view.serviceKey}`;
  const warn = (message: string): void => {
    out.push({ severity: 'warning', field: 'mtls.mode', message, source });
  };
  if (view.kind === 'proxyless') {
    if (view.serverListeners.length > 0 && view.inboundMtls === 'PERMISSIVE') {
      warn('a proxyless gRPC server cannot accept plaintext and mTLS on one port: PERMISSIVE is served as STRICT (mTLS only)');
    }
    return out;
  }
  if (view.workloadIdentity !== '') return out;
  if (view.kind === 'sidecar' && view.inboundPort > 0) {
    if (view.inboundMtls === 'STRICT') {
      warn('STRICT mTLS but this sidecar has not proven its identity (no valid join token in node metadata trellis.token): no inbound listener until it does');
    } else if (view.inboundMtls === 'PERMISSIVE') {
      warn('PERMISSIVE mTLS but this sidecar has not proven its identity (no valid join token in node metadata trellis.token): inbound is plaintext only, so mTLS callers fail until it does');
    }
  }
  const strict = view.visibleServices.filter((s) => s.mtlsMode === 'STRICT').map((s) => s.key);
  if (strict.length > 0) {
    warn(`this proxy has not proven its identity (no valid join token in node metadata trellis.token): it calls in plaintext, which these STRICT services refuse: ${strict.join(', ')}`);
  }
  return out;
}
