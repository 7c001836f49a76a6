/**
 * GitOps: keeps the stored config equal to the YAML files under a directory. Every sync applies
 * all .yaml/.yml files as ONE apply (actor gitops/admin, action gitops); documents an earlier
 * sync stored that are no longer in the directory are deleted in the same revision. An invalid
 * directory changes nothing: the running config stays and every diagnostic is logged.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { relative } from 'node:path';
import { formatDiagnostic, type Diagnostic } from '../../util/errors.ts';
import type { Logger } from '../../util/log.ts';
import type { ConfigService } from '../service/config-service.ts';
import type { ChangeSummary } from '../service/types.ts';
import type { ConfigDocument } from '../types.ts';
import { yamlFilesUnder } from './yaml-files.ts';

/** File names of synced documents start with this, which is how a later sync knows them. */
export const GITOPS_SOURCE_PREFIX = 'gitops:';

export interface GitopsResult {
  /** ISO 8601. */
  readonly at: string;
  readonly ok: boolean;
  /** The config revision after the sync (unchanged when rejected or nothing changed). */
  readonly revision: number;
  readonly files: number;
  readonly changes: readonly ChangeSummary[];
  readonly diagnostics: readonly Diagnostic[];
  /** Why a sync failed outright (unreadable directory). */
  readonly error?: string;
}

export interface ConfigDirWatcher {
  /** The outcome of the latest sync (undefined before the first one finished). */
  lastResult(): GitopsResult | undefined;
  /** Syncs now (also what the watch triggers); concurrent calls run one after another. */
  sync(): Promise<GitopsResult>;
  close(): void;
}

export interface WatchOptions {
  readonly debounceMs?: number;
  readonly pollMs?: number;
}

const isGitopsDocument = (doc: ConfigDocument): boolean => doc.source.file.startsWith(GITOPS_SOURCE_PREFIX);

/**
 * Syncs `dir` once, then again on every change: fs.watch (recursive where the platform has it)
 * plus a poll of file mtimes every 2 s as a fallback, debounced by 200 ms. Resolves after the
 * first sync.
 */
export async function watchConfigDir(dir: string, service: ConfigService, log: Logger, options: WatchOptions = {}): Promise<ConfigDirWatcher> {
  const debounceMs = options.debounceMs ?? 200;
  const pollMs = options.pollMs ?? 2000;
  let last: GitopsResult | undefined;
  let closed = false;
  let running: Promise<GitopsResult> | undefined;
  let again = false;
  let fingerprint = '';

  async function syncOnce(): Promise<GitopsResult> {
    const at = new Date().toISOString();
    const before = service.snapshot().revision;
    let files: Array<{ name: string; text: string }>;
    try {
      fingerprint = await mtimes(dir);
      const paths = await yamlFilesUnder(dir);
      files = await Promise.all(paths.map(async (p) => ({ name: `${GITOPS_SOURCE_PREFIX}${relative(dir, p)}`, text: await readFile(p, 'utf8') })));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error('gitops: cannot read the config directory; keeping the running config', { dir, error: message });
      return { at, ok: false, revision: before, files: 0, changes: [], diagnostics: [], error: message };
    }
    const result = await service.apply(files, { actor: { name: 'gitops', role: 'admin' }, action: 'gitops', prune: isGitopsDocument });
    if (!result.ok) {
      log.warn('gitops: config directory rejected; keeping the running config', { dir, problems: result.diagnostics.length });
      for (const d of result.diagnostics) log.warn(`gitops: ${formatDiagnostic(d)}`);
      return { at, ok: false, revision: before, files: files.length, changes: [], diagnostics: result.diagnostics, error: result.message };
    }
    if (result.changes.length > 0) log.info('gitops: config applied', { dir, revision: result.revision, changes: result.changes.length });
    return { at, ok: true, revision: result.revision, files: files.length, changes: result.changes, diagnostics: result.warnings };
  }

  const sync = (): Promise<GitopsResult> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let result: GitopsResult;
      do {
        again = false;
        try {
          result = await syncOnce();
        } catch (error) {
          // A store failure: keep going, report it, try again on the next change.
          const message = error instanceof Error ? error.message : String(error);
          log.error('gitops: sync failed', { dir, error: message });
          result = { at: new Date().toISOString(), ok: false, revision: service.snapshot().revision, files: 0, changes: [], diagnostics: [], error: message };
        }
        last = result;
      } while (again && !closed);
      running = undefined;
      return result;
    })();
    return running;
  };

  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void sync();
    }, debounceMs);
  };

  await sync();
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { recursive: true }, schedule);
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined; // No (recursive) fs.watch here: the poll below covers it.
  }
  const poll = setInterval(() => {
    if (running || timer) return;
    mtimes(dir).then((now) => {
      if (now !== fingerprint) schedule();
    }, () => undefined);
  }, pollMs);
  poll.unref();

  return {
    lastResult: () => last,
    sync,
    close: () => {
      closed = true;
      watcher?.close();
      clearInterval(poll);
      if (timer) clearTimeout(timer);
    },
  };
}

/** Path, size and mtime of every YAML file under `dir`, as one comparable string. */
async function mtimes(dir: string): Promise<string> {
  const paths = await yamlFilesUnder(dir);
  const parts = await Promise.all(paths.map(async (p) => {
    const info = await stat(p);
    return `${p}:${info.size}:${info.mtimeMs}`;
  }));
  return parts.join('\n');
}
