/** Failures of one admin call, always naming the endpoint: `admin GET /ready: timed out after 2000 ms`. */
export type AdminErrorKind =
  /** Nothing listens, or the connection broke. */
  | 'connect'
  /** No complete answer before timeoutMs. */
  | 'timeout'
  /** The caller's AbortSignal fired first. */
  | 'aborted'
  /** The body was larger than the call's byte cap. */
  | 'too_large'
  /** An HTTP status the endpoint does not answer with on success. */
  | 'status'
  /** The body did not have the documented shape. */
  | 'parse';

export class AdminError extends Error {
  override readonly name = 'AdminError';

  constructor(
    /** `GET /stats?format=json` */
    readonly endpoint: string,
    readonly kind: AdminErrorKind,
    detail: string,
    /** For `status`: the HTTP status and the start of the body. */
    readonly status?: number,
    readonly body?: string,
  ) {
    super(`admin ${endpoint}: ${detail}`);
  }
}

export const isAdminError = (e: unknown): e is AdminError => e instanceof AdminError;
