/**
 * Formatting settings values for people: durations as `2s` / `500ms`, percentages as `10%`,
 * lists and objects compactly, units found through FIELD_UNITS.
 */
import { isPlainObject } from './paths.ts';
import { FIELD_UNITS } from './strategy.ts';

/** Milliseconds as the largest whole unit: `2h`, `5m`, `30s`, `1500ms`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms !== 0 && Number.isInteger(ms)) {
    if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
    if (ms % 60_000 === 0) return `${ms / 60_000}m`;
    if (ms % 1000 === 0) return `${ms / 1000}s`;
  }
  return ms === 0 ? '0s' : `${ms}ms`;
}

/**
 * The unit of the numeric field at `path` (dotted, array indices allowed): settings paths and
 * route-relative paths (`routes[2].retries.perTryTimeout`) both resolve.
 */
export function unitOf(path: string): 'duration' | 'percent' | undefined {
  const bare = path.replace(/\[\d+\]/g, '');
  const direct = FIELD_UNITS[bare];
  if (direct !== undefined) return direct;
  // Inside a route, fields are route-relative.
  return bare.startsWith('routes.') ? FIELD_UNITS[bare.slice('routes.'.length)] : undefined;
}

/** `value` of the field at `path`, formatted with its unit. */
export function formatNumber(path: string, value: number): string {
  const unit = unitOf(path);
  if (unit === 'duration') return formatMs(value);
  if (unit === 'percent') return `${value}%`;
  return String(value);
}

function formatAt(path: string, value: unknown): string {
  if (typeof value === 'number') return formatNumber(path, value);
  if (typeof value === 'string') return /^[\w./:*-]+$/.test(value) && value !== '' ? value : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => formatAt(`${path}[0]`, v)).join(', ')}]`;
  if (isPlainObject(value)) {
    const parts = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .map((k) => `${k}: ${formatAt(path === '' ? k : `${path}.${k}`, value[k])}`);
    return `{${parts.join(', ')}}`;
  }
  return String(value);
}

/** A settings value at `path` (e.g. `timeout`, `routes`, `subsets.v1`) as a person reads it. */
export function formatValue(path: string, value: unknown): string {
  return formatAt(path, value);
}
