/** `trellis status`: connected proxies and, per resource type, what was sent, ACKed and NACKed. */
import { CONNECTION_OPTIONS, type Command } from '../command.ts';
import { resolveContext } from '../context.ts';
import { callApi } from '../http-client.ts';
import { formatTable } from '../table.ts';
import { extractArray } from './registry.ts';

const TYPES = ['CDS', 'EDS', 'LDS', 'SRDS', 'RDS', 'SDS'] as const;

export const statusCommand: Command = {
  summary: 'connected proxies with versions sent and ACKed per resource type, the last NACK, and workload certificates',
  usage: 'trellis status [--json]',
  options: { ...CONNECTION_OPTIONS, json: { type: 'boolean' } },
  async run(values, out) {
    const context = resolveContext({
      server: typeof values['server'] === 'string' ? values['server'] : undefined,
      token: typeof values['token'] === 'string' ? values['token'] : undefined,
      data: typeof values['data'] === 'string' ? values['data'] : undefined,
    });
    const answer = await callApi(context, 'GET', '/status');
    if (values['json'] === true) {
      out(JSON.stringify(answer, null, 2));
      return 0;
    }
    const proxies = extractArray(answer, 'proxies');
    const certificates = extractArray(answer, 'certificates');
    const certificateTable = (): void => {
      if (certificates.length === 0) return;
      out(['', 'Certificates:', formatTable(['IDENTITY', 'SERIAL', 'NOT AFTER', 'RENEW AT'],
        certificates.map((c) => [String(c['spiffeId']), String(c['serial']).slice(0, 16), String(c['notAfter']), String(c['renewAt'])]))].join('\n'));
    };
    if (proxies.length === 0) {
      out('no proxies connected');
      certificateTable();
      return 0;
    }
    const rows: string[][] = [];
    const nacks: string[] = [];
    for (const proxy of proxies) {
      const types = (proxy['types'] ?? {}) as Record<string, Record<string, unknown> | undefined>;
      const cells = TYPES.map((t) => {
        const state = types[t];
        if (!state || state['versionSent'] === undefined) return '-';
        const sent = short(state['versionSent']);
        const acked = state['versionAcked'] === state['versionSent'] ? 'ACK' : state['lastNack'] ? 'NACK' : 'pending';
        return `${sent} ${acked}`;
      });
      rows.push([String(proxy['nodeId'] ?? ''), serviceOf(proxy), String(proxy['protocol'] ?? ''), ...cells]);
      for (const t of TYPES) {
        const nack = types[t]?.['lastNack'] as Record<string, unknown> | undefined;
        if (nack) nacks.push(`${String(proxy['nodeId'])} ${t} NACK of ${short(nack['version'])}: ${String(nack['message'])}`);
      }
    }
    out(formatTable(['NODE', 'SERVICE', 'MODE', ...TYPES], rows));
    if (nacks.length > 0) out(['', 'Last NACKs:', ...nacks.map((n) => `  ${n}`)].join('\n'));
    certificateTable();
    return 0;
  },
};

function short(version: unknown): string {
  return typeof version === 'string' ? version.slice(0, 8) : '-';
}

function serviceOf(proxy: Record<string, unknown>): string {
  const metadata = (proxy['metadata'] ?? {}) as Record<string, unknown>;
  const service = metadata['trellis.service'];
  const namespace = metadata['trellis.namespace'] ?? 'default';
  return typeof service === 'string' && service ? `${service}.${String(namespace)}` : String(proxy['cluster'] ?? '');
}
