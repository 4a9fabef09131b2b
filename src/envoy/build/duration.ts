import type { Duration } from '../types/index.ts';

/** Whole or fractional seconds as a proto3 JSON Duration; `0s` is how Envoy spells "disabled" for timeouts. */
export function seconds(value: number): Duration {
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`bug: duration must be a finite non-negative number, got ${value}`);
  return `${value}s`;
}

/** Milliseconds as a Duration in seconds (`1500` → `1.5s`). */
export function millis(value: number): Duration {
  return seconds(value / 1000);
}
