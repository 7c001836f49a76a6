/**
 * A hand-built ConfigLookup for model and translation tests: effective settings per service key
 * as written (no layering), empty provenance. `forService` returns the same object on every
 * call (as the real, memoized lookup does), so identity reuse can be tested. `authorizationFor`
 * returns the rules a test gave for the key (the same object every call), else no rules.
 */
import type { ConfigLookup, EffectiveAuthorization, EffectiveServiceConfig, ServiceSettings } from '../../src/config/types.ts';

/** What `authorizationFor` returns for a service without rules. */
export const NO_AUTHORIZATION: EffectiveAuthorization = { deny: [], allow: [], hasAllowPolicies: false };

/** `settings` by service key (services listed there are the configured ones); `authorization` by service key. */
export function fakeConfigLookup(
  settings: Readonly<Record<string, ServiceSettings>>,
  revision = 1,
  authorization: Readonly<Record<string, EffectiveAuthorization>> = {},
): ConfigLookup {
  const cache = new Map<string, EffectiveServiceConfig>();
  return {
    revision,
    configuredServices: () => Object.keys(settings),
    forService: (key) => {
      let effective = cache.get(key);
      if (!effective) cache.set(key, (effective = { serviceKey: key, settings: settings[key] ?? {}, provenance: new Map() }));
      return effective;
    },
    authorizationFor: (key) => authorization[key] ?? NO_AUTHORIZATION,
  };
}
