/** `trellis delete`, `trellis history` and `trellis restore`: config changes and revisions. */
import { CONNECTION_OPTIONS, UsageError, type Command } from '../command.ts';
import { contextFrom, str } from '../flags.ts';
import { callApi } from '../http-client.ts';
import { formatTable } from '../table.ts';
import { kindArgument } from './config-read.ts';

type Json = Record<string, unknown>;

export const deleteCommand: Command = {
  summary: 'delete a config document (refused while another document refers to it)',
  usage: 'trellis delete KIND NAME [-n NS]',
  positionals: true,
  options: { ...CONNECTION_OPTIONS, namespace: { type: 'string', short: 'n' } },
  async run(values, out, positionals) {
    const [kindText, name] = positionals;
    if (kindText === undefined || name === undefined || positionals.length !== 2) throw new UsageError('give KIND and NAME');
    const kind = kindArgument(kindText);
    const namespace = str(values, 'namespace');
    if (kind === 'PlatformPolicy' && namespace !== undefined) throw new UsageError('PlatformPolicy documents have no namespace');
    const parts = kind === 'ServiceConfig' ? [kind, namespace ?? 'default', name] : [kind, name];
    const answer = (await callApi(contextFrom(values), 'DELETE', `/config/${parts.map(encodeURIComponent).join('/')}`)) as Json;
    out(`deleted ${parts.join('/')} (revision ${String(answer['revision'])})`);
    return 0;
  },
};

export const historyCommand: Command = {
  summary: 'config revisions: who changed what and when',
  usage: 'trellis history [--limit N] [--json]',
  options: { ...CONNECTION_OPTIONS, limit: { type: 'string' }, json: { type: 'boolean' } },
  async run(values, out) {
    const limit = str(values, 'limit') ?? '20';
    if (!/^\d+$/.test(limit)) throw new UsageError('--limit takes a number');
    const answer = (await callApi(contextFrom(values), 'GET', `/config/history?limit=${limit}`)) as Json;
    const revisions = Array.isArray(answer['revisions']) ? (answer['revisions'] as Json[]) : [];
    if (values['json'] === true) {
      out(JSON.stringify(revisions, null, 2));
      return 0;
    }
    if (revisions.length === 0) {
      out('no config revisions yet');
      return 0;
    }
    out(formatTable(['REVISION', 'AT', 'ACTOR', 'ROLE', 'ACTION', 'CHANGES'], revisions.map((r) => {
      const actor = (r['actor'] ?? {}) as Json;
      const changes = Array.isArray(r['changes']) ? (r['changes'] as Json[]) : [];
      return [String(r['revision']), String(r['at']), String(actor['name']), String(actor['role']), String(r['action']),
        changes.map((c) => `${String(c['op'])} ${String(c['id'])}`).join(', ')];
    })));
    return 0;
  },
};

export const restoreCommand: Command = {
  summary: 'put the config back as it was after a revision (as a new revision)',
  usage: 'trellis restore --revision N',
  options: { ...CONNECTION_OPTIONS, revision: { type: 'string' } },
  async run(values, out) {
    const text = str(values, 'revision');
    if (text === undefined || !/^\d+$/.test(text)) throw new UsageError('--revision N is required (a revision number from `trellis history`)');
    const answer = (await callApi(contextFrom(values), 'POST', '/config/restore', { revision: Number(text) })) as Json;
    const changes = Array.isArray(answer['changes']) ? (answer['changes'] as Json[]) : [];
    if (changes.length === 0) out(`nothing to restore: the config already matches revision ${text}`);
    else {
      for (const c of changes) out(`${String(c['op'])} ${String(c['id'])}`);
      out(`restored revision ${text} as revision ${String(answer['revision'])}`);
    }
    return 0;
  },
};
