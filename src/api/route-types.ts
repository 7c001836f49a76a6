/** The shapes shared by the route tables (routes.ts, config-routes.ts, token-routes.ts). */
import type { CertificateAuthority } from '../ca/certificate-authority.ts';
import type { ConfigService } from '../config/service/config-service.ts';
import type { Registry } from '../registry/types.ts';
import type { Diagnostic } from '../util/errors.ts';
import type { ApiAction, Principal, WriteTarget } from './auth.ts';
import type { TokenStore } from './token-store.ts';

export const API_PREFIX = '/api/v1';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteContext {
  readonly params: Readonly<Record<string, string>>;
  /** The query string's parameters. */
  readonly query: URLSearchParams;
  /** The parsed JSON body; undefined for routes without `body: true`. */
  readonly body: unknown;
  /** Who is asking (ANONYMOUS for open reads without a token). */
  readonly principal: Principal;
  readonly registry: Registry;
  readonly status: () => unknown;
  /** Present when the server runs with layered config. */
  readonly config?: ConfigService;
  /** Present when the server manages issued tokens. */
  readonly tokens?: TokenStore;
  /** Present when the built-in CA is enabled. */
  readonly ca?: CertificateAuthority;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
}

export interface Route {
  readonly method: Method;
  /** Path segments after the prefix; `:name` captures one segment. */
  readonly pattern: readonly string[];
  readonly action: ApiAction;
  /** Whether the handler takes a JSON body. */
  readonly body?: boolean;
  /**
   * What the request writes, checked with permitWrites before the handler runs (for routes whose
   * targets show in the path or body; config writes check inside the handler, after parsing).
   */
  readonly targets?: (context: RouteContext) => readonly WriteTarget[];
  readonly handle: (context: RouteContext) => Promise<Reply>;
}

/** Diagnostics as the API sends them: `{field, message, source?, severity?}` (severity only for warnings). */
export function diagnosticsJson(diagnostics: readonly Diagnostic[]): unknown[] {
  return diagnostics.map((d) => ({
    field: d.field,
    message: d.message,
    ...(d.source === undefined ? {} : { source: d.source }),
    ...(d.severity === 'warning' ? { severity: d.severity } : {}),
  }));
}

/** The error body every failure uses: `{ error, diagnostics? }` (see diagnosticsJson). */
export function errorBody(error: string, diagnostics?: readonly Diagnostic[]): unknown {
  return diagnostics === undefined ? { error } : { error, diagnostics: diagnosticsJson(diagnostics) };
}
