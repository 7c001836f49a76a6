/** `trellis get` and `trellis explain`: reading stored and effective config. */
import { stringify } from 'yaml';
import { CONNECTION_OPTIONS, UsageError, type Command, type FlagValues } from '../command.ts';
import { contextFrom, str } from '../flags.ts';
import { callApi } from '../http-client.ts';
import { formatTable } from '../table.ts';

type Json = Record<string, unknown>;

const KIND_ALIASES: Readonly<Record<string, string>> = {
  serviceconfig: 'ServiceConfig',
  serviceconfigs: 'ServiceConfig',
  sc: 'ServiceConfig',
  platformpolicy: 'PlatformPolicy',
  platformpolicies: 'PlatformPolicy',
  pp: 'PlatformPolicy',
  authorizationpolicy: 'AuthorizationPolicy',
  authorizationpolicies: 'AuthorizationPolicy',
  ap: 'AuthorizationPolicy',
};

/** A kind as the user typed it (any case, plural, or short: sc, pp) → its canonical name. */
export function kindArgument(text: string): string {
  const kind = KIND_ALIASES[text.toLowerCase()];
  if (kind === undefined) throw new UsageError(`unknown kind "${text}"; kinds: ServiceConfig (sc), PlatformPolicy (pp), AuthorizationPolicy (ap)`);
  return kind;
}

export const getCommand: Command = {
  summary: 'list stored config documents (-o yaml|json for their content)',
  usage: 'trellis get [KIND [NAME]] [-n NS] [-o yaml|json]',
  positionals: true,
  options: { ...CONNECTION_OPTIONS, namespace: { type: 'string', short: 'n' }, output: { type: 'string', short: 'o' } },
  async run(values, out, positionals) {
    if (positionals.length > 2) throw new UsageError('at most KIND and NAME');
    const output = str(values, 'output') ?? 'table';
    if (!['table', 'yaml', 'json'].includes(output)) throw new UsageError('-o takes yaml or json');
    const query = new URLSearchParams();
    if (positionals[0] !== undefined) query.set('kind', kindArgument(positionals[0]));
    if (positionals[1] !== undefined) query.set('name', positionals[1]);
    const namespace = str(values, 'namespace');
    if (namespace !== undefined) query.set('namespace', namespace);
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    const answer = (await callApi(contextFrom(values), 'GET', `/config${suffix}`)) as Json;
    const documents = Array.isArray(answer['documents']) ? (answer['documents'] as Json[]) : [];
    if (output === 'json') out(JSON.stringify(documents, null, 2));
    else if (output === 'yaml') out(documents.map((d) => stringify(d['raw']).trimEnd()).join('\n---\n'));
    else if (documents.length === 0) out(`no config documents (revision ${String(answer['revision'])})`);
    else {
      out(formatTable(['KIND', 'NAMESPACE', 'NAME', 'SOURCE'],
        documents.map((d) => [String(d['kind']), typeof d['namespace'] === 'string' ? d['namespace'] : '-', String(d['name']), String(d['source'])])));
    }
    if (positionals[1] !== undefined && documents.length === 0) return 1;
    return 0;
  },
};

/** `name.namespace` (or `name`, meaning the default namespace) → its parts. */
export function serviceArgument(text: string | undefined): { name: string; namespace: string } {
  if (text === undefined || text === '') throw new UsageError('give the service as NAME.NAMESPACE');
  const dot = text.indexOf('.');
  return dot < 0 ? { name: text, namespace: 'default' } : { name: text.slice(0, dot), namespace: text.slice(dot + 1) };
}

export const explainCommand: Command = {
  summary: 'every effective setting of a service and the authorization rules guarding it; --from decides one caller',
  usage: 'trellis explain NAME.NAMESPACE [--from NAME.NAMESPACE|SPIFFE_ID [--path P] [--method M] [--port N]] [--envoy] [--json]',
  positionals: true,
  options: {
    ...CONNECTION_OPTIONS,
    envoy: { type: 'boolean' },
    json: { type: 'boolean' },
    from: { type: 'string' },
    path: { type: 'string' },
    method: { type: 'string' },
    port: { type: 'string' },
  },
  async run(values, out, positionals) {
    if (positionals.length !== 1) throw new UsageError('give exactly one service, NAME.NAMESPACE');
    const { name, namespace } = serviceArgument(positionals[0]);
    const envoy = values['envoy'] === true;
    const query = requestQuery(values);
    if (envoy) query.set('envoy', '1');
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    const path = `/config/explain/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${suffix}`;
    const answer = (await callApi(contextFrom(values), 'GET', path)) as Json;
    const decision = isJson(answer['decision']) ? answer['decision'] : undefined;
    if (values['json'] === true) {
      const auth = isJson(answer['authorization']) ? answer['authorization']['rules'] : undefined;
      if (decision !== undefined) out(JSON.stringify({ decision: withoutText(decision), authorization: auth }, null, 2));
      else out(JSON.stringify(envoy ? { rows: answer['rows'], envoy: answer['envoy'] } : answer['rows'], null, 2));
      return 0;
    }
    out(`${name}.${namespace} (config revision ${String(answer['revision'])})`);
    if (decision !== undefined) {
      out(`from ${String(decision['from'])} (${String(decision['spiffeId'])})`);
      out(typeof decision['text'] === 'string' ? decision['text'].trimEnd() : String(decision['decision']));
      return 0;
    }
    const text = typeof answer['text'] === 'string' ? answer['text'].trimEnd() : '';
    out(text === '' ? 'no settings (every value is a built-in default)' : text);
    if (isJson(answer['authorization']) && typeof answer['authorization']['text'] === 'string') {
      out('');
      out('# Authorization');
      out(answer['authorization']['text'].trimEnd());
    }
    if (envoy && answer['envoy'] !== null && typeof answer['envoy'] === 'object') {
      out('');
      out('# Envoy resources for one sidecar of this service');
      out(stringify(answer['envoy'], { lineWidth: 0 }).trimEnd());
    }
    return 0;
  },
};

function isJson(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function withoutText(decision: Json): Json {
  const { text: _text, ...rest } = decision;
  return rest;
}

/** `from`, `path`, `method`, `port` flags as explain query parameters; path/method/port need --from. */
function requestQuery(values: FlagValues): URLSearchParams {
  const query = new URLSearchParams();
  const from = str(values, 'from');
  const extras = (['path', 'method', 'port'] as const).filter((k) => str(values, k) !== undefined);
  if (from === undefined) {
    if (extras.length > 0) throw new UsageError(`--${extras.join(', --')} need --from NAME.NAMESPACE (or a SPIFFE id)`);
    return query;
  }
  query.set('from', from);
  for (const key of extras) query.set(key, str(values, key) ?? '');
  const port = str(values, 'port');
  if (port !== undefined && !/^\d+$/.test(port)) throw new UsageError(`--port takes a port number 1..65535, got "${port}"`);
  return query;
}
