/**
 * Assembles proto/ from the Envoy, xds, googleapis and protoc-gen-validate protos that
 * @grpc/grpc-js-xds ships, then writes proto/envoy-bundle.json: a protobufjs descriptor of
 * every type Trellis encodes, so the server loads types in milliseconds instead of parsing
 * hundreds of .proto files at start. Run with `npm run proto`; the output is committed.
 */
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { ENTRY_PROTOS } from '../src/xds/proto/entry-protos.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const xdsPackageDir = dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
const deps = join(xdsPackageDir, 'deps');
const protoDir = join(repoRoot, 'proto');

/** Source folder (inside deps/) → destination folder (inside proto/). */
const COPIES: ReadonlyArray<readonly [string, string]> = [
  ['envoy-api/envoy', 'envoy'],
  ['xds/xds', 'xds'],
  ['xds/udpa', 'udpa'],
  ['googleapis/google/api', 'google/api'],
  ['googleapis/google/rpc', 'google/rpc'],
  ['protoc-gen-validate/validate', 'validate'],
];

rmSync(protoDir, { recursive: true, force: true });
for (const [from, to] of COPIES) {
  const source = join(deps, from);
  if (!existsSync(source)) throw new Error(`missing ${source}: is @grpc/grpc-js-xds installed?`);
  cpSync(source, join(protoDir, to), {
    recursive: true,
    filter: (path) => !path.endsWith('.go') && !path.endsWith('.py') && !path.endsWith('BUILD'),
  });
}

// The shipped validate.proto predates the Envoy protos that use StringRules.ignore_empty (26);
// buf refuses to build without it. protobufjs ignores unknown options either way.
const validateProto = join(protoDir, 'validate', 'validate.proto');
const validateText = readFileSync(validateProto, 'utf8').replace(/\r\n/g, '\n');
if (!/ignore_empty\s*=\s*26/.test(validateText)) {
  const patched = validateText.replace(
    /(message StringRules \{[\s\S]*?strict = 25[^\n]*)(\n\}\n)/,
    '$1\n    // Added by Trellis: newer Envoy protos use it (protoc-gen-validate upstream has it).\n    optional bool ignore_empty = 26;$2',
  );
  if (patched === validateText) throw new Error('could not patch StringRules in validate.proto');
  writeFileSync(validateProto, patched);
}

// google/protobuf/*.proto are not shipped; protobufjs bundles the well-known types.
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => {
  if (target.startsWith('google/protobuf/')) {
    const bundled = join(dirname(require.resolve('protobufjs/package.json')), target);
    return existsSync(bundled) ? bundled : target;
  }
  return join(protoDir, target);
};
root.loadSync([...ENTRY_PROTOS], { keepCase: true, alternateCommentMode: false });
root.resolveAll();
keepValidateRules(root);
mkdirSync(protoDir, { recursive: true });
writeFileSync(join(protoDir, 'envoy-bundle.json'), JSON.stringify(root.toJSON()));
console.log(`proto/ assembled from ${xdsPackageDir}; bundle has ${ENTRY_PROTOS.length} entry files`);

/**
 * protobufjs keeps aggregate options such as `(validate.rules).duration = {gt {}}` only in
 * `parsedOptions`, which toJSON drops. Fold every field's rules into one canonical option,
 * `options["(validate.rules)"]`, so the validator reads a single shape from the bundle.
 */
function keepValidateRules(namespace: protobuf.NamespaceBase): void {
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Type) {
      for (const field of nested.fieldsArray) {
        const rules = mergeRules(field.parsedOptions as unknown);
        if (rules !== undefined) {
          const kept = Object.fromEntries(
            Object.entries(field.options ?? {}).filter(([key]) => !key.startsWith('(validate.rules)')),
          );
          field.options = { ...kept, '(validate.rules)': rules };
        }
      }
    }
    if (nested instanceof protobuf.Namespace) keepValidateRules(nested);
  }
}

function mergeRules(parsedOptions: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(parsedOptions)) return undefined;
  let merged: Record<string, unknown> | undefined;
  for (const option of parsedOptions as Array<Record<string, unknown>>) {
    const rules = option['(validate.rules)'];
    if (rules && typeof rules === 'object') merged = deepMerge(merged ?? {}, rules as Record<string, unknown>);
  }
  return merged;
}

function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(from)) {
    const existing = into[key];
    into[key] =
      existing && typeof existing === 'object' && value && typeof value === 'object' && !Array.isArray(value)
        ? deepMerge({ ...(existing as Record<string, unknown>) }, value as Record<string, unknown>)
        : value;
  }
  return into;
}
