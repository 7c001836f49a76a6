/** What a CLI command declares, and the flags shared by commands that talk to a server. */
import type { ParseArgsConfig } from 'node:util';

export type FlagValues = Record<string, string | boolean | Array<string | boolean> | undefined>;

export interface Command {
  readonly summary: string;
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** Whether the command takes positional arguments (`trellis get ServiceConfig reviews`). */
  readonly positionals?: true;
  run(values: FlagValues, out: (text: string) => void, positionals: readonly string[]): Promise<number>;
}

/** Flags every command that talks to a server accepts. */
export const CONNECTION_OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  data: { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** A flag problem the user can fix; printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
