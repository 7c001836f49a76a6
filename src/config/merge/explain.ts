/**
 * `trellis explain`: every effective setting of a service with its value, who set it and what it
 * overrode, as rows, a text table, or JSON.
 */
import type { EffectiveServiceConfig, Layer, ValueOrigin } from '../types.ts';
import { formatValue } from './format.ts';
import { formatSource } from './merge.ts';

/** Where one value came from, formatted. */
export interface ExplainOrigin {
  /** Formatted (`2s`, `10%`, `[5xx, reset]`). */
  readonly value: string;
  readonly layer: Layer;
  readonly document: string;
  /** `file:line`; absent for builtin values. */
  readonly source?: string;
}

/** One effective leaf: its path, formatted value and origin, and the lower values it replaced (lowest first). */
export interface ExplainRow extends ExplainOrigin {
  readonly path: string;
  readonly overrode: readonly ExplainOrigin[];
}

function origin(path: string, o: ValueOrigin): ExplainOrigin {
  const source = formatSource(o.source);
  const base = { value: formatValue(path, o.value), layer: o.layer, document: o.document };
  return source === undefined ? base : { ...base, source };
}

/** Rows for every provenance entry of `effective`, sorted by path. */
export function explainService(effective: EffectiveServiceConfig): ExplainRow[] {
  const rows: ExplainRow[] = [];
  for (const [path, p] of effective.provenance) {
    rows.push({ path, ...origin(path, p), overrode: p.overrode.map((o) => origin(path, o)) });
  }
  return rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function setBy(o: ExplainOrigin): string {
  return o.source === undefined ? o.document : `${o.document} (${o.source})`;
}

// Long values (whole route lists) would stretch every row; they overflow their own row instead.
const MAX_VALUE_WIDTH = 40;

/**
 * A text table: FIELD, VALUE, LAYER, SET BY (document and file:line), OVERRODE (each replaced
 * value with its layer and origin, most recent first). Empty string for no rows.
 */
export function formatExplain(rows: readonly ExplainRow[]): string {
  if (rows.length === 0) return '';
  const header = { path: 'FIELD', value: 'VALUE', layer: 'LAYER', by: 'SET BY', overrode: 'OVERRODE' };
  const lines = rows.map((r) => ({
    path: r.path,
    value: r.value,
    layer: r.layer,
    by: setBy(r),
    overrode:
      r.overrode.length === 0
        ? ''
        : `overrode ${[...r.overrode].reverse().map((o) => `${o.value} from ${o.layer === 'builtin' ? 'builtin' : `${o.layer} ${setBy(o)}`}`).join('; ')}`,
  }));
  const all = [header, ...lines];
  const width = (key: 'path' | 'value' | 'layer' | 'by'): number =>
    Math.min(key === 'value' ? MAX_VALUE_WIDTH : Infinity, Math.max(...all.map((l) => l[key].length)));
  const w = { path: width('path'), value: width('value'), layer: width('layer'), by: width('by') };
  return all
    .map((l) => [l.path.padEnd(w.path), l.value.padEnd(w.value), l.layer.padEnd(w.layer), l.by.padEnd(w.by), l.overrode].join('   ').trimEnd())
    .join('\n')
    .concat('\n');
}

/** The rows as pretty JSON (what `trellis explain --json` prints). */
export function explainJson(rows: readonly ExplainRow[]): string {
  return `${JSON.stringify(rows, null, 2)}\n`;
}
