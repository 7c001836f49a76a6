/**
 * How the CLI finds the local server and its credentials without ceremony:
 * server URL: --server, else $TRELLIS_SERVER, else <data>/server.json (written by `trellis serve`),
 * else http://127.0.0.1:18001; token: --token, else $TRELLIS_TOKEN, else <data>/admin.token;
 * data folder: --data, else $TRELLIS_DATA, else ./.trellis.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CliContext {
  readonly serverUrl: string;
  readonly token: string | undefined;
  readonly dataDir: string;
  readonly xdsAddress: string;
}

export function resolveContext(flags: { server?: string | undefined; token?: string | undefined; data?: string | undefined }): CliContext {
  const dataDir = flags.data ?? process.env['TRELLIS_DATA'] ?? '.trellis';
  const serverFile = readJson(join(dataDir, 'server.json'));
  const serverUrl = flags.server ?? process.env['TRELLIS_SERVER'] ?? stringField(serverFile, 'api') ?? 'http://127.0.0.1:18001';
  const token = flags.token ?? process.env['TRELLIS_TOKEN'] ?? readText(join(dataDir, 'admin.token'));
  const xdsAddress = stringField(serverFile, 'xds') ?? '127.0.0.1:18000';
  return { serverUrl: serverUrl.replace(/\/+$/, ''), token, dataDir, xdsAddress };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function readJson(path: string): unknown {
  const text = readText(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function stringField(value: unknown, key: string): string | undefined {
  if (value && typeof value === 'object' && key in value) {
    const field = (value as Record<string, unknown>)[key];
    return typeof field === 'string' ? field : undefined;
  }
  return undefined;
}
