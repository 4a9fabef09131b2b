import type { Secret } from '../util/secret.ts';
import type { JsonValue } from './types.ts';

const REDACTED = '[redacted]';
const MAX_MESSAGE = 4096;
const MAX_METADATA_JSON = 64 * 1024;
const MAX_DEPTH = 8;

/** A string that contains any secret is replaced whole: partial masking could still leak a prefix. */
export function scrubText(text: string, secrets: readonly Secret[]): string {
  const clean = secrets.some((s) => s.occursIn(text)) ? REDACTED : text;
  return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE)}…` : clean;
}

function scrubValue(v: JsonValue, secrets: readonly Secret[], depth: number): JsonValue {
  if (typeof v === 'string') return scrubText(v, secrets);
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v === null || typeof v === 'boolean') return v;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(v)) return v.map((x: JsonValue) => scrubValue(x, secrets, depth + 1));
  const out: Record<string, JsonValue> = {};
  for (const [k, x] of Object.entries(v as Record<string, JsonValue>)) {
    out[scrubText(k, secrets)] = scrubValue(x, secrets, depth + 1);
  }
  return out;
}

/** Metadata fit to store and send: secrets removed, depth and size bounded, only finite numbers. */
export function scrubMetadata(
  metadata: Readonly<Record<string, JsonValue>>,
  secrets: readonly Secret[],
): Record<string, JsonValue> {
  const out = scrubValue(metadata, secrets, 0) as Record<string, JsonValue>;
  if (JSON.stringify(out).length > MAX_METADATA_JSON) return { truncated: true };
  return out;
}
