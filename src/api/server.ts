/**
 * The HTTP API server (node:http, JSON in and out) over the route table in routes.ts. Order of
 * checks per request: route (404/405), authorization (401), body (400/413), handler. Any
 * unexpected failure becomes a JSON 500 and a log line; a bad request never crashes the server.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CertificateAuthority } from '../ca/certificate-authority.ts';
import type { ConfigService } from '../config/service/config-service.ts';
import type { Registry } from '../registry/types.ts';
import { TrellisError } from '../util/errors.ts';
import { createLogger } from '../util/log.ts';
import type { Logger } from '../util/log.ts';
import { createAuthorizer, isLoopbackHost, permitWrites } from './auth.ts';
import type { Authorize } from './auth.ts';
import { readJsonBody, sendJson } from './http-io.ts';
import { API_PREFIX, errorBody, matchRoute, ROUTES } from './routes.ts';
import type { Reply } from './routes.ts';
import type { TokenStore } from './token-store.ts';

export interface ApiServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly registry: Registry;
  readonly status: () => unknown;
  /** SHA-256 hex of the admin token (see tokens.ts). */
  readonly adminTokenHash: string;
  readonly log?: Logger;
  /** Overrides the token check (tests); defaults to `createAuthorizer(adminTokenHash, {tokens, openReads})`. */
  readonly authorize?: Authorize;
  /** Issued tokens (roles); without it only the admin token can write, and /tokens answers 404. */
  readonly tokens?: TokenStore;
  /** The layered config service; without it /config answers 404. */
  readonly config?: ConfigService;
  /** Whether reads need no token; default: true exactly when `host` is a loopback address. */
  readonly openReads?: boolean;
  /** The built-in CA; without it /ca answers 404. */
  readonly ca?: CertificateAuthority;
}

export interface ApiServer {
  readonly port: number;
  /** Stops accepting, closes open connections, resolves when the server is closed. */
  close(): Promise<void>;
}

/** The options `startApiServer` takes once Trellis's state is loaded (all but the address). */
export type ApiState = Omit<ApiServerOptions, 'host' | 'port' | 'log'>;

/** An API server listening before Trellis's state is loaded (see `listenApiServer`). */
export interface StartingApiServer extends ApiServer {
  /** Hands over the state: from now on requests are served. Call once. */
  ready(state: ApiState): void;
}

/** What every request is told while Trellis starts. */
const STARTING_MESSAGE = 'Trellis is starting (loading the registry, config and CA); retry in a moment';

/** Starts the API server and resolves once it is listening, ready to serve. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const server = await listenApiServer(options);
  server.ready(options);
  return server;
}

/**
 * Binds the API port before Trellis's state exists, so clients can connect at once. Until `ready`
 * every request answers 503 with a Retry-After header: /healthz with `{ok: false, status:
 * "starting"}`, anything else with an error saying Trellis is starting. Nothing is read or written.
 */
export async function listenApiServer(address: { readonly host: string; readonly port: number; readonly log?: Logger }): Promise<StartingApiServer> {
  const log = address.log ?? createLogger('api');
  let state: { readonly options: ApiState; readonly authorize: Authorize } | undefined;
  const server = createServer((request, response) => {
    if (state === undefined) {
      answerStarting(request, response);
      return;
    }
    handle(request, response, state.options, state.authorize).catch((error: unknown) => {
      log.error('request failed', { method: request.method, error: error instanceof Error ? error.message : String(error) });
      sendJson(response, 500, errorBody('internal error'));
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  async function handle(request: IncomingMessage, response: ServerResponse, options: ApiState, authorize: Authorize): Promise<void> {
    const segments = pathSegments(request.url ?? '');
    if (segments === undefined) {
      sendJson(response, 400, errorBody('the request path is not validly percent-encoded'));
      return;
    }
    if (segments === null) {
      sendJson(response, 404, errorBody(`no such route; the API lives under ${API_PREFIX}`));
      return;
    }
    const match = matchRoute(ROUTES, request.method ?? '', segments);
    if (match.kind === 'not-found') {
      sendJson(response, 404, errorBody(`no route ${request.method ?? ''} ${API_PREFIX}/${segments.join('/')}`));
      return;
    }
    if (match.kind === 'method-not-allowed') {
      sendJson(response, 405, errorBody(`method ${request.method ?? ''} not allowed here; allowed: ${match.allow.join(', ')}`),
        { allow: match.allow.join(', ') });
      return;
    }
    const decision = authorize(request, match.route.action);
    if (!decision.allowed) {
      sendJson(response, decision.status, errorBody(decision.message),
        decision.status === 401 ? { 'www-authenticate': 'Bearer realm="trellis"' } : {});
      return;
    }
    let body: unknown;
    if (match.route.body === true) {
      const read = await readJsonBody(request);
      if (!read.ok) {
        // Close after a 413 so the rest of an oversized body is not read.
        sendJson(response, read.status, errorBody(read.message), read.status === 413 ? { connection: 'close' } : {});
        return;
      }
      body = read.value;
    }
    const context = {
      params: match.params,
      query: new URLSearchParams((request.url ?? '').split('?')[1] ?? ''),
      body,
      principal: decision.principal,
      registry: options.registry,
      status: options.status,
      ...(options.config === undefined ? {} : { config: options.config }),
      ...(options.tokens === undefined ? {} : { tokens: options.tokens }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    };
    const refusal = match.route.targets ? permitWrites(decision.principal, match.route.targets(context)) : undefined;
    if (refusal !== undefined) {
      sendJson(response, 403, errorBody(refusal));
      return;
    }
    let reply: Reply;
    try {
      reply = await match.route.handle(context);
    } catch (error) {
      reply = errorReply(error, log);
    }
    sendJson(response, reply.status, reply.body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log.error('api server error', { error: error.message }));
  const bound = server.address() as AddressInfo;
  log.info('api listening', { host: address.host, port: bound.port });
  return {
    port: bound.port,
    ready(options) {
      if (state !== undefined) throw new Error('the API server is already ready');
      const authorize = options.authorize ?? createAuthorizer(options.adminTokenHash, {
        ...(options.tokens === undefined ? {} : { tokens: options.tokens }),
        openReads: options.openReads ?? isLoopbackHost(address.host),
      });
      state = { options, authorize };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The answer to any request while Trellis starts; the body is not read. */
function answerStarting(request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '').split('?')[0] ?? '';
  const healthz = path === `${API_PREFIX}/healthz` || path === `${API_PREFIX}/healthz/`;
  const headers = { 'retry-after': '1', connection: 'close' };
  if (healthz) sendJson(response, 503, { ok: false, status: 'starting', error: STARTING_MESSAGE }, headers);
  else sendJson(response, 503, errorBody(STARTING_MESSAGE), headers);
}

/**
 * Decoded segments after the prefix; null when the path is outside the prefix, undefined when a
 * segment is not validly percent-encoded. A trailing slash is ignored.
 */
function pathSegments(url: string): string[] | null | undefined {
  const path = url.split('?')[0] ?? '';
  if (path !== API_PREFIX && !path.startsWith(`${API_PREFIX}/`)) return null;
  const raw = path.slice(API_PREFIX.length).split('/').slice(1);
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  try {
    return raw.map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

function errorReply(error: unknown, log: Logger): Reply {
  if (error instanceof TrellisError) {
    if (error.kind === 'not-found') return { status: 404, body: errorBody(error.message) };
    if (error.kind === 'conflict') return { status: 409, body: errorBody(error.message) };
    if (error.kind === 'store') {
      log.error('store failure during request', { error: error.message });
      return { status: 503, body: errorBody('the store is unavailable; nothing was changed') };
    }
  }
  log.error('handler failed', { error: error instanceof Error ? error.message : String(error) });
  return { status: 500, body: errorBody('internal error') };
}
