/**
 * `trellis token create | list | revoke`: API tokens (admin only); with `--identity`, a CA join
 * token a workload uses to prove its SPIFFE identity (printed alone on the last line).
 */
import { CONNECTION_OPTIONS, UsageError, type Command } from '../command.ts';
import { contextFrom, list, str } from '../flags.ts';
import { callApi } from '../http-client.ts';
import { formatTable } from '../table.ts';

type Json = Record<string, unknown>;

export const tokenCommand: Command = {
  summary: 'create, list or revoke API tokens (roles: admin, team, viewer)',
  usage: 'trellis token create --role admin|team|viewer [--namespace NS]... [--name NAME] | token create --identity SPIFFE_ID [--ttl 24h] | token list | token revoke ID',
  positionals: true,
  options: { ...CONNECTION_OPTIONS, role: { type: 'string' }, namespace: { type: 'string', short: 'n', multiple: true }, name: { type: 'string' }, identity: { type: 'string' }, ttl: { type: 'string' } },
  async run(values, out, positionals) {
    const [action, id] = positionals;
    const context = contextFrom(values);
    if (action === 'create' && positionals.length === 1 && str(values, 'identity') !== undefined) {
      if (str(values, 'role') !== undefined) throw new UsageError('--identity creates a join token; it takes no --role');
      const ttl = str(values, 'ttl');
      const answer = (await callApi(context, 'POST', '/ca/tokens', { identity: str(values, 'identity'), ...(ttl === undefined ? {} : { ttl }) })) as Json;
      out(`created join token ${String(answer['id'])} for ${String(answer['spiffeId'])}, expires ${String(answer['expiresAt'])}; it is shown only once:`);
      out(String(answer['token']));
      return 0;
    }
    if (action === 'create' && positionals.length === 1) {
      const role = str(values, 'role');
      if (role === undefined) throw new UsageError('--role admin|team|viewer is required');
      const name = str(values, 'name');
      const body = { role, namespaces: list(values, 'namespace'), ...(name === undefined ? {} : { name }) };
      const answer = (await callApi(context, 'POST', '/tokens', body)) as Json;
      const scope = Array.isArray(answer['namespaces']) && answer['namespaces'].length > 0 ? ` for namespaces [${(answer['namespaces'] as string[]).join(', ')}]` : '';
      out(`created ${String(answer['role'])} token "${String(answer['name'])}" (id ${String(answer['id'])})${scope}; it is shown only once:`);
      out(String(answer['token']));
      return 0;
    }
    if (action === 'list' && positionals.length === 1) {
      const answer = (await callApi(context, 'GET', '/tokens')) as Json;
      const tokens = Array.isArray(answer['tokens']) ? (answer['tokens'] as Json[]) : [];
      out(formatTable(['ID', 'NAME', 'ROLE', 'NAMESPACES', 'CREATED', 'BY'], tokens.map((t) => [
        String(t['id']), String(t['name']), String(t['role']),
        Array.isArray(t['namespaces']) ? (t['namespaces'] as string[]).join(',') : '', String(t['createdAt']), String(t['createdBy']),
      ])));
      return 0;
    }
    if (action === 'revoke' && id !== undefined && positionals.length === 2) {
      await callApi(context, 'DELETE', `/tokens/${encodeURIComponent(id)}`);
      out(`revoked token ${id}`);
      return 0;
    }
    throw new UsageError(`usage: ${tokenCommand.usage}`);
  },
};
