/** The CLI's calls to the Trellis HTTP API, with errors turned into readable messages. */
import type { CliContext } from './context.ts';

export class CliError extends Error {
  override readonly name = 'CliError';
}

/** Calls the API; returns the parsed JSON body (undefined for 204) or throws CliError with the server's message. */
export async function callApi(context: CliContext, method: string, path: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && context.token) headers['authorization'] = `Bearer ${context.token}`;
  let response: Response;
  try {
    response = await fetch(`${context.serverUrl}/api/v1${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new CliError(`cannot reach Trellis at ${context.serverUrl} (${(error as Error).message}); is \`trellis serve\` running? (--server or TRELLIS_SERVER to point elsewhere)`);
  }
  const text = await response.text();
  const parsed: unknown = text ? safeJson(text) : undefined;
  if (!response.ok) throw new CliError(describeError(response.status, parsed, text));
  return parsed;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeError(status: number, parsed: unknown, text: string): string {
  if (parsed && typeof parsed === 'object') {
    const record = parsed as Record<string, unknown>;
    const lines = [`${status}: ${String(record['error'] ?? text)}`];
    const diagnostics = record['diagnostics'];
    if (Array.isArray(diagnostics)) {
      for (const d of diagnostics as Array<Record<string, unknown>>) lines.push(`  ${String(d['field'] ?? '')}: ${String(d['message'] ?? '')}`);
    }
    return lines.join('\n');
  }
  return `${status}: ${text}`;
}
