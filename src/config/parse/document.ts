/** One YAML document → a typed ConfigDocument: apiVersion, kind, metadata, then the kind's spec. */
import { API_VERSION, CONFIG_KINDS, documentId } from '../types.ts';
import type { ConfigDocument, ConfigKind, SourceRef } from '../types.ts';
import type { Diagnostic } from '../../util/errors.ts';
import { collectingChecker, describeValue, readDnsLabel, readEnum, readObject, isRecord } from './checker.ts';
import { lineOf, renderPath } from './paths.ts';
import { readAuthorizationSpec } from './authorization.ts';
import { readPolicySpec } from './policy.ts';
import { readSettings } from './settings.ts';
import type { YamlDocument } from './yaml-source.ts';

const TOP_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec'];

export interface DocumentResult {
  /** The typed document when it has no errors (warnings allowed). */
  readonly document?: ConfigDocument;
  /** The document's id when kind and metadata were valid, even if the spec was not (for duplicate checks). */
  readonly id?: string;
  readonly source: SourceRef;
  readonly diagnostics: Diagnostic[];
}

/** Validates one parsed document from `file`; never throws. */
export function validateDocument(file: string, yaml: YamlDocument): DocumentResult {
  const c = collectingChecker();
  const source: SourceRef = { file, line: yaml.line };
  const finish = (document?: ConfigDocument, id?: string): DocumentResult => {
    const diagnostics = c.problems.map((p): Diagnostic => ({
      severity: p.severity,
      field: renderPath(p.path),
      message: p.message,
      source: `${file}:${lineOf(yaml.lines, p.path)}`,
    }));
    const ok = !diagnostics.some((d) => d.severity === 'error');
    return { ...(ok && document ? { document } : {}), ...(id === undefined ? {} : { id }), source, diagnostics };
  };
  const top = readObject(c, yaml.raw, [], TOP_FIELDS, `a config document (apiVersion: ${API_VERSION}, kind: ${CONFIG_KINDS.join(' or ')})`);
  if (top === undefined) return finish();
  if (top['apiVersion'] === undefined) c.fail([], `apiVersion is required: ${API_VERSION}`);
  else if (top['apiVersion'] !== API_VERSION) c.fail(['apiVersion'], `apiVersion must be ${API_VERSION}, got ${describeValue(top['apiVersion'])}`);
  if (top['kind'] === undefined) c.fail([], `kind is required: one of ${CONFIG_KINDS.join(', ')}`);
  const kind: ConfigKind | undefined = readEnum(c, top['kind'], ['kind'], CONFIG_KINDS);
  if (top['metadata'] === undefined) c.fail([], 'metadata is required: {name, namespace}');
  if (top['spec'] === undefined) c.fail([], 'spec is required');
  if (kind === undefined || top['metadata'] === undefined) return finish();

  const metadataFields = kind === 'PlatformPolicy' ? ['name'] : ['name', 'namespace'];
  const forbidden: Record<string, string> = kind === 'PlatformPolicy'
    ? { namespace: 'a PlatformPolicy has no namespace; choose where it applies with spec.scope.namespaces' }
    : {};
  const metadata = readObject(c, top['metadata'], ['metadata'], metadataFields, 'metadata', forbidden);
  if (metadata === undefined) return finish();
  if (metadata['name'] === undefined) c.fail(['metadata'], `metadata.name is required (${kind === 'ServiceConfig' ? 'the service name' : 'the policy name'}, a DNS label)`);
  const name = readDnsLabel(c, metadata['name'], ['metadata', 'name'], 'metadata.name');
  const namespace = kind === 'ServiceConfig'
    ? metadata['namespace'] === undefined ? 'default' : readDnsLabel(c, metadata['namespace'], ['metadata', 'namespace'], 'metadata.namespace')
    : kind === 'AuthorizationPolicy' && metadata['namespace'] !== undefined
      ? readDnsLabel(c, metadata['namespace'], ['metadata', 'namespace'], 'metadata.namespace')
      : undefined;
  // An AuthorizationPolicy without a namespace is cluster-scoped; one with an invalid namespace has no id.
  const badNamespace = (kind === 'ServiceConfig' || (kind === 'AuthorizationPolicy' && metadata['namespace'] !== undefined)) && namespace === undefined;
  if (name === undefined || badNamespace) return finish();
  const id = documentId(kind, name, namespace);
  if (top['spec'] === undefined) return finish(undefined, id);
  const base = { id, name, source, lines: yaml.lines, raw: yaml.raw };

  if (kind === 'ServiceConfig') {
    const ns = namespace ?? 'default';
    if (!isRecord(top['spec'])) {
      c.fail(['spec'], `expected a ServiceConfig spec (a mapping), got ${describeValue(top['spec'])}`);
      return finish(undefined, id);
    }
    const spec = readSettings(c, top['spec'], ['spec'], { kind: 'service', selfKey: `${name}.${ns}` });
    return finish(spec === undefined ? undefined : { ...base, kind, namespace: ns, spec }, id);
  }
  if (kind === 'AuthorizationPolicy') {
    const spec = readAuthorizationSpec(c, top['spec'], ['spec'], namespace === undefined ? {} : { namespace });
    if (spec === undefined) return finish(undefined, id);
    return finish(namespace === undefined ? { ...base, kind, spec } : { ...base, kind, namespace, spec }, id);
  }
  const spec = readPolicySpec(c, top['spec'], ['spec']);
  return finish(spec === undefined ? undefined : { ...base, kind, spec }, id);
}
