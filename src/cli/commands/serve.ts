/** `trellis serve`: runs the control plane until SIGINT/SIGTERM. */
import { DEFAULT_OPTIONS, startTrellis } from '../../main.ts';
import { UsageError, type Command, type FlagValues } from '../command.ts';

/** Parses host:port ([v6]:port allowed). */
export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--${flag} takes host:port, got "${text}"`);
  return { host, port };
}

export const serveCommand: Command = {
  summary: 'run the control plane (xDS on 127.0.0.1:18000, HTTP API on 127.0.0.1:18001)',
  usage: 'trellis serve [--xds HOST:PORT] [--api HOST:PORT] [--data DIR] [--example FILE_OR_DIR]... [--config-dir DIR] [--proxy-grace 30s] [--trust-domain TD] [--ca-cert PEM --ca-key PEM [--ca-chain PEM]]',
  options: {
    xds: { type: 'string' },
    api: { type: 'string' },
    data: { type: 'string' },
    example: { type: 'string', multiple: true },
    'config-dir': { type: 'string' },
    'trust-domain': { type: 'string' },
    'ca-cert': { type: 'string' },
    'ca-key': { type: 'string' },
    'ca-chain': { type: 'string' },
    'proxy-grace': { type: 'string' },
  },
  async run(values, out) {
    const xds = parseHostPort(typeof values['xds'] === 'string' ? values['xds'] : `${DEFAULT_OPTIONS.xdsHost}:${DEFAULT_OPTIONS.xdsPort}`, 'xds');
    const api = parseHostPort(typeof values['api'] === 'string' ? values['api'] : `${DEFAULT_OPTIONS.apiHost}:${DEFAULT_OPTIONS.apiPort}`, 'api');
    const grace = typeof values['proxy-grace'] === 'string' ? parseGrace(values['proxy-grace']) : DEFAULT_OPTIONS.proxyGraceMs;
    const examples = Array.isArray(values['example']) ? values['example'].filter((e): e is string => typeof e === 'string') : [];
    const trellis = await startTrellis({
      ...DEFAULT_OPTIONS,
      xdsHost: xds.host,
      xdsPort: xds.port,
      apiHost: api.host,
      apiPort: api.port,
      dataDir: typeof values['data'] === 'string' ? values['data'] : process.env['TRELLIS_DATA'] ?? DEFAULT_OPTIONS.dataDir,
      examples,
      proxyGraceMs: grace,
      ...(typeof values['config-dir'] === 'string' ? { configDir: values['config-dir'] } : {}),
      ...(typeof values['trust-domain'] === 'string' ? { trustDomain: values['trust-domain'] } : {}),
      ...caFiles(values),
    });
    out(`Trellis listening: xDS ${trellis.xdsAddress}, API ${trellis.apiUrl}`);
    if (trellis.newAdminToken) out('An admin token was created in the data folder (admin.token); the CLI reads it from there.');
    await new Promise<void>((resolvePromise) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        trellis.close().then(resolvePromise, resolvePromise);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};

function parseGrace(text: string): number {
  const match = /^(\d+)(ms|s|m)?$/.exec(text);
  if (!match?.[1]) throw new UsageError(`--proxy-grace takes a duration like 500ms, 30s or 2m, got "${text}"`);
  const factor = match[2] === 'ms' ? 1 : match[2] === 'm' ? 60_000 : 1000;
  return Number(match[1]) * factor;
}

/** --ca-cert and --ca-key go together (a root or intermediate Trellis signs with). */
function caFiles(values: FlagValues): { caFiles?: { certificateFile: string; keyFile: string; chainFile?: string } } {
  const cert = values['ca-cert'];
  const key = values['ca-key'];
  const chain = values['ca-chain'];
  if (cert === undefined && key === undefined) return {};
  if (typeof cert !== 'string' || typeof key !== 'string') throw new UsageError('--ca-cert and --ca-key must be given together');
  return { caFiles: { certificateFile: cert, keyFile: key, ...(typeof chain === 'string' ? { chainFile: chain } : {}) } };
}
