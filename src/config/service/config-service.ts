/**
 * The config service: apply (all or nothing), diff, get, delete, history, restore and explain
 * over the config store. User problems come back as values (`Rejection` with diagnostics naming
 * file:line and field); store failures reject with TrellisError.
 */
import { stringify } from 'yaml';
import type { ServiceKey } from '../../registry/types.ts';
import { serviceKey } from '../../registry/types.ts';
import { createSerialQueue } from '../../registry/serial-queue.ts';
import { TrellisError, type Diagnostic } from '../../util/errors.ts';
import { explainService, formatExplain, mergeService } from '../merge/index.ts';
import { explainAuthorization, explainDecision } from './explain-authorization.ts';
import { parseConfigFiles } from '../parse/index.ts';
import type { ConfigListener, ConfigStore } from '../store/config-store.ts';
import { applyToSnapshot, computeChanges, type ConfigAction, type RevisionRecord } from '../store/records.ts';
import type { ConfigDocument, ConfigKind, ConfigSnapshot } from '../types.ts';
import { checkSnapshot, documentWrite, judgeCandidate, knownServiceSet, referrersOf, sourceOf, writeFromId } from './checks.ts';
import { diffDocuments, diffServices } from './diff.ts';
import type {
  ApplyOptions,
  ConfigFile,
  DecisionExplain,
  DiffResult,
  ExplainRequest,
  ExplainResult,
  PreviewEnvoy,
  Rejection,
  StoredDocumentView,
  WriteOptions,
  WriteResult,
} from './types.ts';

export interface ConfigServiceOptions {
  readonly store: ConfigStore;
  /** Services the registry knows right now (references to them are valid). */
  readonly knownServices: () => Iterable<ServiceKey>;
  /** Envoy preview for diff and `explain --envoy`; without it those parts are left out. */
  readonly previewEnvoy?: PreviewEnvoy;
  /** Trust domain of workload SPIFFE ids, for authorization explain (default trellis.local). */
  readonly trustDomain?: string;
}

export interface ConfigService {
  snapshot(): ConfigSnapshot;
  /** Subscribes to committed config changes (the store's onChange); returns the unsubscribe function. */
  onChange(listener: ConfigListener): () => void;
  /** Parses every file, checks the candidate, and stores it as one revision unless dry-run. */
  apply(files: readonly ConfigFile[], options: ApplyOptions): Promise<WriteResult>;
  /** What applying `files` would change (documents, effective settings, Envoy resources). */
  diff(files: readonly ConfigFile[], options?: { prune?: ApplyOptions['prune'] }): Promise<DiffResult>;
  /** Stored documents, optionally filtered, sorted by id. */
  get(kind?: ConfigKind, namespace?: string, name?: string): StoredDocumentView[];
  /** Deletes one document; refused (conflict) while another document refers to it. */
  delete(id: string, options: WriteOptions): Promise<WriteResult>;
  history(limit: number): Promise<RevisionRecord[]>;
  /** Puts the documents back as they were after `revision`, as a new revision (action restore). */
  restore(revision: number, options: WriteOptions): Promise<WriteResult>;
  /** Effective settings with provenance, the authorization rules, and with `request` the decision for that caller. */
  explain(service: ServiceKey, options?: { envoy?: boolean; request?: ExplainRequest }): Promise<ExplainResult>;
}

const reject = (reason: Rejection['reason'], message: string, diagnostics: readonly Diagnostic[] = []): Rejection => ({
  ok: false,
  reason,
  message,
  diagnostics,
});

export function createConfigService(options: ConfigServiceOptions): ConfigService {
  const { store } = options;
  // Check-then-commit must not interleave with another write, or a check could pass against a
  // snapshot that is gone by the time the commit lands.
  const queue = createSerialQueue();
  const serial = (task: () => Promise<WriteResult>): Promise<WriteResult> =>
    queue.run(async () => {
      try {
        return await task();
      } catch (error) {
        const conflict = conflictFrom(error);
        if (conflict) return conflict;
        throw error;
      }
    });
  // The current config's own diagnostics, against today's registry (not cached: the registry
  // moves independently of config revisions, and a stale baseline would blame the wrong apply).
  const currentDiagnostics = (current: ConfigSnapshot): Diagnostic[] => checkSnapshot(current, options.knownServices());

  /** The shared tail of every write: permit, check, then commit one revision. */
  async function write(
    upserts: readonly ConfigDocument[],
    deletes: readonly string[],
    extraWrites: readonly ConfigDocument[],
    opts: WriteOptions & { dryRun?: boolean; action: ConfigAction },
    parseWarnings: readonly Diagnostic[] = [],
  ): Promise<WriteResult> {
    const current = store.snapshot();
    const changes = computeChanges(current, upserts, deletes);
    if (opts.permit) {
      const writes = [...extraWrites.map(documentWrite), ...changes.filter((c) => c.op === 'delete').map((c) => writeFromId(c.id))];
      const refusal = opts.permit(writes.filter((w) => w !== undefined));
      if (refusal !== undefined) return reject('forbidden', refusal);
    }
    // Unchanged documents keep their stored version (and source), exactly as the commit will.
    const changedIds = new Set(changes.map((c) => c.id));
    const changedUpserts = upserts.filter((d) => changedIds.has(d.id));
    const candidate = applyToSnapshot(current, changedUpserts, deletes, current.revision);
    const { errors, warnings } = judgeCandidate(currentDiagnostics(current), checkSnapshot(candidate, options.knownServices()));
    if (errors.length > 0) {
      return reject('invalid', `rejected: ${errors.length} problem${errors.length === 1 ? '' : 's'}; nothing was changed`, [...errors, ...warnings]);
    }
    const summary = changes.map((c) => ({ id: c.id, op: c.op }));
    const allWarnings = [...parseWarnings, ...warnings];
    if (opts.dryRun === true || changes.length === 0) {
      return { ok: true, dryRun: opts.dryRun === true, revision: current.revision, changes: summary, warnings: allWarnings };
    }
    const record = await store.commit({ actor: opts.actor, action: opts.action, upserts: changedUpserts, deletes, expectedRevision: current.revision });
    return { ok: true, dryRun: false, revision: record?.revision ?? current.revision, changes: summary, warnings: allWarnings };
  }

  function parse(files: readonly ConfigFile[]): { documents: ConfigDocument[]; errors: Diagnostic[]; warnings: Diagnostic[] } {
    const { documents, diagnostics } = parseConfigFiles(files);
    return {
      documents,
      errors: diagnostics.filter((d) => d.severity === 'error'),
      warnings: diagnostics.filter((d) => d.severity !== 'error'),
    };
  }

  function pruned(current: ConfigSnapshot, documents: readonly ConfigDocument[], prune: ApplyOptions['prune']): string[] {
    if (prune === undefined) return [];
    const kept = new Set(documents.map((d) => d.id));
    return [...current.documents.values()].filter((d) => prune(d) && !kept.has(d.id)).map((d) => d.id);
  }

  return {
    snapshot: () => store.snapshot(),
    onChange: (listener) => store.onChange(listener),

    apply: (files, opts) => serial(async () => {
      const parsed = parse(files);
      if (parsed.errors.length > 0) {
        // Also report reference and bound problems of the documents that did parse.
        const current = store.snapshot();
        const candidate = applyToSnapshot(current, parsed.documents, [], current.revision);
        const extra = judgeCandidate(currentDiagnostics(current), checkSnapshot(candidate, options.knownServices())).errors;
        const all = [...parsed.errors, ...extra, ...parsed.warnings];
        return reject('invalid', `rejected: ${parsed.errors.length + extra.length} problem(s) in the files; nothing was changed`, all);
      }
      if (parsed.documents.length === 0 && opts.prune === undefined) return reject('invalid', 'no documents in the files');
      const deletes = pruned(store.snapshot(), parsed.documents, opts.prune);
      return write(parsed.documents, deletes, parsed.documents, { ...opts, action: opts.action ?? 'apply' }, parsed.warnings);
    }),

    async diff(files, opts = {}) {
      const parsed = parse(files);
      if (parsed.errors.length > 0) return reject('invalid', 'the files have problems; nothing to compare', [...parsed.errors, ...parsed.warnings]);
      const current = store.snapshot();
      const deletes = pruned(current, parsed.documents, opts.prune);
      const candidate = applyToSnapshot(current, parsed.documents, deletes, current.revision);
      const { errors, warnings } = judgeCandidate(currentDiagnostics(current), checkSnapshot(candidate, options.knownServices()));
      const registry = [...options.knownServices()];
      const services = new Set([...knownServiceSet(registry, current), ...knownServiceSet(registry, candidate)]);
      return {
        ok: true,
        revision: current.revision,
        documents: diffDocuments(current, parsed.documents, deletes),
        services: await diffServices(current, candidate, services, options.previewEnvoy),
        valid: errors.length === 0,
        diagnostics: [...errors, ...parsed.warnings, ...warnings],
      };
    },

    get(kind, namespace, name) {
      const views: StoredDocumentView[] = [];
      for (const doc of store.snapshot().documents.values()) {
        if (kind !== undefined && doc.kind !== kind) continue;
        if (namespace !== undefined && (doc.kind === 'PlatformPolicy' || doc.namespace !== namespace)) continue;
        if (name !== undefined && doc.name !== name) continue;
        views.push({
          id: doc.id,
          kind: doc.kind,
          name: doc.name,
          ...(doc.kind !== 'PlatformPolicy' && doc.namespace !== undefined ? { namespace: doc.namespace } : {}),
          source: sourceOf(doc),
          raw: doc.raw,
        });
      }
      return views.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    delete: (id, opts) => serial(async () => {
      const current = store.snapshot();
      const doc = current.documents.get(id);
      if (doc === undefined) return reject('not-found', `config document ${id} not found`);
      if (opts.permit) {
        const refusal = opts.permit([documentWrite(doc)]);
        if (refusal !== undefined) return reject('forbidden', refusal);
      }
      if (doc.kind === 'ServiceConfig') {
        const referrers = referrersOf(current, serviceKey(doc.name, doc.namespace), doc.id);
        if (referrers.length > 0) {
          const names = [...new Set(referrers.map((r) => r.message.split(' ')[0] ?? ''))].join(', ');
          return reject('conflict', `${id} is referenced by ${names}; change or delete those first`, referrers);
        }
      }
      const result = await write([], [id], [], { ...opts, action: 'delete' });
      // A delete that breaks references is a conflict with the remaining documents, not bad input.
      return !result.ok && result.reason === 'invalid' ? { ...result, reason: 'conflict' } : result;
    }),

    history: (limit) => store.history(limit),

    restore: (revision, opts) => serial(async () => {
      const current = store.snapshot();
      if (!Number.isInteger(revision) || revision < 0 || revision > current.revision) {
        return reject('not-found', `revision ${revision} does not exist (current revision ${current.revision})`);
      }
      const raws = new Map<string, unknown>();
      for (const record of await store.revisionsUpTo(revision)) {
        for (const change of record.changes) {
          if (change.op === 'delete') raws.delete(change.id);
          else raws.set(change.id, change.after);
        }
      }
      // Re-parse the stored YAML so restored documents are checked like any other write.
      const files = [...raws.entries()].map(([id, raw]) => ({ name: `revision-${revision}/${id}`, text: stringify(raw) }));
      const parsed = parse(files);
      if (parsed.errors.length > 0) return reject('invalid', `revision ${revision} no longer validates; nothing was changed`, parsed.errors);
      const ids = new Set(parsed.documents.map((d) => d.id));
      const deletes = [...current.documents.keys()].filter((id) => !ids.has(id));
      const changed = new Set(computeChanges(current, parsed.documents, []).map((c) => c.id));
      const upserts = parsed.documents.filter((d) => changed.has(d.id));
      return write(upserts, deletes, upserts, { ...opts, action: 'restore' });
    }),

    async explain(service, opts = {}) {
      const current = store.snapshot();
      if (!knownServiceSet(options.knownServices(), current).has(service)) {
        return reject('not-found', `service ${service} is neither in the registry nor in a ServiceConfig`);
      }
      const rows = explainService(mergeService(service, current));
      const text = formatExplain(rows);
      const auth = explainAuthorization(current, service);
      let decision: DecisionExplain | undefined;
      if (opts.request !== undefined) {
        const decided = explainDecision(auth.effective, opts.request, knownServiceSet(options.knownServices(), current), options.trustDomain);
        if (!decided.ok) return decided;
        decision = decided.explain;
      }
      const base = {
        ok: true as const, service, revision: current.revision, rows, text, authorization: auth.explain,
        ...(decision === undefined ? {} : { decision }),
      };
      if (opts.envoy !== true) return base;
      if (options.previewEnvoy === undefined) return reject('not-found', 'this server has no Envoy preview configured');
      return { ...base, envoy: await options.previewEnvoy(current, service) };
    },
  };
}

/** Wraps a store conflict (a concurrent commit) as a rejection the caller can retry. */
export function conflictFrom(error: unknown): Rejection | undefined {
  return error instanceof TrellisError && error.kind === 'conflict' ? reject('conflict', error.message) : undefined;
}
