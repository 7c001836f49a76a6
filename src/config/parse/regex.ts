/** Header-match regexes: Envoy evaluates them with RE2, so JS-only syntax must be refused here, not NACKed later. */
import { compileRe2 } from '../../xds/proto/re2.ts';

const MAX_REGEX_LENGTH = 1024;
const JS_ONLY: ReadonlyArray<[RegExp, string]> = [
  [/\(\?<?[=!]/, 'lookahead and lookbehind'],
  [/\\[1-9]/, 'backreferences'],
  [/\\k</, 'named backreferences'],
];

/** Why `pattern` is not a usable RE2 regex, or undefined when it is. */
export function regexProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_REGEX_LENGTH) return `regex is longer than ${MAX_REGEX_LENGTH} characters`;
  for (const [syntax, name] of JS_ONLY) {
    if (syntax.test(pattern)) return `RE2 (which Envoy uses) has no ${name}: ${JSON.stringify(pattern)}`;
  }
  if (compileRe2(pattern) === undefined) return `not a valid RE2 regex: ${JSON.stringify(pattern)}`;
  return undefined;
}
