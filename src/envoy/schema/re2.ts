/**
 * Approximate RE2 syntax check (Envoy compiles safe_regex with RE2). We translate the RE2-only spellings
 * to JavaScript, reject what RE2 lacks (lookarounds, backreferences, atomic groups, huge repeats), then let
 * the JS engine find the remaining syntax errors (unbalanced groups and classes, dangling quantifiers).
 */

const MAX_REPEAT = 1000;

/** Returns undefined when `pattern` would compile in RE2 (approximately), else the reason. */
export function re2Error(pattern: string): string | undefined {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) return 'trailing backslash';
      if (n === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const lit = pattern.slice(i + 2, end < 0 ? pattern.length : end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? pattern.length : end + 1;
        continue;
      }
      if (!inClass && /[1-9]/.test(n)) return 'backreferences (\\1…) are not supported by RE2';
      if (n === 'k' || n === 'Z' || n === 'G' || n === 'X' || n === 'R') {
        return `escape \\${n} is not supported by RE2`;
      }
      if (n === 'A') out += '^';
      else if (n === 'z') out += '$';
      else if (n === 'C') out += '.';
      else if ((n === 'p' || n === 'P') && pattern[i + 2] !== '{') {
        out += `\\${n}{${pattern[i + 2] ?? ''}}`;
        i++;
      } else out += `\\${n}`;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i + 2);
        if (end > 0) {
          const name = pattern.slice(i + 2, end).replace(/^\^/, '');
          const known = 'alnum alpha ascii blank cntrl digit graph lower print punct space upper word xdigit';
          if (!known.split(' ').includes(name)) return `invalid character class range [:${name}:]`;
          out += 'a';
          i = end + 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A leading ] (or ^]) is a literal in RE2.
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (/^(=|!|<=|<!)/.test(rest)) return 'lookahead/lookbehind assertions are not supported by RE2';
      if (rest.startsWith('>')) return 'atomic groups are not supported by RE2';
      if (rest.startsWith(':')) {
        out += '(?:';
        i += 2;
        continue;
      }
      const named = /^P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        i += 1 + named[0].length;
        continue;
      }
      const flags = /^([imsU]*(?:-[imsU]*)?)([:)])/.exec(rest);
      if (flags && flags[1] !== '' && flags[1] !== '-') {
        if (flags[2] === ':') out += '(?:';
        i += 1 + flags[0].length;
        continue;
      }
      return `invalid or unsupported Perl syntax: (?${rest.slice(0, 3)}`;
    }
    if (c === '{') {
      const rep = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(i));
      if (rep && (Number(rep[1]) > MAX_REPEAT || (rep[2] !== undefined && Number(rep[2]) > MAX_REPEAT))) {
        return `bad repetition operator: ${rep[0]} (RE2 allows at most ${MAX_REPEAT})`;
      }
    }
    out += c;
  }
  try {
    new RegExp(out);
    return undefined;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return msg.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
  }
}

/** A compiled RE2 pattern as a JS RegExp for PGV `pattern` rules, or undefined if it cannot be translated. */
export function re2ToRegExp(pattern: string): RegExp | undefined {
  if (re2Error(pattern) !== undefined) return undefined;
  try {
    return new RegExp(pattern.replace(/\\A/g, '^').replace(/\\z/g, '$'), 'u');
  } catch {
    try {
      return new RegExp(pattern.replace(/\\A/g, '^').replace(/\\z/g, '$'));
    } catch {
      return undefined;
    }
  }
}
