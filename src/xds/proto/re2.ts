/**
 * RE2 patterns (PGV `string.pattern`) as JavaScript RegExps. RE2 and JS agree on the common
 * subset; this translates the RE2-only spellings (`(?P<n>`, `\A`, `\z`, `\Q…\E`, `[[:alpha:]]`,
 * `\pL`, escaped punctuation, leading `(?i)`) and gives up, recording the pattern, on the rest.
 */

/** Patterns that could not be translated; rules using them are skipped, never guessed. */
export const unsupportedPatterns: Set<string> = new Set();

const compiled = new Map<string, RegExp | null>();

/**
 * The JS RegExp for an RE2 pattern, cached per pattern, or undefined (and the pattern added to
 * `unsupportedPatterns`) when it uses RE2 syntax that has no JS equivalent here.
 */
export function compileRe2(pattern: string): RegExp | undefined {
  let regex = compiled.get(pattern);
  if (regex === undefined) {
    regex = translate(pattern);
    compiled.set(pattern, regex);
    if (regex === null) unsupportedPatterns.add(pattern);
  }
  return regex ?? undefined;
}

const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7f',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

// Characters that keep their escape in JS `u` mode; other escaped punctuation becomes \xHH.
const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));
const CLASS_ESCAPES = new Set('dDwWsSbBnrtfv0'.split(''));

class Unsupported extends Error {}

function translate(pattern: string): RegExp | null {
  try {
    const { source, flags } = toJs(pattern);
    for (const extra of ['u', '']) {
      try {
        return new RegExp(source, flags + extra);
      } catch {
        // try the next flag set
      }
    }
    return null;
  } catch (error) {
    if (error instanceof Unsupported) return null;
    throw error;
  }
}

function hex(char: string): string {
  return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

function toJs(pattern: string): { source: string; flags: string } {
  let flags = '';
  let rest = pattern;
  const leading = /^\(\?([imsU]+)\)/.exec(rest);
  if (leading?.[1] !== undefined) {
    if (leading[1].includes('U')) throw new Unsupported();
    flags = [...new Set(leading[1])].join('');
    rest = rest.slice(leading[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charAt(i);
    if (c === '\\') {
      const next = rest.charAt(++i);
      if (next === '') throw new Unsupported();
      if (next === 'Q') {
        const end = rest.indexOf('\\E', i + 1);
        const literal = end < 0 ? rest.slice(i + 1) : rest.slice(i + 1, end);
        out += [...literal].map((ch) => (/[A-Za-z0-9_]/.test(ch) ? ch : hex(ch))).join('');
        i = end < 0 ? rest.length : end + 1;
      } else if (next === 'A' && !inClass) {
        out += flags.includes('m') ? '(?<![\\s\\S])' : '^';
      } else if (next === 'z' && !inClass) {
        out += '(?![\\s\\S])';
      } else if (next === 'p' || next === 'P') {
        const braced = /^\{(\^?)(\w+)\}/.exec(rest.slice(i + 1));
        const name = braced ? braced[2] : rest.charAt(i + 1);
        const negate = (next === 'P') !== (braced?.[1] === '^');
        if (!name || !/^\w+$/.test(name)) throw new Unsupported();
        const property = name.length <= 2 ? name : `Script=${name}`;
        out += `\\${negate ? 'P' : 'p'}{${property}}`;
        i += braced ? braced[0].length : 1;
      } else if (next === 'x') {
        const braced = /^\{([0-9A-Fa-f]+)\}/.exec(rest.slice(i + 1));
        if (braced) {
          out += `\\u{${braced[1]}}`;
          i += braced[0].length;
        } else {
          out += '\\x';
        }
      } else if (/[A-Za-z0-9]/.test(next)) {
        // Backreferences, \C, octal and anything unlisted: no safe JS meaning.
        if (next === 'a') out += '\\x07';
        else if (CLASS_ESCAPES.has(next)) out += `\\${next}`;
        else throw new Unsupported();
      } else {
        out += JS_SYNTAX.has(next) || (inClass && next === '-') ? `\\${next}` : hex(next);
      }
      continue;
    }
    if (inClass) {
      if (c === '[' && rest.charAt(i + 1) === ':') {
        const posix = /^\[:(\^?)([a-z]+):\]/.exec(rest.slice(i));
        const ranges = posix?.[2] !== undefined ? POSIX_CLASSES[posix[2]] : undefined;
        if (!posix || ranges === undefined || posix[1] === '^') throw new Unsupported();
        out += ranges;
        i += posix[0].length - 1;
      } else if (c === '[') {
        out += '\\[';
      } else {
        if (c === ']') inClass = false;
        out += c;
      }
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (rest.charAt(i + 1) === '^') out += rest.charAt(++i);
      // RE2, like POSIX, takes a `]` right after `[` or `[^` as a literal.
      if (rest.charAt(i + 1) === ']') {
        out += '\\]';
        i++;
      }
    } else if (c === '(' && rest.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
    } else if (c === '(' && rest.charAt(i + 1) === '?' && /^\(\?[imsU-]+[:)]/.test(rest.slice(i))) {
      throw new Unsupported(); // scoped or mid-pattern flags have no JS spelling in this runtime
    } else if (c === '{') {
      out += /^\{\d+(?:,\d*)?\}/.test(rest.slice(i)) ? c : '\\{';
    } else if (c === '}') {
      out += /\{\d+(?:,\d*)?$/.test(out) ? c : '\\}';
    } else {
      out += c;
    }
  }
  if (inClass) throw new Unsupported();
  return { source: out, flags };
}
