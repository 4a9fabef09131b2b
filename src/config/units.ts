/** Durations (`1m30s`) and byte sizes (`1GiB`) as written in agent.yaml. */

const DURATION_UNITS: readonly (readonly [string, number])[] = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/**
 * `30s`, `1m`, `500ms`, `1h`, `1m30s` → milliseconds. Units appear at most once, largest first; a bare number is
 * not a duration (its unit would be a guess), so it yields undefined like any other malformed text.
 */
export function parseDuration(s: string): number | undefined {
  const token = /(\d{1,9})(ms|h|m|s)/y;
  let total = 0;
  let next = 0; // index into DURATION_UNITS: units must appear in decreasing order, each at most once
  let pos = 0;
  while (pos < s.length) {
    token.lastIndex = pos;
    const m = token.exec(s);
    if (m === null) return undefined;
    const unitIndex = DURATION_UNITS.findIndex(([u]) => u === m[2]);
    if (unitIndex < next) return undefined;
    next = unitIndex + 1;
    total += Number(m[1]) * DURATION_UNITS[unitIndex]![1];
    pos = token.lastIndex;
  }
  return pos === 0 || !Number.isSafeInteger(total) ? undefined : total;
}

/** The inverse of parseDuration, in its shortest form: 90000 → `1m30s`, 0 → `0s`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of DURATION_UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}

const BYTE_UNITS: readonly (readonly [string, number])[] = [
  ['TiB', 1024 ** 4],
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
];

/** `1GiB`, `512MiB`, `1.5GiB`, `1073741824` → bytes. Only binary (IEC) units, so `1G` is never a guess. */
export function parseBytes(s: string): number | undefined {
  const m = /^(\d{1,15}(?:\.\d{1,6})?)(KiB|MiB|GiB|TiB)?$/.exec(s);
  if (m === null) return undefined;
  const size = m[2] === undefined ? 1 : BYTE_UNITS.find(([u]) => u === m[2])![1];
  const bytes = Number(m[1]) * size;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Bytes in the largest unit that divides them exactly: 1073741824 → `1GiB`, 1000 → `1000`. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of BYTE_UNITS) {
    if (bytes > 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
