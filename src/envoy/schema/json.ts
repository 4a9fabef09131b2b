/** Defensive readers for documents that may not match their schema (semantic checks run on them anyway). */
import type { Walker } from './walker.ts';

export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
/** A repeated field as written; a lone value counts as a one-item list, as protobuf's JSON reader takes it. */
export const arr = (v: unknown): unknown[] =>
  Array.isArray(v) ? v : v === null || v === undefined ? [] : [v];
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** An enum field's value name (names or numbers accepted), or `dflt` when unset. */
export function enumName(w: Walker, enumType: string, v: unknown, dflt: string): string {
  if (v === undefined || v === null) return dflt;
  const en = w.registry.enumType(enumType);
  const r = en?.parse(v);
  if (en && r?.ok) return en.byNumber.get(r.value) ?? dflt;
  return typeof v === 'string' ? v : dflt;
}
