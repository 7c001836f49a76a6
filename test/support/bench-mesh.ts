/** A small mesh as the bench's load generator sees it: the dump a sidecar holds, built by the real stages. */
import { sidecarClientNode, type ResourceDump } from '../../bench/lib/load-protocol.ts';
import { buildMeshModel } from '../../src/model/build-model.ts';
import { parseNodeIdentity } from '../../src/model/node-identity.ts';
import { viewFor } from '../../src/model/view.ts';
import { createResourceEncoder } from '../../src/pipeline/resource-encoder.ts';
import type { RegistrySnapshot } from '../../src/registry/types.ts';
import { translateView } from '../../src/xds/resources/translate.ts';
import { TypeUrl } from '../../src/xds/type-urls.ts';

/** The sidecar node both bench tests connect as. */
export const NODE = sidecarClientNode(0, 'svc-00000', 'ns-0', 'a');
/** The service whose endpoints the tests change. */
export const TARGET = 'svc-00002.ns-2';

/** What NODE holds in `registry`, per type URL (types it holds nothing of are absent). */
export function dumpOf(registry: RegistrySnapshot): ResourceDump {
  const identity = parseNodeIdentity({ ...NODE, cluster: NODE.cluster ?? '', metadata: NODE.metadata ?? {}, locality: NODE.locality ?? {}, user_agent_name: 'envoy', user_agent_version: '' }).identity;
  const resources = translateView(viewFor(buildMeshModel(registry), identity)).resources;
  const encoder = createResourceEncoder();
  const out: Record<string, { version: string; items: { name: string; version: string; any: Uint8Array }[] }> = {};
  for (const url of Object.values(TypeUrl)) {
    const set = encoder.encodeSet(url, resources[url] ?? []);
    if (set.items.size > 0) out[url] = { version: set.version, items: [...set.items.values()] };
  }
  return out;
}

/** `registry` with TARGET's first instance at `weight`: one endpoint change. */
export function reweighted(registry: RegistrySnapshot, weight: number): RegistrySnapshot {
  const instances = new Map(registry.instances);
  instances.set(TARGET, (instances.get(TARGET) ?? []).map((instance, i) => (i === 0 ? { ...instance, weight } : instance)));
  return { ...registry, revision: registry.revision + 1, instances };
}
