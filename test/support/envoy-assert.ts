/**
 * One assertion for every generated Envoy resource: it satisfies Envoy's protoc-gen-validate
 * rules and schema (nothing protobufjs would drop), and it survives encode→decode unchanged.
 */
import { roundTripProblems, validateEnvoyMessage } from '../../src/xds/proto/validate.ts';

/**
 * Every problem with `value` as the message named by a type URL or full name, one line each:
 * `path: [rule] message` for validation, `round trip: path: ...` for codec losses.
 */
export function envoyProblems(typeUrlOrFullName: string, value: unknown): string[] {
  const fullName = typeUrlOrFullName.slice(typeUrlOrFullName.lastIndexOf('/') + 1);
  const lines = validateEnvoyMessage(fullName, value).map((p) => `${p.path || '(root)'}: [${p.rule}] ${p.message}`);
  for (const line of roundTripProblems(fullName, value)) lines.push(`round trip: ${line}`);
  return lines;
}

/**
 * Throws an Error listing every problem of `value` (see `envoyProblems`), naming the resource
 * when it has a `name` or `cluster_name`. Passes silently for a valid, lossless message.
 */
export function expectValidEnvoy(typeUrlOrFullName: string, value: unknown): void {
  const problems = envoyProblems(typeUrlOrFullName, value);
  if (problems.length === 0) return;
  const fullName = typeUrlOrFullName.slice(typeUrlOrFullName.lastIndexOf('/') + 1);
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const name = record['name'] ?? record['cluster_name'];
  const label = typeof name === 'string' ? `${fullName} ${JSON.stringify(name)}` : fullName;
  throw new Error(`${label} is not valid Envoy config (${problems.length} problem(s)):\n  ${problems.join('\n  ')}`);
}

/** `expectValidEnvoy` on each value; the error lists the problems of all of them. */
export function expectAllValidEnvoy(typeUrlOrFullName: string, values: readonly unknown[]): void {
  const failures: string[] = [];
  for (const value of values) {
    try {
      expectValidEnvoy(typeUrlOrFullName, value);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (failures.length > 0) throw new Error(failures.join('\n'));
}
