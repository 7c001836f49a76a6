/** The CLI's calls to the Trellis HTTP API, with errors turned into readable messages. */
import type { CliContext } from './context.ts';

export class CliError extends Error {
  override readonly name = 'CliError';
}

/** Calls the API; returns the parsed JSON body (undefined for 204) or throws CliError with the server's message. */
export async function callApi(context: CliContext, method: string, path: string, body?: unknown): Promise<unknown> {
  const answer = await callApiRaw(context, method, path, body);
  if (answer.status < 200 || answer.status > 299) throw new CliError(describeError(answer.status, answer.body, answer.text));
  return answer.body;
}

/**
 * Calls the API and returns status and parsed body whatever the status (for commands that print
 * a rejection's diagnostics themselves); throws CliError only when the server cannot be reached.
 * The token goes with every request: reads need one when the API is not on loopback.
 */
export async function callApiRaw(context: CliContext, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown; text: string }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (context.token) headers['authorization'] = `Bearer ${context.token}`;
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
  return { status: response.status, body: text ? safeJson(text) : undefined, text };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** `status: error` then one line per diagnostic, `source: field: message`. */
export function describeError(status: number, parsed: unknown, text: string): string {
  if (parsed && typeof parsed === 'object') {
    const record = parsed as Record<string, unknown>;
    const lines = [`${status}: ${String(record['error'] ?? text)}`];
    const diagnostics = record['diagnostics'];
    if (Array.isArray(diagnostics)) {
      for (const d of diagnostics as Array<Record<string, unknown>>) lines.push(`  ${formatDiagnosticJson(d)}`);
    }
    return lines.join('\n');
  }
  return `${status}: ${text}`;
}

/** One diagnostic from an API answer as `file:line: field: message` (parts that are absent left out). */
export function formatDiagnosticJson(d: Record<string, unknown>): string {
  const parts = [d['source'], d['field'], d['message']].filter((p): p is string => typeof p === 'string' && p !== '');
  return parts.join(': ') + (d['severity'] === 'warning' ? ' (warning)' : '');
}
