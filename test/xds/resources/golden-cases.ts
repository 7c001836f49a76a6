/**
 * Loads testdata/translate/<case>.in.yaml (a registry in the registry API's shape, a proxy node
 * and optionally `config:`, effective ServiceSettings per service key in the src/config/types.ts
 * shape with durations in ms) and runs the pipeline stages up to the proxy view: buildMeshModel → parseNodeIdentity →
 * viewFor. Shared by the golden test and the gRPC acceptance test.
 *
 * mTLS inputs: `verifiedTokens` (join token → SPIFFE id) stands in for the pipeline's token
 * verification (a node whose `trellis.token` is listed gets that identity); `secrets` names PEM
 * files under testdata/translate/certs/ from which the case's SDS Secrets are built.
 *
 * Authorization inputs: `authorization`, the effective rules per service key in the shape of
 * `ConfigLookup.authorizationFor` (EffectiveAuthorization), where `source` may be left out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { buildMeshModel } from '../../../src/model/build-model.ts';
import { parseNodeIdentity } from '../../../src/model/node-identity.ts';
import type { ProxyView } from '../../../src/model/types.ts';
import { viewFor } from '../../../src/model/view.ts';
import type { Diagnostic } from '../../../src/util/errors.ts';
import type { NodeInfo } from '../../../src/xds/cache/types.ts';
import { registryFixture, type FixtureRegistry } from '../../support/registry-fixture.ts';
import { fakeConfigLookup } from '../../support/fake-config-lookup.ts';
import type { EffectiveAuthorization, EffectiveAuthorizationRule, ServiceSettings } from '../../../src/config/types.ts';
import type { IssuedCertificate } from '../../../src/ca/types.ts';
import { buildSecrets } from '../../../src/xds/resources/secrets.ts';
import type { NamedResource } from '../../../src/xds/resources/translate.ts';

export const GOLDEN_DIR = fileURLToPath(new URL('../../../testdata/translate/', import.meta.url));

interface GoldenInput {
  readonly registry: FixtureRegistry;
  readonly config?: Readonly<Record<string, ServiceSettings>>;
  readonly node: Partial<NodeInfo> & { readonly id: string };
  readonly verifiedTokens?: Readonly<Record<string, string>>;
  readonly secrets?: { readonly certificate: string; readonly key: string; readonly bundle: string };
  readonly authorization?: Readonly<Record<string, AuthorizationInput>>;
}

type RuleInput = Omit<EffectiveAuthorizationRule, 'source'> & { readonly source?: EffectiveAuthorizationRule['source'] };

interface AuthorizationInput {
  readonly deny?: readonly RuleInput[];
  readonly allow?: readonly RuleInput[];
  readonly hasAllowPolicies?: boolean;
}

export interface GoldenCase {
  readonly view: ProxyView;
  readonly nodeDiagnostics: Diagnostic[];
  readonly modelDiagnostics: readonly Diagnostic[];
  /** The SDS Secrets of the case ([] without `secrets`). */
  readonly secrets: NamedResource[];
}

/** Case names (file names without `.in.yaml`), sorted. */
export function goldenCaseNames(): string[] {
  return readdirSync(GOLDEN_DIR)
    .filter((f) => f.endsWith('.in.yaml'))
    .map((f) => f.slice(0, -'.in.yaml'.length))
    .sort();
}

/** The proxy view of one case, with the node's diagnostics. */
export function loadGoldenCase(name: string): GoldenCase {
  const input = YAML.parse(readFileSync(`${GOLDEN_DIR}${name}.in.yaml`, 'utf8')) as GoldenInput;
  const node: NodeInfo = { cluster: '', metadata: {}, locality: {}, user_agent_name: '', user_agent_version: '', ...input.node };
  const lookup = input.config || input.authorization ? fakeConfigLookup(input.config ?? {}, 1, authorizationFrom(name, input.authorization ?? {})) : undefined;
  const model = buildMeshModel(registryFixture(input.registry), undefined, lookup);
  const parsed = parseNodeIdentity(node);
  const verified = input.verifiedTokens?.[parsed.identity.joinToken];
  const identity = verified === undefined || parsed.identity.joinToken === '' ? parsed.identity : { ...parsed.identity, spiffeId: verified };
  return {
    view: viewFor(model, identity),
    nodeDiagnostics: parsed.diagnostics,
    modelDiagnostics: model.diagnostics ?? [],
    secrets: input.secrets ? secretsFrom(input.secrets, identity.spiffeId) : [],
  };
}

function secretsFrom(files: NonNullable<GoldenInput['secrets']>, spiffeId: string): NamedResource[] {
  const read = (file: string): string => readFileSync(`${GOLDEN_DIR}certs/${file}`, 'utf8');
  const bundlePem = read(files.bundle);
  const cert: IssuedCertificate = {
    spiffeId,
    certificateChainPem: read(files.certificate),
    privateKeyPem: read(files.key),
    serial: 'test',
    notBefore: '',
    notAfter: '',
  };
  return buildSecrets(cert, { pem: bundlePem, roots: [], version: 'test' });
}

function authorizationFrom(name: string, input: Readonly<Record<string, AuthorizationInput>>): Record<string, EffectiveAuthorization> {
  const rule = (r: RuleInput): EffectiveAuthorizationRule => ({ ...r, source: r.source ?? { file: `${name}.in.yaml`, line: 1 } });
  return Object.fromEntries(
    Object.entries(input).map(([key, a]) => [
      key,
      { deny: (a.deny ?? []).map(rule), allow: (a.allow ?? []).map(rule), hasAllowPolicies: a.hasAllowPolicies ?? (a.allow ?? []).length > 0 },
    ]),
  );
}
