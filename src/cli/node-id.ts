/** Default xDS node ids for bootstraps the CLI prints or writes. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Node ids tell proxies apart in status and CSDS: without an address to build one from, each
 * bootstrap gets its own (`<kind>~<host>-<random>~<service>.<namespace>`).
 */
export function uniqueNodeId(kind: 'sidecar' | 'proxyless', service: string, namespace: string): string {
  return `${kind}~${hostname()}-${randomBytes(3).toString('hex')}~${service}.${namespace}`;
}
