/** `trellis apply` and `trellis diff`: YAML files to the config API. */
import { CONNECTION_OPTIONS, type Command } from '../command.ts';
import { readConfigFiles } from '../config-files.ts';
import { contextFrom, list } from '../flags.ts';
import { callApiRaw, CliError, describeError, formatDiagnosticJson } from '../http-client.ts';

type Json = Record<string, unknown>;

const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

/** A rejection as one message: the server's error, then each diagnostic as `file:line: field: message`. */
function rejection(answer: { status: number; body: unknown; text: string }): CliError {
  const body = answer.body !== null && typeof answer.body === 'object' ? (answer.body as Json) : undefined;
  if (body === undefined) return new CliError(describeError(answer.status, answer.body, answer.text));
  const lines = [`${answer.status}: ${String(body['error'] ?? 'request failed')}`, ...asArray(body['diagnostics']).map(formatDiagnosticJson)];
  return new CliError(lines.join('\n'));
}

const PAST = { create: 'created', update: 'updated', delete: 'deleted' } as const;

export const applyCommand: Command = {
  summary: 'apply config documents from YAML files or directories (all or nothing)',
  usage: 'trellis apply -f FILE_OR_DIR [-f ...] [--dry-run]',
  options: { ...CONNECTION_OPTIONS, file: { type: 'string', short: 'f', multiple: true }, 'dry-run': { type: 'boolean' } },
  async run(values, out) {
    const files = await readConfigFiles(list(values, 'file'));
    const dryRun = values['dry-run'] === true;
    const answer = await callApiRaw(contextFrom(values), 'POST', '/config/apply', { files, dryRun });
    if (answer.status !== 200) throw rejection(answer);
    const body = answer.body as Json;
    for (const warning of asArray(body['warnings'])) out(formatDiagnosticJson(warning));
    const changes = asArray(body['changes']);
    if (changes.length === 0) {
      out(`no changes (revision ${String(body['revision'])})`);
      return 0;
    }
    for (const change of changes) {
      const op = String(change['op']) as keyof typeof PAST;
      out(dryRun ? `would ${op} ${String(change['id'])}` : `${PAST[op] ?? op} ${String(change['id'])}`);
    }
    out(dryRun ? 'dry run: nothing was stored' : `applied as revision ${String(body['revision'])}`);
    return 0;
  },
};

export const diffCommand: Command = {
  summary: 'show what applying YAML files would change: documents, effective settings, Envoy resources',
  usage: 'trellis diff -f FILE_OR_DIR [-f ...] [--json]',
  options: { ...CONNECTION_OPTIONS, file: { type: 'string', short: 'f', multiple: true }, json: { type: 'boolean' } },
  async run(values, out) {
    const files = await readConfigFiles(list(values, 'file'));
    const answer = await callApiRaw(contextFrom(values), 'POST', '/config/diff', { files });
    if (answer.status !== 200) throw rejection(answer);
    const body = answer.body as Json;
    if (values['json'] === true) {
      out(JSON.stringify(body, null, 2));
      return body['valid'] === false ? 1 : 0;
    }
    out(formatDiff(body));
    return body['valid'] === false ? 1 : 0;
  },
};

/** The diff answer as text: documents, then per service its settings and Envoy changes. */
export function formatDiff(body: Json): string {
  const lines: string[] = ['documents:'];
  for (const doc of asArray(body['documents'])) lines.push(`  ${String(doc['op']).padEnd(9)} ${String(doc['id'])}`);
  const services = asArray(body['services']);
  if (services.length === 0) lines.push('', 'no effective setting changes');
  for (const service of services) {
    lines.push('', `service ${String(service['service'])}:`);
    for (const change of asArray(service['settings'])) {
      lines.push(`  ${String(change['path'])}: ${show(change, 'before')} -> ${show(change, 'after')}`);
    }
    if (typeof service['authorization'] === 'string') {
      lines.push('  authorization:');
      for (const line of service['authorization'].split('\n')) if (line !== '') lines.push(`    ${line}`);
    }
    for (const resource of asArray(service['envoy'])) {
      lines.push(`  ${String(resource['op'])} ${String(resource['typeUrl'])} ${String(resource['name'])}`);
      for (const line of String(resource['diff'] ?? '').split('\n')) if (line !== '') lines.push(`    ${line}`);
    }
  }
  const diagnostics = asArray(body['diagnostics']);
  if (diagnostics.length > 0) {
    lines.push('', body['valid'] === false ? 'an apply of these files would be rejected:' : 'notes:');
    for (const d of diagnostics) lines.push(`  ${formatDiagnosticJson(d)}`);
  }
  return lines.join('\n');
}

function show(change: Json, key: string): string {
  return key in change ? JSON.stringify(change[key]) : '(unset)';
}
