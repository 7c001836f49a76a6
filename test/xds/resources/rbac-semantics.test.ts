/**
 * The RBAC filters we emit decide requests exactly as the authorization contract says: the filter
 * configs of the golden RBAC cases are encoded, parsed by grpc-js-xds's own RBAC engine (gRFC A41,
 * the code a proxyless server runs) and applied, in HCM order, to a matrix of requests; every
 * verdict must equal `authorize` (the model's reference semantics), and a few verdicts are checked
 * by hand so the reference itself is pinned.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Metadata } from '@grpc/grpc-js';
import { authorize, type AuthorizationRequest } from '../../../src/model/authorization.ts';
import type { ProxyView } from '../../../src/model/types.ts';
import { encodeMessage } from '../../../src/xds/proto/codec.ts';
import { RBAC_TYPE } from '../../../src/xds/resources/filters/rbac.ts';
import { translateView } from '../../../src/xds/resources/translate.ts';
import { TypeUrl } from '../../../src/xds/type-urls.ts';
import { loadGoldenCase } from './golden-cases.ts';

// Read once when grpc-js-xds loads (see grpc-accepts.test.ts).
process.env['GRPC_XDS_EXPERIMENTAL_RBAC'] = 'true';
const require = createRequire(import.meta.url);
(require('@grpc/grpc-js-xds') as { register(): void }).register();

interface RbacInfo {
  readonly headers: Metadata;
  readonly urlPath: string;
  readonly destinationPort: number;
  readonly destinationIp: string;
  readonly sourceIp: string;
  readonly tls: boolean;
  readonly peerCertificate: { subjectaltname: string; subject: Record<string, string> } | null;
}
type Parsed = { config: { apply(info: RbacInfo): boolean } } | null;
const httpFilter = require('@grpc/grpc-js-xds/build/src/http-filter.js') as {
  parseTopLevelFilterConfig(encoded: { type_url: string; value: Buffer }, client: boolean): Parsed;
};

/** The RBAC filter configs (Any objects) of the serving HCM of `view`, in order. */
function rbacConfigs(view: ProxyView): Record<string, unknown>[] {
  const { resources } = translateView(view);
  const listener = resources[TypeUrl.Listener].find((r) => r.name.startsWith('inbound|') || r.name.startsWith('grpc/server?'));
  const text = JSON.stringify(listener?.value ?? {});
  const hcm = JSON.parse(text) as { filter_chains: { filters: { typed_config: { http_filters: { typed_config: Record<string, unknown> }[] } }[] }[] };
  const filters = hcm.filter_chains[0]?.filters[0]?.typed_config.http_filters ?? [];
  return filters.map((f) => f.typed_config).filter((c) => c['@type'] === `type.googleapis.com/${RBAC_TYPE}`);
}

/** A decision procedure from grpc-js-xds's parse of the encoded configs: every filter must admit. */
function grpcEngine(configs: Record<string, unknown>[]): (r: AuthorizationRequest) => boolean {
  const parsed = configs.map((c) => {
    const { '@type': url, ...fields } = c;
    const value = Buffer.from(encodeMessage(RBAC_TYPE, fields));
    const result = httpFilter.parseTopLevelFilterConfig({ type_url: String(url), value }, false);
    if (!result) throw new Error('grpc-js-xds could not parse an RBAC config');
    return result.config;
  });
  return (r) => {
    const headers = new Metadata();
    headers.set(':method', r.method);
    const info: RbacInfo = {
      headers,
      urlPath: r.path,
      destinationPort: r.port,
      destinationIp: '127.0.0.1',
      sourceIp: '127.0.0.1',
      tls: r.principal !== '',
      peerCertificate: r.principal === '' ? null : { subjectaltname: `URI:${r.principal}`, subject: {} },
    };
    return parsed.every((p) => p.apply(info));
  };
}

const td = 'spiffe://trellis.local';
const callers = ['', `${td}/ns/shop/sa/web`, `${td}/ns/demo/sa/clientx`, `${td}/ns/legacy/sa/old`, `${td}/ns/ops/sa/admin`, `${td}/ns/demo/sa/client`, `${td}/ns/shop/sa/webx`, 'spiffe://other.td/ns/shop/sa/web'];
const paths = ['/pay/charge', '/status', '/statusx', '/admin/users', '/other', '/echo.Echo/Say', '/echo.Echo/Admin'];
const methods = ['POST', 'GET'];

function matrix(ports: readonly number[]): AuthorizationRequest[] {
  return callers.flatMap((principal) => paths.flatMap((path) => methods.flatMap((method) => ports.map((port) => ({ principal, path, method, port })))));
}

const CASES: Readonly<Record<string, readonly number[]>> = {
  // The sidecar's inbound listener only ever gets traffic for its application port.
  'rbac-sidecar-deny-allow': [8080],
  'rbac-proxyless-server': [50051, 50052],
  'rbac-plaintext-warning': [8080],
};

describe('RBAC filters enforce the authorization contract (grpc-js-xds engine vs reference)', () => {
  for (const [name, ports] of Object.entries(CASES)) {
    it(name, () => {
      const { view } = loadGoldenCase(name);
      expect(view.inboundAuthorization).toBeDefined();
      const engine = grpcEngine(rbacConfigs(view));
      const mismatches = matrix(ports)
        .filter((r) => engine(r) !== authorize(view.inboundAuthorization, r).allowed)
        .map((r) => JSON.stringify(r));
      expect(mismatches).toEqual([]);
    });
  }

  it('pins hand-checked verdicts: platform deny beats team allow, allow policies shut out everyone else', () => {
    const sidecar = loadGoldenCase('rbac-sidecar-deny-allow').view.inboundAuthorization;
    const at = (principal: string, path: string, method = 'POST', port = 8080): boolean => authorize(sidecar, { principal, path, method, port }).allowed;
    expect(at(`${td}/ns/shop/sa/web`, '/pay/charge')).toBe(true);
    expect(at(`${td}/ns/shop/sa/web`, '/status')).toBe(true);
    expect(at(`${td}/ns/shop/sa/web`, '/statusx')).toBe(false);
    expect(at(`${td}/ns/shop/sa/web`, '/pay/charge', 'GET')).toBe(false);
    expect(at(`${td}/ns/ops/sa/admin`, '/other', 'GET')).toBe(true);
    expect(at(`${td}/ns/ops/sa/admin`, '/admin/users')).toBe(false); // platform DENY on /admin/*
    expect(at(`${td}/ns/legacy/sa/old`, '/pay/charge')).toBe(false);
    expect(at('', '/pay/charge')).toBe(false);
    expect(authorize(sidecar, { principal: `${td}/ns/ops/sa/admin`, path: '/admin/users', method: 'GET', port: 8080 }).rule).toBe('AuthorizationPolicy/deny-legacy#1');

    const server = loadGoldenCase('rbac-proxyless-server').view.inboundAuthorization;
    const call = (principal: string, path: string, port = 50051): boolean => authorize(server, { principal, path, method: 'POST', port }).allowed;
    expect(call(`${td}/ns/demo/sa/client`, '/echo.Echo/Say')).toBe(true);
    expect(call(`${td}/ns/demo/sa/client`, '/echo.Echo/Admin')).toBe(false);
    expect(call(`${td}/ns/demo/sa/client`, '/echo.Echo/Say', 50052)).toBe(false);
    expect(call(`${td}/ns/shop/sa/web`, '/echo.Echo/Say')).toBe(false);
  });

  it('an ALLOW policy without rules denies everything; no rules at all means no RBAC filter', () => {
    const { view } = loadGoldenCase('rbac-sidecar-deny-allow');
    const denyAll: ProxyView = { ...view, inboundAuthorization: { deny: [], allow: [], hasAllowPolicies: true } };
    const configs = rbacConfigs(denyAll);
    expect(configs).toHaveLength(1);
    const engine = grpcEngine(configs);
    expect(matrix([8080]).filter(engine)).toEqual([]);
    expect(rbacConfigs(loadGoldenCase('rbac-no-policies').view)).toEqual([]);
  });
});
