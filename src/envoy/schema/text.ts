/**
 * Reads Envoy config text the way Envoy does: YAML through yaml-cpp's rules (plain `no`/`off`/`y` are booleans,
 * plain numbers outside int32 and all decimals become strings, `0x`/leading-zero integers are hex/octal,
 * no merge keys), JSON as JSON.
 */
import { isAlias, isMap, isScalar, isSeq, type Node, parseAllDocuments, Scalar } from 'yaml';
import type { Problem } from '../../util/result.ts';

export type Loaded = { ok: true; value: unknown } | { ok: false; problems: Problem[] };

const ROOT = '<root>';
const TRUE = /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const NULL = /^(?:~|null|Null|NULL|)$/;
const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** yaml-cpp's int64 decoding (base auto-detected: 0x hex, leading 0 octal). */
function yamlCppInt(s: string): bigint | undefined {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[0-7]+|0|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const body = m[2] ?? '';
  let n: bigint;
  if (/^0[xX]/.test(body)) n = BigInt(body);
  else if (body.length > 1 && body.startsWith('0')) n = BigInt(`0o${body.slice(1)}`);
  else n = BigInt(body);
  if (m[1] === '-') n = -n;
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/** What Envoy's yaml→JSON conversion makes of a plain scalar. */
export function plainScalar(s: string): unknown {
  if (NULL.test(s)) return null;
  if (TRUE.test(s)) return true;
  if (FALSE.test(s)) return false;
  const n = yamlCppInt(s);
  if (n !== undefined) return n >= INT32_MIN && n <= INT32_MAX ? Number(n) : n.toString();
  return s;
}

function convert(node: unknown, resolve: (n: unknown) => unknown, depth: number): unknown {
  if (depth > 200) throw new Error('YAML nesting is too deep');
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return convert(resolve(node), resolve, depth + 1);
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const k = pair.key;
      const key = isScalar(k) ? String(k.value ?? '') : String(convert(k, resolve, depth + 1));
      Object.defineProperty(out, key, {
        value: convert(pair.value, resolve, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((x) => convert(x, resolve, depth + 1));
  if (isScalar(node)) {
    const text = typeof node.value === 'string' ? node.value : String(node.value ?? '');
    return node.type === Scalar.PLAIN || node.type === undefined ? plainScalar(text) : text;
  }
  return null;
}

export function parseEnvoyYaml(text: string): Loaded {
  const docs = parseAllDocuments(text, { schema: 'failsafe', merge: false, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [];
  const problems: Problem[] = [];
  for (const d of list) {
    for (const e of d.errors) {
      const at = e.linePos?.[0];
      problems.push({
        path: ROOT,
        message: `invalid YAML${at ? ` at line ${at.line}, column ${at.col}` : ''}: ${(e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
      });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  if (list.length > 1)
    return { ok: false, problems: [{ path: ROOT, message: 'invalid YAML: expected a single document' }] };
  const doc = list[0];
  if (!doc) return { ok: true, value: null };
  try {
    const value = convert(doc.contents, (n) => (isAlias(n) ? (n.resolve(doc) as Node | undefined) : n), 0);
    return { ok: true, value };
  } catch (err) {
    return {
      ok: false,
      problems: [
        { path: ROOT, message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` },
      ],
    };
  }
}

export function parseEnvoyJson(text: string): Loaded {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return {
      ok: false,
      problems: [
        { path: ROOT, message: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` },
      ],
    };
  }
}

/** By extension, as Envoy picks the format: .yaml/.yml are YAML, everything else is JSON. */
export function parseEnvoyText(text: string, fileName: string): Loaded {
  return /\.ya?ml$/i.test(fileName) ? parseEnvoyYaml(text) : parseEnvoyJson(text);
}
