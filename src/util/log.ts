/**
 * A tiny structured logger: one line per event on stderr, `level component message {fields}`.
 * TRELLIS_LOG=debug|info|warn|error|silent sets the threshold (default info; tests: warn).
 * Never pass secrets (tokens, keys) as fields.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

function threshold(): number {
  const configured = process.env['TRELLIS_LOG'] ?? (process.env['VITEST'] ? 'warn' : 'info');
  return RANK[configured as LogLevel] ?? RANK.info;
}

/** A logger tagged with `component`; the threshold is read once, at creation. */
export function createLogger(component: string): Logger {
  const min = threshold();
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (RANK[level] < min) return;
    const suffix = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${component}: ${message}${suffix}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (name) => createLogger(`${component}/${name}`),
  };
}
