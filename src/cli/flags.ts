/** Reading parsed flag values, and the connection context every server command resolves. */
import type { FlagValues } from './command.ts';
import { resolveContext, type CliContext } from './context.ts';

export function str(values: FlagValues, key: string): string | undefined {
  const value = values[key];
  return typeof value === 'string' ? value : undefined;
}

export function list(values: FlagValues, key: string): string[] {
  const value = values[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export function contextFrom(values: FlagValues): CliContext {
  return resolveContext({ server: str(values, 'server'), token: str(values, 'token'), data: str(values, 'data') });
}
