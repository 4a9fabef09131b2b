/**
 * Builders write each resource as one object literal typed by an explicit type argument (`prune<Cluster>({...})`),
 * so a misspelt or unknown field is a compile error; optional fields that do not apply are written as `undefined`
 * and removed here, so emitted documents and whole-resource comparisons never see them.
 */
export function prune<T>(value: T): T {
  return pruneValue(value) as T;
}

function pruneValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pruneValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v !== undefined) out[key] = pruneValue(v);
    }
    return out;
  }
  return value;
}

/**
 * `prune` for one level only: for objects whose children were built (and pruned) already. Deep-copying a listener
 * whose filter chains hold whole HTTP connection managers was most of the render time of a 64-rule document.
 */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = v;
  return out as T;
}
