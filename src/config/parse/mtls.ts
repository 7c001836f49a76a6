/** `mtls: {mode: STRICT|PERMISSIVE|DISABLE}`: the inbound mutual TLS mode of a service. */
import { MTLS_MODES, type MtlsSpec } from '../types.ts';
import { compact, readEnum, readObject } from './checker.ts';
import type { Checker } from './checker.ts';
import type { Path } from './paths.ts';

/** Validates an mtls block; `mode` is required inside it (an empty block says nothing). */
export function readMtls(c: Checker, value: unknown, path: Path): MtlsSpec | undefined {
  if (value === undefined) return undefined;
  const o = readObject(c, value, path, ['mode'], 'an mtls setting');
  if (o === undefined) return undefined;
  if (o['mode'] === undefined) {
    c.fail(path, `mode is required: one of ${MTLS_MODES.join(', ')}`);
    return undefined;
  }
  const mode = readEnum(c, o['mode'], [...path, 'mode'], MTLS_MODES);
  return mode === undefined ? undefined : compact<MtlsSpec>({ mode });
}
