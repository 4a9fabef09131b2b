import type { ApiResult } from '../source/vpsie/errors.ts';
import type { SendOutcome } from './types.ts';

/**
 * Maps a delivery result to what the queue does next. Only a 4xx that judges the event itself drops it; transport
 * or credential trouble (401/403, refused address, TLS) is not the event's fault, so it stays queued.
 */
export function sendOutcomeOf(result: ApiResult<void>): SendOutcome {
  if (result.ok) return { kind: 'sent' };
  const e = result.error;
  if (e.retryable) return { kind: 'retry', reason: e.message };
  const s = e.status;
  if (e.kind === 'http' && s !== undefined && s >= 400 && s < 500 && s !== 401 && s !== 403 && s !== 408) {
    return { kind: 'drop', reason: e.message };
  }
  return { kind: 'retry', reason: e.message };
}
