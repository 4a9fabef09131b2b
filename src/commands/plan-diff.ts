// What applying a rendered generation would change against the committed one (pure: file contents in, plan out).
// Resources are compared by type and name whatever files they come from, so routes, endpoints and more listeners
// per rule diff the same way when the layout grows.
import { parse } from 'yaml';

export interface FieldChange {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface ResourceChange {
  readonly type: string;
  readonly name: string;
  readonly change: 'added' | 'removed' | 'modified';
  readonly fields: readonly FieldChange[];
}

export interface PlanFile {
  readonly role: string;
  readonly path: string;
  readonly content: string;
  /** The content already parsed (the rendered objects): spares parsing megabytes of YAML again. */
  readonly value?: unknown;
}

export interface Plan {
  readonly resources: readonly ResourceChange[];
  /** Fields of the bootstrap Envoy runs on that change (any makes a hot restart). */
  readonly bootstrap: readonly FieldChange[];
  readonly certificates: { readonly added: readonly string[]; readonly removed: readonly string[] };
  readonly method: {
    readonly kind: 'none' | 'file_update' | 'hot_restart' | 'start';
    readonly reasons: string[];
  };
  readonly draining: readonly { readonly listener: string; readonly why: string }[];
}

/** Fields shown per resource before "(n more)"; the file says the rest. */
export const MAX_FIELDS = 12;
/** Values hidden for secret resources (they name key files; nothing from them belongs on a terminal). */
const SECRET_TYPES = new Set(['Secret']);

type Json = unknown;

const typeName = (r: Record<string, Json>): string => {
  const url = typeof r['@type'] === 'string' ? r['@type'] : 'Resource';
  return url.slice(url.lastIndexOf('.') + 1);
};
const resourceName = (r: Record<string, Json>): string => String(r.name ?? r.cluster_name ?? '(unnamed)');

const parsedOf = (f: PlanFile): Json =>
  f.value !== undefined ? f.value : f.path.endsWith('.json') ? JSON.parse(f.content) : parse(f.content);

/**
 * A YAML discovery file without its first line (`version_info`): equal bodies hold equal resources. (A JSON file's
 * first line is `{`: a version-only difference there is found by comparing its parsed resources instead.)
 */
const body = (content: string): string => content.slice(content.indexOf('\n') + 1);
const isDiscovery = (f: PlanFile): boolean =>
  f.role !== 'bootstrap' && f.role !== 'static' && f.role !== 'certificate';

/** Every resource of the discovery files, keyed `Type/name`. The `version_info` (the hash) is not a change. */
function resources(files: readonly PlanFile[]): Map<string, { type: string; name: string; value: Json }> {
  const out = new Map<string, { type: string; name: string; value: Json }>();
  for (const f of files) {
    if (!isDiscovery(f)) continue;
    const doc = parsedOf(f) as { resources?: unknown } | null;
    if (doc === null || !Array.isArray(doc.resources)) continue;
    for (const r of doc.resources as Record<string, Json>[]) {
      const type = typeName(r);
      const name = resourceName(r);
      out.set(`${type}/${name}`, { type, name, value: r });
    }
  }
  return out;
}

const isObj = (v: Json): v is Record<string, Json> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * What identifies an element of a list, so that a reordered or shortened list diffs by element: a name, or an
 * endpoint's address:port (Envoy's lists of endpoints are sorted, so an index says little).
 */
function elementKey(v: Json): string | undefined {
  if (!isObj(v)) return undefined;
  if (typeof v.name === 'string') return v.name;
  if (typeof v.cluster_name === 'string') return v.cluster_name;
  const endpoint = v.endpoint as
    | { address?: { socket_address?: { address?: unknown; port_value?: unknown } } }
    | undefined;
  const sa = endpoint?.address?.socket_address;
  if (sa !== undefined && typeof sa.address === 'string') return `${sa.address}:${String(sa.port_value)}`;
  return undefined;
}

function keyed(list: readonly Json[]): Map<string, Json> | undefined {
  const map = new Map<string, Json>();
  for (const v of list) {
    const k = elementKey(v);
    if (k === undefined || map.has(k)) return undefined;
    map.set(k, v);
  }
  return map;
}

/** Leaf-level differences, depth first, in key order; lists of identifiable elements by element. */
export function diffValues(a: Json, b: Json, path = '', out: FieldChange[] = []): FieldChange[] {
  if (Array.isArray(a) && Array.isArray(b)) {
    const ka = keyed(a);
    const kb = keyed(b);
    if (ka !== undefined && kb !== undefined && (ka.size > 0 || kb.size > 0)) {
      for (const [k, v] of ka) {
        if (!kb.has(k)) out.push({ path: `${path}[${k}]`, before: v });
        else diffValues(v, kb.get(k), `${path}[${k}]`, out);
      }
      for (const [k, v] of kb) if (!ka.has(k)) out.push({ path: `${path}[${k}]`, after: v });
      return out;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const p = `${path}[${i}]`;
      if (i >= a.length) out.push({ path: p, after: b[i] });
      else if (i >= b.length) out.push({ path: p, before: a[i] });
      else diffValues(a[i], b[i], p, out);
    }
    return out;
  }
  if (isObj(a) && isObj(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const p = path === '' ? key : `${path}.${key}`;
      if (!(key in a)) out.push({ path: p, after: b[key] });
      else if (!(key in b)) out.push({ path: p, before: a[key] });
      else diffValues(a[key], b[key], p, out);
    }
    return out;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, before: a, after: b });
  return out;
}

const hideValues = (fields: FieldChange[]): FieldChange[] => fields.map((f) => ({ path: f.path }));

export function planChanges(options: {
  readonly committed: readonly PlanFile[] | undefined;
  readonly next: readonly PlanFile[];
  readonly strategy: string;
  readonly drainTimeMs: number;
}): Plan {
  const { committed, next } = options;
  // Files whose body is the same on both sides hold the same resources: neither parsed nor compared (a
  // 10,000-backend cluster file is megabytes of YAML).
  const committedContent = new Map((committed ?? []).map((c) => [c.path, c.content]));
  const unchanged = new Set(
    next
      .filter((f) => {
        const old = committedContent.get(f.path);
        return isDiscovery(f) && old !== undefined && body(old) === body(f.content);
      })
      .map((f) => f.path),
  );
  const before = resources((committed ?? []).filter((f) => !unchanged.has(f.path)));
  const after = resources(next.filter((f) => !unchanged.has(f.path)));
  const changes: ResourceChange[] = [];
  for (const [key, r] of after) {
    const old = before.get(key);
    if (old === undefined) {
      changes.push({ type: r.type, name: r.name, change: 'added', fields: [] });
      continue;
    }
    const fields = diffValues(old.value, r.value);
    if (fields.length > 0)
      changes.push({
        type: r.type,
        name: r.name,
        change: 'modified',
        fields: SECRET_TYPES.has(r.type) ? hideValues(fields) : fields,
      });
  }
  for (const [key, r] of before)
    if (!after.has(key)) changes.push({ type: r.type, name: r.name, change: 'removed', fields: [] });

  // The runtime bootstrap's own fields (admin, overload manager, node…) are the same in the static one, which only
  // adds every resource inline (compared above): the small file says what a restart would change.
  const bootstrapOf = (files: readonly PlanFile[] | undefined) => {
    const f = files?.find((x) => x.role === 'bootstrap');
    return f === undefined ? undefined : parsedOf(f);
  };
  const bootstrap = committed === undefined ? [] : diffValues(bootstrapOf(committed), bootstrapOf(next));

  const certs = (files: readonly PlanFile[] | undefined) =>
    new Set((files ?? []).filter((f) => f.role === 'certificate').map((f) => f.path));
  const oldCerts = certs(committed);
  const newCerts = certs(next);
  const certificates = {
    added: [...newCerts].filter((p) => !oldCerts.has(p)).sort(),
    removed: [...oldCerts].filter((p) => !newCerts.has(p)).sort(),
  };

  const anything = changes.length > 0 || bootstrap.length > 0 || certificates.added.length > 0;
  let method: Plan['method'];
  if (committed === undefined)
    method = { kind: 'start', reasons: ['no committed generation: Envoy starts on this one'] };
  else if (!anything) method = { kind: 'none', reasons: [] };
  else if (options.strategy === 'hot_restart')
    method = {
      kind: 'hot_restart',
      reasons: ['envoy.apply_strategy is hot_restart: every change starts a new epoch'],
    };
  else if (bootstrap.length > 0)
    method = {
      kind: 'hot_restart',
      reasons: [
        `the bootstrap changes (${bootstrap.length} field${bootstrap.length === 1 ? '' : 's'}, above): Envoy reads it only at start`,
      ],
    };
  else {
    const reasons = next.filter(isDiscovery).flatMap((f) => {
      const old = committed.find((c) => c.path === f.path)?.content;
      if (old === f.content) return [];
      // Every file carries the configuration hash as version_info: a move with the same resources changes
      // nothing in Envoy (it keeps unchanged resources as they are).
      const same = unchanged.has(f.path);
      const name = f.path.split('/').slice(-2).join('/');
      return [`moves ${name}${same ? ' (version only: its resources are unchanged)' : ''}`];
    });
    method = { kind: 'file_update', reasons };
  }

  const drain = `${Math.round(options.drainTimeMs / 1000)}s`;
  const draining: { listener: string; why: string }[] = [];
  if (method.kind === 'hot_restart') {
    // Every listener of the old epoch, changed or not (the listener file is small even when clusters are not).
    const all = resources((committed ?? []).filter((f) => f.role === 'listeners'));
    const listeners = [...all.values()].filter((r) => r.type === 'Listener');
    for (const l of listeners)
      draining.push({ listener: l.name, why: `hot restart: the old epoch drains it for ${drain}` });
  } else {
    for (const c of changes) {
      if (c.type !== 'Listener' || c.change === 'added') continue;
      const chainsOnly = c.fields.every((f) => /^(filter_chains|default_filter_chain)\b/.test(f.path));
      draining.push({
        listener: c.name,
        why:
          c.change === 'removed'
            ? `removed: its connections drain for ${drain}, then close`
            : chainsOnly
              ? `updated in place: connections on changed filter chains drain for ${drain}`
              : `replaced: its connections drain for ${drain}`,
      });
    }
  }
  return { resources: changes, bootstrap, certificates, method, draining };
}

export const planHasChanges = (p: Plan): boolean => p.method.kind !== 'none';
