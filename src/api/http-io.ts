/** Reading JSON request bodies and writing JSON responses on node:http, defensively. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const MAX_BODY_BYTES = 1024 * 1024;

export type BodyResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly status: 400 | 413; readonly message: string };

/**
 * Reads and parses a JSON body of at most `limit` bytes. A declared or actual size over the
 * limit gives 413 as soon as it is known (the rest of the body is not buffered); an empty body
 * or invalid JSON gives 400 naming the problem. Never rejects.
 */
export function readJsonBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  return new Promise((resolve) => {
    const tooLarge: BodyResult = { ok: false, status: 413, message: `request body is larger than the ${limit} byte limit` };
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      resolve(tooLarge);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult): void => {
      if (done) return;
      done = true;
      request.removeListener('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish(tooLarge);
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.on('error', () => finish({ ok: false, status: 400, message: 'the request body could not be read' }));
    request.on('aborted', () => finish({ ok: false, status: 400, message: 'the request was aborted' }));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        finish({ ok: false, status: 400, message: 'the request body is empty; expected a JSON object' });
        return;
      }
      try {
        finish({ ok: true, value: JSON.parse(text) });
      } catch (error) {
        const reason = error instanceof Error ? error.message : 'syntax error';
        finish({ ok: false, status: 400, message: `the request body is not valid JSON: ${reason}` });
      }
    });
  });
}

/** Sends `body` as JSON (or no body for 204). Safe to call once per response. */
export function sendJson(response: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent) return;
  if (status === 204 || body === undefined) {
    response.writeHead(status, headers);
    response.end();
    return;
  }
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(text);
}
