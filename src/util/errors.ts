/** System failures (not user input problems, which are diagnostics). `kind` lets callers branch. */
export type TrellisErrorKind = 'store' | 'protocol' | 'translation' | 'internal' | 'conflict' | 'not-found';

export class TrellisError extends Error {
  readonly kind: TrellisErrorKind;
  constructor(kind: TrellisErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrellisError';
    this.kind = kind;
  }
}

/** A user-input problem: what is wrong, at which field, in which source (file:line or request). */
export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  /** Dotted field path, e.g. `spec.routes[0].timeout` or `port`. */
  readonly field: string;
  readonly message: string;
  /** `file:line`, `request body`, `node metadata`, ... */
  readonly source?: string;
}

/** One line per diagnostic: `source: field: message`. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.source ? `${d.source}: ` : ''}${d.field ? `${d.field}: ` : ''}${d.message}`;
}
