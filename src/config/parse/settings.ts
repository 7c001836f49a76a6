/**
 * ServiceSettings: a ServiceConfig's spec, and a PlatformPolicy's defaults and overrides (which
 * may not set routes or subsets, and only defaults may set dependencies).
 */
import { PROTOCOLS } from '../../registry/types.ts';
import type { ServiceSettings } from '../types.ts';
import { compact, readEnum, readObject, readServiceKey, readStringList, readDuration } from './checker.ts';
import type { Checker } from './checker.ts';
import { readConnectionPool, readLoadBalancer, readOutlierDetection, readRateLimit } from './cluster.ts';
import { readMtls } from './mtls.ts';
import type { Path } from './paths.ts';
import { readRoutes, readSubsets } from './routes.ts';
import { readFault, readHeaderMutation, readMirror, readRetries } from './traffic.ts';

/** Every field of ServiceSettings, in documentation order. */
export const SETTINGS_FIELDS = [
  'protocol', 'subsets', 'dependencies', 'routes', 'timeout', 'retries', 'fault', 'mirror', 'headers',
  'loadBalancer', 'connectionPool', 'outlierDetection', 'rateLimit', 'mtls',
] as const;

/** Where settings appear: a ServiceConfig spec (own service `selfKey`), or a policy's defaults/overrides. */
export type SettingsPlace =
  | { readonly kind: 'service'; readonly selfKey: string }
  | { readonly kind: 'defaults' }
  | { readonly kind: 'overrides' };

const POLICY_ONLY_SERVICE = 'belongs in the service\'s ServiceConfig: a PlatformPolicy cannot set it';

/** Validates settings at `path`; returns them typed (invalid fields left out) or undefined when not a mapping. */
export function readSettings(c: Checker, value: unknown, path: Path, place: SettingsPlace): ServiceSettings | undefined {
  if (value === undefined) return undefined;
  const forbidden: Record<string, string> = {};
  let allowed: readonly string[] = SETTINGS_FIELDS;
  if (place.kind !== 'service') {
    forbidden['routes'] = `routes ${POLICY_ONLY_SERVICE}`;
    forbidden['subsets'] = `subsets ${POLICY_ONLY_SERVICE}`;
    if (place.kind === 'overrides') {
      forbidden['dependencies'] = 'dependencies can be set in a PlatformPolicy\'s defaults only (a team may add its own), not in overrides';
    }
    allowed = SETTINGS_FIELDS.filter((field) => !Object.hasOwn(forbidden, field));
  }
  const o = readObject(c, value, path, allowed, place.kind === 'service' ? 'a ServiceConfig spec' : `policy ${place.kind}`, forbidden);
  if (o === undefined) return undefined;
  const at = (field: string): Path => [...path, field];

  const subsets = place.kind === 'service' ? readSubsets(c, o['subsets'], at('subsets')) : undefined;
  const known = Object.keys(subsets ?? {});
  const traffic = place.kind === 'service'
    ? {
      place: 'service' as const,
      selfKey: place.selfKey,
      ownSubset: (subset: string, p: Path): void => {
        // A subset that failed validation was already reported; do not pile on.
        if (subsets !== undefined && !known.includes(subset) && !isInvalidSubset(o['subsets'], subset)) {
          c.fail(p, `unknown subset "${subset}" of ${place.selfKey}; ${known.length === 0 ? 'spec.subsets defines none' : `known subsets: ${known.join(', ')}`}`);
        } else if (o['subsets'] === undefined) {
          c.fail(p, `unknown subset "${subset}" of ${place.selfKey}: spec.subsets defines none`);
        }
      },
    }
    : { place: 'policy' as const };

  return compact<ServiceSettings>({
    protocol: readEnum(c, o['protocol'], at('protocol'), PROTOCOLS),
    subsets,
    dependencies: readStringList(c, o['dependencies'], at('dependencies'), 'services (name.namespace)', (entry, p) => {
      const key = readServiceKey(c, entry, p);
      if (key !== undefined && place.kind === 'service' && key === place.selfKey) {
        c.fail(p, 'a service does not need to list itself as a dependency', 'warning');
      }
      return key;
    }),
    routes: place.kind === 'service' ? readRoutes(c, o['routes'], at('routes'), traffic) : undefined,
    timeout: readDuration(c, o['timeout'], at('timeout')),
    retries: readRetries(c, o['retries'], at('retries')),
    fault: readFault(c, o['fault'], at('fault')),
    mirror: readMirror(c, o['mirror'], at('mirror'), traffic),
    headers: readHeaderMutation(c, o['headers'], at('headers')),
    loadBalancer: readLoadBalancer(c, o['loadBalancer'], at('loadBalancer')),
    connectionPool: readConnectionPool(c, o['connectionPool'], at('connectionPool')),
    outlierDetection: readOutlierDetection(c, o['outlierDetection'], at('outlierDetection')),
    rateLimit: readRateLimit(c, o['rateLimit'], at('rateLimit')),
    mtls: readMtls(c, o['mtls'], at('mtls')),
  });
}

function isInvalidSubset(raw: unknown, name: string): boolean {
  return typeof raw === 'object' && raw !== null && Object.hasOwn(raw, name);
}
