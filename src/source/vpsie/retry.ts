/** Backoff and Retry-After arithmetic. Pure: the random source and the clock are arguments. */

export interface BackoffPolicy {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^(attempt-1))). `attempt` starts at 1. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const exp = policy.baseDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(policy.maxDelayMs, exp);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/**
 * Retry-After as milliseconds from `nowMs`, capped at `capMs`: delta-seconds or an HTTP date.
 * Undefined when absent or unparsable (the caller falls back to its own backoff).
 */
export function parseRetryAfter(value: string | undefined, nowMs: number, capMs: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{1,12}$/.test(v)) return Math.min(Number(v) * 1000, capMs);
  // HTTP dates are short and start with a day name; refuse anything else rather than trust Date.parse's leniency.
  if (v.length > 64 || !/^[A-Za-z]{3},? /.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - nowMs, 0), capMs);
}
