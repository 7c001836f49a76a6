/**
 * ConfigLookup: effective settings per service for one config revision, computed on demand and
 * memoized, so the model build asks per service and unchanged services keep object identity.
 */
import type { ServiceKey } from '../../registry/types.ts';
import type { ConfigLookup, ConfigSnapshot, EffectiveAuthorization, EffectiveServiceConfig } from '../types.ts';
import { authorizationPoliciesFor, effectiveAuthorization } from './authorization.ts';
import { layersFor, mergeLayers, type LayerInput } from './merge.ts';
import { indexSnapshot } from './scope.ts';

interface Memo {
  /** The document objects that fed the merge, in layer order; same objects → same result. */
  readonly inputs: readonly unknown[];
  readonly effective: EffectiveServiceConfig;
}

interface AuthMemo {
  readonly inputs: readonly unknown[];
  readonly effective: EffectiveAuthorization;
}

// Per lookup, what it computed: lets the next revision's lookup reuse unchanged results.
const memos = new WeakMap<ConfigLookup, Map<ServiceKey, Memo>>();
const authMemos = new WeakMap<ConfigLookup, Map<ServiceKey, AuthMemo>>();

function inputsOf(layers: readonly LayerInput[]): unknown[] {
  return layers.map((l) => l.origin?.doc ?? l.settings);
}

function sameInputs(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * A lookup over `snapshot`. forService returns the same object for the same key every time; with
 * `previous` (the lookup of an earlier revision), a service whose contributing documents are the
 * same objects as then also gets the previous object back. configuredServices() lists the keys
 * that have a ServiceConfig, sorted. authorizationFor is memoized and reused the same way (same
 * guarding AuthorizationPolicy objects → the previous EffectiveAuthorization object).
 */
export function createConfigLookup(snapshot: ConfigSnapshot, previous?: ConfigLookup): ConfigLookup {
  const index = indexSnapshot(snapshot);
  const memo = new Map<ServiceKey, Memo>();
  const before = previous === undefined ? undefined : memos.get(previous);
  const authMemo = new Map<ServiceKey, AuthMemo>();
  const authBefore = previous === undefined ? undefined : authMemos.get(previous);
  const configured = [...index.services.keys()].sort();
  const lookup: ConfigLookup = {
    revision: snapshot.revision,
    configuredServices: () => configured,
    forService(key: ServiceKey): EffectiveServiceConfig {
      const hit = memo.get(key);
      if (hit !== undefined) return hit.effective;
      const layers = layersFor(key, index);
      const inputs = inputsOf(layers);
      const old = before?.get(key);
      const effective = old !== undefined && sameInputs(old.inputs, inputs) ? old.effective : mergeLayers(key, layers);
      memo.set(key, { inputs, effective });
      return effective;
    },
    authorizationFor(key: ServiceKey): EffectiveAuthorization {
      const hit = authMemo.get(key);
      if (hit !== undefined) return hit.effective;
      const policies = authorizationPoliciesFor(key, index);
      const old = authBefore?.get(key);
      const effective = old !== undefined && sameInputs(old.inputs, policies) ? old.effective : effectiveAuthorization(policies);
      authMemo.set(key, { inputs: policies, effective });
      return effective;
    },
  };
  memos.set(lookup, memo);
  authMemos.set(lookup, authMemo);
  return lookup;
}
