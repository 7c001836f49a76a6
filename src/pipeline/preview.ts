/**
 * What one sidecar of a service would receive under a given config: used by `trellis diff` (the
 * Envoy side of a config change) and `trellis explain --envoy`. Pure: registry and config in,
 * proto3 JSON resources out.
 */
import { createConfigLookup } from '../config/merge/index.ts';
import type { ConfigSnapshot } from '../config/types.ts';
import { buildMeshModel } from '../model/build-model.ts';
import type { ProxyIdentity } from '../model/types.ts';
import { viewFor } from '../model/view.ts';
import type { RegistrySnapshot, ServiceKey } from '../registry/types.ts';
import { toProto3Json } from '../xds/proto/json.ts';
import { translateView } from '../xds/resources/translate.ts';
import { messageNameOf, TypeUrl } from '../xds/type-urls.ts';

/** Resources by type URL, then by name, as proto3 JSON (what Envoy's config dump shows). */
export type PreviewResources = Record<string, Record<string, object>>;

/** The resources a sidecar of `serviceKey` (`name.namespace`) gets with `config` over `registry`. */
export function previewEnvoy(registry: RegistrySnapshot, config: ConfigSnapshot, serviceKey: ServiceKey): PreviewResources {
  const model = buildMeshModel(registry, undefined, createConfigLookup(config));
  const service = model.services.get(serviceKey);
  const dot = serviceKey.indexOf('.');
  const identity: ProxyIdentity = {
    nodeId: `preview~${serviceKey}`,
    kind: 'sidecar',
    service: service?.name ?? serviceKey.slice(0, dot),
    namespace: service?.namespace ?? serviceKey.slice(dot + 1),
    address: '',
    port: service?.port ?? 0,
    protocol: service?.protocol ?? 'http',
    labels: {},
    locality: { region: '', zone: '', subZone: '' },
  };
  const { resources } = translateView(viewFor(model, identity));
  const out: PreviewResources = {};
  for (const url of Object.values(TypeUrl)) {
    const byName: Record<string, object> = {};
    for (const resource of resources[url]) byName[resource.name] = toProto3Json(messageNameOf(url), resource.value) as object;
    out[url] = byName;
  }
  return out;
}
