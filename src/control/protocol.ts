/** The local control channel: one JSON line in, one JSON line out, over a Unix socket in state_dir. */
import { join } from 'node:path';

export type ControlRequest = { readonly op: 'rollback'; readonly to?: number } | { readonly op: 'release' };

export interface ControlResponse {
  readonly ok: boolean;
  readonly message: string;
}

/** state_dir is 0750 and the socket 0660: only root and the agent's user and group reach it. */
export const controlSocketPath = (stateDir: string): string => join(stateDir, 'control.sock');

export const MAX_REQUEST_BYTES = 4096;

/** Untrusted bytes → a request, or why not. */
export function parseControlRequest(line: string): ControlRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'request is not JSON';
  }
  if (value === null || typeof value !== 'object') return 'request must be an object';
  const { op, to } = value as { op?: unknown; to?: unknown };
  if (op === 'release') return { op };
  if (op === 'rollback') {
    if (to === undefined) return { op };
    if (typeof to === 'number' && Number.isSafeInteger(to) && to > 0) return { op, to };
    return 'rollback: to must be a positive integer';
  }
  return `unknown op ${JSON.stringify(op)}`;
}
