/** Failures of the VPSie API client, as values. Messages never contain the API key. */
export type ApiErrorKind =
  | 'network'
  | 'timeout'
  | 'too_large'
  | 'http'
  | 'tls'
  | 'refused_address'
  | 'refused_host'
  | 'insecure_scheme'
  | 'redirect'
  | 'invalid_url'
  | 'bad_response';

export interface ApiError {
  readonly kind: ApiErrorKind;
  readonly message: string;
  /** HTTP status, when the server answered. */
  readonly status?: number;
  /** Whether trying again later may succeed (network trouble, 5xx, 429). */
  readonly retryable: boolean;
  /** Server-requested delay (429/503 Retry-After), already capped. */
  readonly retryAfterMs?: number;
}

export type ApiResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ApiError };

export const apiOk = <T>(value: T): ApiResult<T> => ({ ok: true, value });
export const apiFail = <T = never>(error: ApiError): ApiResult<T> => ({ ok: false, error });

/** Thrown inside the socket layer (lookup hook, connect check) and turned into `refused_address`. */
export class RefusedAddressError extends Error {
  readonly code = 'ERR_VPSIE_REFUSED_ADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`refused to connect to ${host}: ${reason}`);
    this.name = 'RefusedAddressError';
  }
}

/** Thrown by the per-attempt timers and turned into `timeout`. */
export class AttemptTimeoutError extends Error {
  readonly code = 'ERR_VPSIE_TIMEOUT';
  constructor(
    readonly phase: 'connect' | 'headers' | 'total',
    readonly ms: number,
  ) {
    super(
      phase === 'connect'
        ? `no connection within ${ms} ms`
        : phase === 'headers'
          ? `no response headers within ${ms} ms`
          : `response not complete within ${ms} ms`,
    );
    this.name = 'AttemptTimeoutError';
  }
}

/** Thrown when the body passes the cap and turned into `too_large`. */
export class BodyTooLargeError extends Error {
  readonly code = 'ERR_VPSIE_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`response body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}
