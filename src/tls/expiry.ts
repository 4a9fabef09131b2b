/** Days before notAfter at which the agent warns, most distant first. Each fires once per certificate. */
export const EXPIRY_THRESHOLDS_DAYS = [30, 14, 7, 1] as const;

const DAY_SECONDS = 86_400;

/** Whole seconds left until notAfter; negative once expired. */
export function secondsToExpiry(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / 1000);
}

/**
 * The thresholds (in days) reached by now and not yet notified, most distant first. A certificate first seen
 * 5 days before expiry yields [30, 14, 7] at once: the caller adds them all to its notified set and reports the
 * last (most urgent). `alreadyNotified` belongs to one certificate (key it by fingerprint): a renewed
 * certificate starts afresh.
 */
export function expiryThresholdsCrossed(
  notAfter: Date,
  now: Date,
  alreadyNotified: ReadonlySet<number>,
): number[] {
  const left = secondsToExpiry(notAfter, now);
  return EXPIRY_THRESHOLDS_DAYS.filter((days) => left <= days * DAY_SECONDS && !alreadyNotified.has(days));
}
