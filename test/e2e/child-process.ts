/**
 * Child processes for end-to-end tests: every child is tracked so `killAllChildren` (afterAll)
 * ends it even when a test failed, its stderr is kept for the failure report, and its stdout is
 * read as JSON lines that tests wait for with a timeout and a clear message.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How much stderr (characters) each child keeps for the failure report. */
const STDERR_KEEP = 20_000;

export interface ChildHandle {
  readonly name: string;
  readonly process: ChildProcessWithoutNullStreams;
  /** The kept tail of stderr (and non-JSON stdout lines). */
  log(): string;
  /** Resolves with the first JSON stdout object (not yet consumed) matching `accept`. */
  waitForJson(accept: (value: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<Record<string, unknown>>;
  /** Writes one line to stdin. */
  send(line: string): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  readonly exited: Promise<number | null>;
}

/** Children still running (killed in afterAll). */
const children = new Set<ChildHandle>();
/** Every child spawned by this test file, for the failure report. */
const allSpawned: ChildHandle[] = [];

interface Waiter {
  readonly accept: (value: Record<string, unknown>) => boolean;
  readonly resolve: (value: Record<string, unknown>) => void;
}

/** Spawns `command args` with piped stdio and tracks it until it exits. */
export function spawnChild(name: string, command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): ChildHandle {
  const child = spawn(command, [...args], { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let log = '';
  const keep = (text: string): void => {
    log = (log + text).slice(-STDERR_KEEP);
  };
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => keep(chunk));
  const pending: Record<string, unknown>[] = [];
  const waiters: Waiter[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      keep(`[stdout] ${line}\n`);
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      keep(`[stdout] ${line}\n`);
      return;
    }
    const record = value as Record<string, unknown>;
    const index = waiters.findIndex((w) => w.accept(record));
    if (index >= 0) waiters.splice(index, 1)[0]?.resolve(record);
    else pending.push(record);
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolveExit) => {
    child.on('exit', (code, signal) => {
      exitCode = code;
      keep(`[exited code=${String(code)} signal=${String(signal)}]\n`);
      children.delete(handle);
      resolveExit(code);
    });
    child.on('error', (error) => {
      keep(`[spawn error] ${error.message}\n`);
      exitCode = null;
      children.delete(handle);
      resolveExit(null);
    });
  });
  // A closed stdin (child gone) must not crash the test runner.
  child.stdin.on('error', () => undefined);

  const handle: ChildHandle = {
    name,
    process: child,
    log: () => log,
    exited,
    send: (line) => {
      if (exitCode === undefined) child.stdin.write(`${line}\n`);
    },
    waitForJson: (accept, timeoutMs, what) => {
      const index = pending.findIndex(accept);
      if (index >= 0) return Promise.resolve(pending.splice(index, 1)[0] as Record<string, unknown>);
      return new Promise((resolveWait, rejectWait) => {
        const waiter: Waiter = {
          accept,
          resolve: (value) => {
            clearTimeout(timer);
            resolveWait(value);
          },
        };
        const fail = (reason: string): void => {
          const at = waiters.indexOf(waiter);
          if (at >= 0) waiters.splice(at, 1);
          rejectWait(new Error(`${name}: ${reason} while waiting for ${what}\n--- ${name} log ---\n${log.slice(-4000)}`));
        };
        const timer = setTimeout(() => fail(`no answer after ${timeoutMs} ms`), timeoutMs);
        waiters.push(waiter);
        void exited.then((code) => {
          if (waiters.includes(waiter)) {
            clearTimeout(timer);
            fail(`process exited (code ${String(code)})`);
          }
        });
      });
    },
    stop: async (graceMs = 5000) => {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  children.add(handle);
  allSpawned.push(handle);
  return handle;
}

/** Stops every child still running (afterAll; also safe to call twice). */
export async function killAllChildren(): Promise<void> {
  await Promise.allSettled([...children].map((c) => c.stop(3000)));
}

/** Prints each child's kept log to stderr (called when a test fails). */
export function printChildLogs(): void {
  for (const child of allSpawned) {
    process.stderr.write(`\n===== ${child.name} =====\n${child.log().slice(-6000)}\n`);
  }
}
