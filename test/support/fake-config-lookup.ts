/**
 * A hand-built ConfigLookup for model and translation tests: effective settings per service key
 * as written (no layering), empty provenance. `forService` returns the same object on every
 * call (as the real, memoized lookup does), so identity reuse can be tested.
 */
import type { ConfigLookup, EffectiveServiceConfig, ServiceSettings } from '../../src/config/types.ts';

/** `settings` by service key; services listed there are the configured ones. */
export function fakeConfigLookup(settings: Readonly<Record<string, ServiceSettings>>, revision = 1): ConfigLookup {
  const cache = new Map<string, EffectiveServiceConfig>();
  return {
    revision,
    configuredServices: () => Object.keys(settings),
    forService: (key) => {
      let effective = cache.get(key);
      if (!effective) cache.set(key, (effective = { serviceKey: key, settings: settings[key] ?? {}, provenance: new Map() }));
      return effective;
    },
  };
}
