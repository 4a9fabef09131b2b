// VPSie API client: GET the load balancer spec, report events/status/health/metrics. Every byte from the network is
// hostile: https only, host allow-list, SSRF-guarded sockets, bounded bodies and time, bounded retries.
import { isIP, type LookupFunction } from 'node:net';
import type { AgentConfig } from '../../config/types.ts';
import type { AgentEvent } from '../../events/types.ts';
import type { Secret } from '../../util/secret.ts';
import {
  type AddressPolicy,
  checkAddress,
  DEVELOPMENT_ADDRESS_POLICY,
  STRICT_ADDRESS_POLICY,
} from './address-guard.ts';
import {
  type ApiError,
  type ApiErrorKind,
  type ApiResult,
  AttemptTimeoutError,
  apiFail,
  apiOk,
  BodyTooLargeError,
  RefusedAddressError,
} from './errors.ts';
import {
  GuardedHttpAgent,
  GuardedHttpsAgent,
  guardLookup,
  type SocketFactory,
  systemLookup,
} from './guarded-agent.ts';
import { hostAllowed, normalizeHost } from './host-policy.ts';
import { type MinimalLogger, silentLogger } from './logger.ts';
import { backoffDelay, parseRetryAfter } from './retry.ts';
import {
  type Exchange,
  exchange,
  type RawResponse,
  type TransportContext,
  type TransportLimits,
} from './transport.ts';

/** The transport's limits of one exchange (totalTimeoutMs defaults to vpsie.requestTimeoutMs), then retries. */
export interface ClientLimits extends TransportLimits {
  readonly maxRedirects: number;
  /** Tries per call, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** No retry starts once this much time has passed since the call began. */
  readonly maxElapsedMs: number;
  readonly retryAfterCapMs: number;
}

export const DEFAULT_LIMITS: Omit<ClientLimits, 'totalTimeoutMs'> = {
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 10_000,
  maxBodyBytes: 10 * 1024 * 1024,
  maxErrorBodyBytes: 16 * 1024,
  maxRedirects: 3,
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  maxElapsedMs: 60_000,
  retryAfterCapMs: 60_000,
};

export type Endpoint = 'spec' | 'events' | 'status' | 'backend_health' | 'metrics';
/** Per attempt: the HTTP status class, or why no status arrived. */
export type RequestOutcome = '2xx' | '3xx' | '4xx' | '5xx' | Exclude<ApiErrorKind, 'http'>;

export interface VpsieClientOptions {
  readonly vpsie: AgentConfig['vpsie'];
  readonly apiKey: Secret;
  /** Resolver to guard (default dns.lookup). */
  readonly lookup?: LookupFunction;
  /** Extra trusted CA (tests, private deployments). */
  readonly ca?: string | Buffer;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly logger?: MinimalLogger;
  readonly limits?: Partial<ClientLimits>;
  readonly onRequest?: (endpoint: Endpoint, outcome: RequestOutcome, durationMs: number) => void;
  /** Test seam: opens sockets instead of tls.connect / net.connect (see SocketFactory). */
  readonly socketFactory?: SocketFactory;
}

export type SpecFetch =
  | { readonly kind: 'document'; readonly body: string; readonly etag?: string }
  | { readonly kind: 'unchanged' };

export type BackendHealth = 'healthy' | 'unhealthy';

export interface VpsieClient {
  /** Conditional on the last ETag seen; the body is returned as text for the spec layer to parse. */
  fetchSpec(): Promise<ApiResult<SpecFetch>>;
  /** Forget the ETag so the next fetch returns the full document (e.g. after a failed apply). */
  resetEtag(): void;
  postEvent(event: AgentEvent): Promise<ApiResult<void>>;
  putStatus(status: string): Promise<ApiResult<void>>;
  putBackendHealth(backendId: string, health: BackendHealth): Promise<ApiResult<void>>;
  postMetrics(summary: object): Promise<ApiResult<void>>;
  /** Closes pooled connections. */
  close(): void;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Printable, short, and free of the key: safe to put in a message. */
function safeText(text: string, apiKey: Secret, max = 200): string {
  if (apiKey.occursIn(text)) return '[redacted]';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const flat = text.replace(/[\x00-\x1f\x7f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** URL for messages: no credentials, no query. */
const showUrl = (u: URL): string => `${u.protocol}//${u.host}${u.pathname}`;

const ETAG = /^[\x21-\x7e]{1,512}$/;

/**
 * Checks the configured API URL against the transport rules (scheme, host allow-list, IP literals).
 * Exported so startup can report a bad configuration before the first poll.
 */
export function checkApiUrl(vpsie: AgentConfig['vpsie']): ApiResult<URL> {
  let url: URL;
  try {
    url = new URL(vpsie.apiUrl);
  } catch {
    return apiFail({ kind: 'invalid_url', retryable: false, message: `api_url is not a valid URL` });
  }
  if (url.username !== '' || url.password !== '') {
    return apiFail({
      kind: 'invalid_url',
      retryable: false,
      message: 'api_url must not contain credentials',
    });
  }
  if (url.search !== '' || url.hash !== '') {
    return apiFail({
      kind: 'invalid_url',
      retryable: false,
      message: 'api_url must not contain a query or fragment',
    });
  }
  const refusal = checkTarget(url, vpsie.allowedHosts, vpsie.allowInsecureApi);
  return refusal === undefined ? apiOk(url) : apiFail(refusal);
}

/** Scheme, allow-list and IP-literal checks for any URL the client is about to contact. */
function checkTarget(url: URL, allowedHosts: readonly string[], insecure: boolean): ApiError | undefined {
  const policy: AddressPolicy = insecure ? DEVELOPMENT_ADDRESS_POLICY : STRICT_ADDRESS_POLICY;
  const where = showUrl(url);
  if (url.protocol !== 'https:' && !(insecure && url.protocol === 'http:')) {
    return {
      kind: 'insecure_scheme',
      retryable: false,
      message: `${where}: only https is allowed (http only with allow_insecure_api in development)`,
    };
  }
  const host = normalizeHost(url.hostname);
  // net.connect skips the lookup hook for IP literals, so they are judged here (and again on connect).
  if (isIP(host) !== 0) {
    const d = checkAddress(host, policy);
    if (!d.ok)
      return { kind: 'refused_address', retryable: false, message: `${where}: refused: ${d.reason}` };
  }
  if (!insecure && !hostAllowed(host, allowedHosts)) {
    return {
      kind: 'refused_host',
      retryable: false,
      message: `${where}: host ${host} is not in allowed_hosts`,
    };
  }
  return undefined;
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/;

function describeCause(method: string, url: URL, cause: unknown, apiKey: Secret): ApiError {
  const where = `${method} ${showUrl(url)}`;
  if (cause instanceof RefusedAddressError) {
    return {
      kind: 'refused_address',
      retryable: false,
      message: `${where}: ${safeText(cause.message, apiKey, 300)}`,
    };
  }
  if (cause instanceof AttemptTimeoutError) {
    return { kind: 'timeout', retryable: true, message: `${where}: ${cause.message}` };
  }
  if (cause instanceof BodyTooLargeError) {
    return { kind: 'too_large', retryable: false, message: `${where}: ${cause.message}` };
  }
  const err = cause instanceof Error ? cause : new Error(String(cause));
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const detail = safeText(err.message, apiKey);
  if (TLS_CODES.test(code)) {
    return { kind: 'tls', retryable: false, message: `${where}: TLS failure (${code}): ${detail}` };
  }
  return {
    kind: 'network',
    retryable: true,
    message: `${where}: ${detail}${code === '' ? '' : ` (${code})`}`,
  };
}

function outcomeOf(r: { ok: true; response: RawResponse } | { ok: false; error: ApiError }): RequestOutcome {
  if (!r.ok) return r.error.kind === 'http' ? 'network' : r.error.kind;
  const s = r.response.status;
  return s < 300 ? '2xx' : s < 400 ? '3xx' : s < 500 ? '4xx' : '5xx';
}

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export function createVpsieClient(opts: VpsieClientOptions): VpsieClient {
  const { vpsie, apiKey } = opts;
  const limits: ClientLimits = { ...DEFAULT_LIMITS, totalTimeoutMs: vpsie.requestTimeoutMs, ...opts.limits };
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const logger = opts.logger ?? silentLogger;
  const insecure = vpsie.allowInsecureApi;
  const policy = insecure ? DEVELOPMENT_ADDRESS_POLICY : STRICT_ADDRESS_POLICY;
  const ready = new WeakSet<object>();
  const settings = {
    policy,
    lookup: guardLookup(opts.lookup ?? systemLookup, policy),
    ready,
    ...(opts.socketFactory ? { socketFactory: opts.socketFactory } : {}),
  };
  const tlsOptions = opts.ca === undefined ? {} : { ca: opts.ca };
  const httpsAgent = new GuardedHttpsAgent(settings, {
    keepAlive: true,
    maxSockets: 4,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    ...tlsOptions,
  });
  const httpAgent = insecure ? new GuardedHttpAgent(settings, { keepAlive: true, maxSockets: 4 }) : undefined;
  const transport: TransportContext = { httpsAgent, ready, limits, ...(httpAgent ? { httpAgent } : {}) };
  const base = checkApiUrl(vpsie);
  let lastEtag: string | undefined;

  const authHeader = (): Record<string, string> =>
    vpsie.authScheme === 'vpsie-auth'
      ? { 'vpsie-auth': apiKey.reveal() }
      : { authorization: `Bearer ${apiKey.reveal()}` };
  // vpsie.spec_path, already checked by the config loader: plain segments, `{id}` once.
  const specSegments = vpsie.specPath
    .split('/')
    .filter((seg) => seg !== '')
    .map((seg) => seg.replace('{id}', vpsie.loadbalancerId));

  const urlFor = (root: URL, segments: readonly string[]): URL => {
    const u = new URL(root.href);
    const prefix = u.pathname.replace(/\/+$/, '');
    u.pathname = `${prefix}/${segments.map(encodeURIComponent).join('/')}`;
    return u;
  };

  /** One attempt, following at most `maxRedirects` same-host redirects. */
  async function attempt(
    endpoint: Endpoint,
    method: Exchange['method'],
    start: URL,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<{ ok: true; response: RawResponse; url: URL } | { ok: false; error: ApiError }> {
    let url = start;
    for (let hop = 0; hop <= limits.maxRedirects; hop++) {
      const refusal = checkTarget(url, vpsie.allowedHosts, insecure);
      if (refusal) return { ok: false, error: refusal };
      // The key goes only to the configured origin.
      const sendHeaders = url.origin === start.origin ? { ...headers, ...authHeader() } : headers;
      const t0 = now();
      const x = await exchange(transport, {
        method,
        url,
        headers: sendHeaders,
        ...(body === undefined ? {} : { body }),
      });
      const r = x.ok
        ? { ok: true as const, response: x.response }
        : { ok: false as const, error: describeCause(method, url, x.cause, apiKey) };
      opts.onRequest?.(endpoint, outcomeOf(r), Math.max(now() - t0, 0));
      if (!r.ok) return r;
      const { status } = r.response;
      const location = headerValue(r.response.headers.location);
      if (![301, 302, 303, 307, 308].includes(status) || location === undefined) return { ...r, url };
      const where = `${method} ${showUrl(url)}`;
      const refuse = (why: string) => ({
        ok: false as const,
        error: { kind: 'redirect' as const, retryable: false, status, message: `${where}: ${why}` },
      });
      if (hop === limits.maxRedirects) return refuse(`more than ${limits.maxRedirects} redirects`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        return refuse('redirect to an invalid URL');
      }
      if (url.protocol === 'https:' && next.protocol !== 'https:') {
        return refuse(`refused redirect from https to ${safeText(next.protocol, apiKey, 16)}`);
      }
      if (normalizeHost(next.hostname) !== normalizeHost(url.hostname)) {
        return refuse(`refused redirect to another host (${safeText(next.hostname, apiKey, 100)})`);
      }
      if (method !== 'GET' && status !== 307 && status !== 308) {
        return refuse(`refused ${status} redirect of a ${method} (would change the method)`);
      }
      url = next;
    }
    return { ok: false, error: { kind: 'redirect', retryable: false, message: 'redirect loop' } };
  }

  function httpError(method: string, url: URL, res: RawResponse): ApiError {
    const where = `${method} ${showUrl(url)}`;
    const s = res.status;
    const snippet = safeText(res.body.toString('utf8'), apiKey);
    const said = snippet === '' ? '' : `: ${snippet}`;
    if (s === 401 || s === 403) {
      return {
        kind: 'http',
        status: s,
        retryable: false,
        message: `${where}: HTTP ${s} — check the API key in ${vpsie.apiKeyFile}${said}`,
      };
    }
    if (s === 429 || s >= 500) {
      const retryAfterMs = parseRetryAfter(
        headerValue(res.headers['retry-after']),
        now(),
        limits.retryAfterCapMs,
      );
      return {
        kind: 'http',
        status: s,
        retryable: true,
        message: `${where}: HTTP ${s}${said}`,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      };
    }
    const hint =
      s === 404
        ? ` — check loadbalancer_id "${safeText(vpsie.loadbalancerId, apiKey, 100)}" and vpsie.spec_path "${vpsie.specPath}"`
        : '';
    return { kind: 'http', status: s, retryable: false, message: `${where}: HTTP ${s}${hint}${said}` };
  }

  /** The call with retries: network trouble, timeouts, 5xx and 429 only; bounded in tries and in time. */
  async function call(
    endpoint: Endpoint,
    method: Exchange['method'],
    segments: readonly string[],
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<ApiResult<{ response: RawResponse; url: URL }>> {
    if (!base.ok) return apiFail(base.error);
    const path = endpoint === 'spec' ? specSegments : ['loadbalancers', vpsie.loadbalancerId, ...segments];
    const url = urlFor(base.value, path);
    const began = now();
    const tries = Math.max(1, Math.floor(limits.maxAttempts));
    let last: ApiError | undefined;
    for (let n = 1; n <= tries; n++) {
      const r = await attempt(endpoint, method, url, headers, body);
      let error: ApiError;
      if (r.ok) {
        if (r.response.status < 400) return apiOk({ response: r.response, url: r.url });
        error = httpError(method, r.url, r.response);
      } else {
        error = r.error;
      }
      last = error;
      if (!error.retryable || n === tries) break;
      const delay = error.retryAfterMs ?? backoffDelay(n, limits, random);
      if (now() - began + delay > limits.maxElapsedMs) break;
      logger.warn(
        { endpoint, attempt: n, delayMs: delay, error: error.message },
        'VPSie API call failed; retrying',
      );
      await sleep(delay);
    }
    const error = last!;
    logger.debug({ endpoint, kind: error.kind, status: error.status }, 'VPSie API call failed');
    return apiFail(error);
  }

  const jsonHeaders = { accept: 'application/json', 'content-type': 'application/json' };

  async function write(
    endpoint: Endpoint,
    method: 'POST' | 'PUT',
    segments: string[],
    payload: unknown,
    extra = {},
  ) {
    const r = await call(endpoint, method, segments, { ...jsonHeaders, ...extra }, JSON.stringify(payload));
    if (!r.ok) return r;
    if (r.value.response.status >= 300) {
      return apiFail<void>({
        kind: 'bad_response',
        retryable: false,
        status: r.value.response.status,
        message: `${method} ${showUrl(r.value.url)}: unexpected HTTP ${r.value.response.status}`,
      });
    }
    return apiOk(undefined);
  }

  return {
    async fetchSpec() {
      const conditional = lastEtag;
      const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'identity' };
      if (conditional !== undefined) headers['if-none-match'] = conditional;
      const r = await call('spec', 'GET', [], headers, undefined);
      if (!r.ok) return r;
      const { response, url } = r.value;
      const where = `GET ${showUrl(url)}`;
      if (response.status === 304) {
        if (conditional === undefined) {
          return apiFail({
            kind: 'bad_response',
            retryable: false,
            status: 304,
            message: `${where}: 304 without If-None-Match`,
          });
        }
        return apiOk({ kind: 'unchanged' });
      }
      if (response.status >= 300) {
        return apiFail({
          kind: 'bad_response',
          retryable: false,
          status: response.status,
          message: `${where}: unexpected HTTP ${response.status}`,
        });
      }
      let text: string;
      try {
        text = utf8.decode(response.body);
      } catch {
        return apiFail({
          kind: 'bad_response',
          retryable: false,
          message: `${where}: body is not valid UTF-8`,
        });
      }
      const raw = headerValue(response.headers.etag);
      const etag = raw !== undefined && ETAG.test(raw) ? raw : undefined;
      lastEtag = etag;
      return apiOk(
        etag === undefined ? { kind: 'document', body: text } : { kind: 'document', body: text, etag },
      );
    },
    resetEtag() {
      lastEtag = undefined;
    },
    postEvent(event) {
      const payload = {
        type: event.type,
        message: event.message,
        metadata: event.metadata,
        timestamp: event.timestamp,
      };
      // The id may come from disk; only a header-safe one is sent.
      const idempotency =
        ETAG.test(event.id) && !apiKey.occursIn(event.id) ? { 'idempotency-key': event.id } : {};
      return write('events', 'POST', ['events'], payload, idempotency);
    },
    putStatus(status) {
      return write('status', 'PUT', ['status'], { status });
    },
    putBackendHealth(backendId, health) {
      return write('backend_health', 'PUT', ['backends', backendId, 'health'], { status: health });
    },
    postMetrics(summary) {
      return write('metrics', 'POST', ['metrics'], summary);
    },
    close() {
      httpsAgent.destroy();
      httpAgent?.destroy();
    },
  };
}
