/**
 * Deterministic YAML for Envoy: keys in the builders' order, block style, no anchors, no folding, and every string
 * value double-quoted. The quoting matters: Envoy's YAML reader turns unquoted `on`, `yes`, `y`, `1e3`… into booleans
 * and numbers, and a name like that would change type.
 *
 * A small emitter instead of the `yaml` package's: our documents are plain JSON data, and for a 10,000-backend
 * cluster the general-purpose stringifier (which builds a full document tree first) takes over a second per
 * reconcile; this takes milliseconds. `test/unit/build/yaml.test.ts` checks it round-trips through the `yaml` parser.
 */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;

const key = (k: string): string => (PLAIN_KEY.test(k) ? k : JSON.stringify(k));

function scalar(v: unknown): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      // JSON's escapes (\n, \", \\, \uXXXX) are valid in YAML double-quoted scalars.
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw new Error(`bug: non-finite number ${v} in Envoy config`);
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return undefined;
  }
}

const isEmptyCollection = (v: unknown): boolean =>
  Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0;

function inline(v: unknown): string | undefined {
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && isEmptyCollection(v)) return '{}';
  return scalar(v);
}

function entries(obj: object): [string, unknown][] {
  return Object.entries(obj).filter(([, v]) => v !== undefined);
}

/**
 * Appends `value` (a non-empty map or list) as block YAML at `indent`. `lead` replaces the indentation of the first
 * line: a list item's first key shares the line with its dash. Output goes into one string (`+=` builds a rope, cheap
 * in V8) rather than an array of lines joined at the end.
 */
function block(value: unknown, indent: string, lead: string): string {
  let out = '';
  let prefix = lead;
  if (Array.isArray(value)) {
    for (const item of value) {
      const one = inline(item);
      if (one !== undefined) out += `${prefix}- ${one}\n`;
      else if (Array.isArray(item)) out += `${prefix}-\n${block(item, `${indent}  `, `${indent}  `)}`;
      else out += block(item, `${indent}  `, `${prefix}- `);
      prefix = indent;
    }
    return out;
  }
  for (const [k, v] of entries(value as object)) {
    const one = inline(v);
    out +=
      one !== undefined
        ? `${prefix}${key(k)}: ${one}\n`
        : `${prefix}${key(k)}:\n${block(v, `${indent}  `, `${indent}  `)}`;
    prefix = indent;
  }
  return out;
}

export function toYaml(doc: object): string {
  const one = inline(doc);
  return one !== undefined ? `${one}\n` : block(doc, '', '');
}
