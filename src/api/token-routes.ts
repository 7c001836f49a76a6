/** Token management (admin only): create (the secret is answered once), list (no secrets), revoke. */
import { diagnosticsJson, errorBody, type Reply, type Route, type RouteContext } from './route-types.ts';
import type { TokenStore } from './token-store.ts';

const notEnabled: Reply = { status: 404, body: errorBody('token management is not enabled on this server') };

function withTokens(handle: (tokens: TokenStore, c: RouteContext) => Promise<Reply>): (c: RouteContext) => Promise<Reply> {
  return async (c) => (c.tokens === undefined ? notEnabled : handle(c.tokens, c));
}

export const TOKEN_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    pattern: ['tokens'],
    action: 'admin',
    body: true,
    handle: withTokens(async (tokens, c) => {
      const result = await tokens.create(c.body, c.principal.name);
      if (!result.ok) return { status: 400, body: { error: 'invalid token request', diagnostics: diagnosticsJson(result.diagnostics) } };
      return { status: 201, body: { ...result.record, token: result.token } };
    }),
  },
  {
    method: 'GET',
    pattern: ['tokens'],
    action: 'admin',
    handle: withTokens(async (tokens) => ({ status: 200, body: { tokens: tokens.list() } })),
  },
  {
    method: 'DELETE',
    pattern: ['tokens', ':id'],
    action: 'admin',
    handle: withTokens(async (tokens, c) =>
      (await tokens.revoke(c.params['id'] ?? '')) ? { status: 204 } : { status: 404, body: errorBody(`token ${c.params['id'] ?? ''} not found`) },
    ),
  },
];
