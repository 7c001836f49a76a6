/**
 * The layered-config routes: apply, diff, get, delete, explain, history, restore. Config writes
 * are checked per document (kind and namespace) once the files are parsed, so a team token's
 * refusal names exactly the document it may not write.
 */
import type { ConfigService } from '../config/service/config-service.ts';
import type { ConfigFile, DocumentWrite, ExplainRequest, WriteResult } from '../config/service/types.ts';
import { CONFIG_KINDS, documentId, type ConfigKind } from '../config/types.ts';
import { serviceKey } from '../registry/types.ts';
import { permitWrites, type Principal, type WriteTarget } from './auth.ts';
import { diagnosticsJson, errorBody, type Reply, type Route, type RouteContext } from './route-types.ts';

const DEFAULT_HISTORY = 20;
const MAX_HISTORY = 1000;
const MAX_FILES = 1000;

const notEnabled: Reply = { status: 404, body: errorBody('layered config is not enabled on this server') };

/** Runs `handle` with the config service, or answers 404 when the server has none. */
function withConfig(handle: (config: ConfigService, c: RouteContext) => Promise<Reply>): (c: RouteContext) => Promise<Reply> {
  return async (c) => (c.config === undefined ? notEnabled : handle(c.config, c));
}

const STATUS_OF = { invalid: 400, forbidden: 403, 'not-found': 404, conflict: 409 } as const;

/** A write's answer: 200 with what changed, or the rejection's status with every diagnostic. */
export function writeReply(result: WriteResult): Reply {
  if (!result.ok) return { status: STATUS_OF[result.reason], body: errorBody(result.message, result.diagnostics) };
  return {
    status: 200,
    body: {
      revision: result.revision,
      dryRun: result.dryRun,
      changes: result.changes,
      warnings: diagnosticsJson(result.warnings),
    },
  };
}

function toTarget(write: DocumentWrite): WriteTarget {
  if (write.kind === 'ServiceConfig') return { kind: 'ServiceConfig', id: write.id, namespace: write.namespace ?? '' };
  if (write.kind === 'AuthorizationPolicy') {
    return write.namespace === undefined ? { kind: 'AuthorizationPolicy', id: write.id } : { kind: 'AuthorizationPolicy', id: write.id, namespace: write.namespace };
  }
  return { kind: 'PlatformPolicy', id: write.id };
}

/**
 * The caller to decide for in explain (`?from=...&path=...&method=...&port=...`): undefined
 * without `from`, a 400 reply when a parameter is malformed.
 */
export function explainRequest(query: URLSearchParams): ExplainRequest | Reply | undefined {
  const from = query.get('from');
  const extra = ['path', 'method', 'port'].filter((k) => query.has(k));
  if (from === null || from === '') {
    return extra.length === 0 ? undefined : { status: 400, body: errorBody(`${extra.join(', ')} need from=<name.namespace or SPIFFE id>`) };
  }
  const path = query.get('path');
  const method = query.get('method');
  const portText = query.get('port');
  const port = portText === null ? undefined : Number(portText);
  if (port !== undefined && (!/^\d+$/.test(portText ?? '') || !Number.isInteger(port) || port < 1 || port > 65535)) {
    return { status: 400, body: errorBody(`port must be an integer 1..65535, got "${portText ?? ''}"`) };
  }
  return {
    from,
    ...(path === null ? {} : { path }),
    ...(method === null ? {} : { method }),
    ...(port === undefined ? {} : { port }),
  };
}

function writeOptions(principal: Principal): { actor: { name: string; role: string }; permit: (writes: readonly DocumentWrite[]) => string | undefined } {
  return { actor: { name: principal.name, role: principal.role }, permit: (writes) => permitWrites(principal, writes.map(toTarget)) };
}

/** `{files: [{name, text}]}` from a request body, or the 400 describing what is wrong. */
export function filesFrom(body: unknown): ConfigFile[] | Reply {
  const bad = (message: string): Reply => ({ status: 400, body: errorBody(message) });
  const files = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['files'] : undefined;
  if (!Array.isArray(files) || files.length === 0) return bad('expected {"files": [{"name": "...", "text": "..."}, ...]} with at least one file');
  if (files.length > MAX_FILES) return bad(`at most ${MAX_FILES} files per request`);
  const out: ConfigFile[] = [];
  for (const [index, file] of files.entries()) {
    const f = file !== null && typeof file === 'object' ? (file as Record<string, unknown>) : {};
    if (typeof f['name'] !== 'string' || f['name'] === '' || typeof f['text'] !== 'string') {
      return bad(`files[${index}] must be {"name": non-empty string, "text": string}`);
    }
    out.push({ name: f['name'], text: f['text'] });
  }
  return out;
}

/** A kind from a path or query (case-insensitive), or undefined. */
export function parseKind(text: string): ConfigKind | undefined {
  return CONFIG_KINDS.find((k) => k.toLowerCase() === text.toLowerCase());
}

function deleteHandler(c: RouteContext, config: ConfigService, namespace: string | undefined): Promise<Reply> | Reply {
  const kind = parseKind(c.params['kind'] ?? '');
  if (kind === undefined) return { status: 400, body: errorBody(`unknown kind "${c.params['kind'] ?? ''}"; kinds: ${CONFIG_KINDS.join(', ')}`) };
  if (kind === 'PlatformPolicy' && namespace !== undefined) return { status: 400, body: errorBody('PlatformPolicy documents have no namespace') };
  const id = documentId(kind, c.params['name'] ?? '', namespace);
  return config.delete(id, writeOptions(c.principal)).then(writeReply);
}

export const CONFIG_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    pattern: ['config', 'apply'],
    action: 'write',
    body: true,
    handle: withConfig(async (config, c) => {
      const files = filesFrom(c.body);
      if (!Array.isArray(files)) return files;
      const dryRun = (c.body as Record<string, unknown>)['dryRun'] === true;
      return writeReply(await config.apply(files, { ...writeOptions(c.principal), dryRun }));
    }),
  },
  {
    method: 'POST',
    pattern: ['config', 'diff'],
    action: 'read',
    body: true,
    handle: withConfig(async (config, c) => {
      const files = filesFrom(c.body);
      if (!Array.isArray(files)) return files;
      const result = await config.diff(files);
      if (!result.ok) return { status: STATUS_OF[result.reason], body: errorBody(result.message, result.diagnostics) };
      const { ok: _ok, diagnostics, ...rest } = result;
      return { status: 200, body: { ...rest, diagnostics: diagnosticsJson(diagnostics) } };
    }),
  },
  {
    method: 'GET',
    pattern: ['config'],
    action: 'read',
    handle: withConfig(async (config, c) => {
      const kindText = c.query.get('kind');
      const kind = kindText === null ? undefined : parseKind(kindText);
      if (kindText !== null && kind === undefined) return { status: 400, body: errorBody(`unknown kind "${kindText}"; kinds: ${CONFIG_KINDS.join(', ')}`) };
      const documents = config.get(kind, c.query.get('namespace') ?? undefined, c.query.get('name') ?? undefined);
      return { status: 200, body: { revision: config.snapshot().revision, documents } };
    }),
  },
  {
    method: 'GET',
    pattern: ['config', 'history'],
    action: 'read',
    handle: withConfig(async (config, c) => {
      const text = c.query.get('limit');
      const limit = text === null ? DEFAULT_HISTORY : Number(text);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HISTORY) return { status: 400, body: errorBody(`limit must be an integer 1..${MAX_HISTORY}`) };
      return { status: 200, body: { revision: config.snapshot().revision, revisions: await config.history(limit) } };
    }),
  },
  {
    method: 'GET',
    pattern: ['config', 'explain', ':namespace', ':name'],
    action: 'read',
    handle: withConfig(async (config, c) => {
      const envoy = ['1', 'true', 'yes'].includes(c.query.get('envoy') ?? '');
      const request = explainRequest(c.query);
      if (request !== undefined && 'status' in request) return request;
      const result = await config.explain(serviceKey(c.params['name'] ?? '', c.params['namespace'] ?? ''), {
        envoy, ...(request === undefined ? {} : { request }),
      });
      if (!result.ok) return { status: STATUS_OF[result.reason], body: errorBody(result.message, result.diagnostics) };
      const { ok: _ok, ...body } = result;
      return { status: 200, body };
    }),
  },
  {
    method: 'POST',
    pattern: ['config', 'restore'],
    action: 'write',
    body: true,
    handle: withConfig(async (config, c) => {
      const revision = c.body !== null && typeof c.body === 'object' ? (c.body as Record<string, unknown>)['revision'] : undefined;
      if (typeof revision !== 'number' || !Number.isInteger(revision) || revision < 0) {
        return { status: 400, body: errorBody('expected {"revision": N} with N a revision number (0 = no documents)') };
      }
      return writeReply(await config.restore(revision, writeOptions(c.principal)));
    }),
  },
  {
    method: 'DELETE',
    pattern: ['config', ':kind', ':name'],
    action: 'write',
    handle: withConfig(async (config, c) => {
      // ServiceConfig without a namespace means the default namespace, as in the YAML; an
      // AuthorizationPolicy without one is the cluster-scoped (platform) policy.
      const kind = parseKind(c.params['kind'] ?? '');
      return deleteHandler(c, config, kind === 'ServiceConfig' ? 'default' : undefined);
    }),
  },
  {
    method: 'DELETE',
    pattern: ['config', ':kind', ':namespace', ':name'],
    action: 'write',
    handle: withConfig(async (config, c) => deleteHandler(c, config, c.params['namespace'])),
  },
];
