/**
 * The agent's HTTP endpoints for operators: /metrics, /metrics/envoy, /healthz, /readyz, /status.
 * GET only, no request bodies, short server-side timeouts so a slow client cannot hold a socket.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort } from '../config/net.ts';
import type { HostPort } from '../config/types.ts';
import type { AgentMetrics } from '../metrics/agent-metrics.ts';
import type { LogSink } from '../reconcile/reconciler.ts';
import { errorMessage } from '../util/errors.ts';
import type { AgentStatus } from './status.ts';

/** Envoy's admin `/stats/prometheus`, at most `maxBytes` long; should stop work when `signal` aborts. */
export interface EnvoyPrometheusSource {
  prometheusText(maxBytes: number, signal?: AbortSignal): Promise<string>;
}

export interface Readiness {
  readonly ready: boolean;
  readonly reason?: string;
}

export interface AgentServerOptions {
  readonly listen: HostPort;
  readonly metrics: AgentMetrics;
  readonly status: () => AgentStatus | Promise<AgentStatus>;
  readonly readiness: () => Readiness;
  /** Brings what /readyz, /status and /metrics report up to date (the agent re-probes Envoy when its view is old). */
  readonly refresh?: () => Promise<void>;
  readonly envoyPrometheus?: EnvoyPrometheusSource;
  readonly logger?: LogSink;
  /** Bound on one /metrics/envoy proxy; default 5 s. */
  readonly envoyTimeoutMs?: number;
  /** Largest Envoy stats document proxied; default 20 MiB. */
  readonly envoyMaxBytes?: number /** Slow-client bounds; the defaults suit production. */;
  readonly clientLimits?: Partial<ClientLimits>;
}

export interface ClientLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly checkIntervalMs: number;
}

const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  checkIntervalMs: 1_000,
};

export interface AgentServer {
  start(): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

const TEXT = 'text/plain; charset=utf-8';
const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const DEFAULT_ENVOY_TIMEOUT_MS = 5_000;
const DEFAULT_ENVOY_MAX_BYTES = 20 * 1024 * 1024;

/** Names for the listen errors an operator meets; anything else keeps Node's message. */
const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'address not available on this host',
};

class EnvoyTimeout extends Error {}

export function createAgentServer(opts: AgentServerOptions): AgentServer {
  const envoyTimeoutMs = opts.envoyTimeoutMs ?? DEFAULT_ENVOY_TIMEOUT_MS;
  const envoyMaxBytes = opts.envoyMaxBytes ?? DEFAULT_ENVOY_MAX_BYTES;

  const limits = { ...DEFAULT_CLIENT_LIMITS, ...opts.clientLimits };
  const server = http.createServer({
    // The whole request (headers included) must arrive quickly; these endpoints take no body.
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // Node checks the two timeouts above only this often (its default is 30 s).
    connectionsCheckingInterval: limits.checkIntervalMs,
    keepAliveTimeout: 5_000,
  });
  // Idle sockets (slow readers included) are closed after this long without progress.
  server.setTimeout(30_000, (socket) => socket.destroy());
  server.maxHeadersCount = 100;

  const send = (res: http.ServerResponse, status: number, type: string, body: string): void => {
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
  };

  const proxyEnvoy = async (res: http.ServerResponse): Promise<void> => {
    const source = opts.envoyPrometheus;
    if (source === undefined) {
      send(res, 502, TEXT, 'envoy stats unavailable: no Envoy admin source configured\n');
      return;
    }
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Reject before aborting: the aborted source rejects too, and the race must report the timeout.
        reject(new EnvoyTimeout());
        controller.abort();
      }, envoyTimeoutMs);
    });
    try {
      const text = await Promise.race([source.prometheusText(envoyMaxBytes, controller.signal), deadline]);
      // Trust, but verify: a source that ignores maxBytes must not make us relay an unbounded document.
      if (Buffer.byteLength(text) > envoyMaxBytes) {
        send(res, 502, TEXT, `envoy stats unavailable: response exceeds ${envoyMaxBytes} bytes\n`);
        return;
      }
      send(res, 200, PROMETHEUS_TEXT, text);
    } catch (err) {
      if (err instanceof EnvoyTimeout) {
        send(
          res,
          504,
          TEXT,
          `envoy stats unavailable: Envoy admin did not answer within ${envoyTimeoutMs} ms\n`,
        );
      } else {
        send(res, 502, TEXT, `envoy stats unavailable: ${errorMessage(err)}\n`);
      }
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const known = ['/metrics', '/metrics/envoy', '/healthz', '/readyz', '/status'];
    if (!known.includes(path)) {
      send(res, 404, TEXT, 'not found\n');
      return;
    }
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      send(res, 405, TEXT, `method ${req.method ?? ''} not allowed; use GET\n`);
      return;
    }
    switch (path) {
      case '/healthz':
        send(res, 200, TEXT, 'ok\n');
        return;
      case '/readyz': {
        await opts.refresh?.();
        const { ready, reason } = opts.readiness();
        if (ready) send(res, 200, TEXT, 'ready\n');
        else send(res, 503, TEXT, `not ready: ${reason ?? 'unknown reason'}\n`);
        return;
      }
      case '/metrics':
        await opts.refresh?.();
        send(res, 200, opts.metrics.contentType, await opts.metrics.metricsText());
        return;
      case '/metrics/envoy':
        await proxyEnvoy(res);
        return;
      case '/status':
        await opts.refresh?.();
        send(
          res,
          200,
          'application/json; charset=utf-8',
          `${JSON.stringify(await opts.status(), null, 2)}\n`,
        );
        return;
    }
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      opts.logger?.error({ path: req.url, error: errorMessage(err) }, 'agent server: request failed');
      if (!res.headersSent) send(res, 500, TEXT, `internal error: ${errorMessage(err)}\n`);
      else res.destroy();
    });
  });
  // Malformed requests or oversized headers: answer 400/431 and drop the socket, never crash.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return;
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

  return {
    start() {
      return new Promise((resolve, reject) => {
        const where = `server.listen ${formatHostPort(opts.listen)}`;
        const onError = (err: NodeJS.ErrnoException): void => {
          server.off('listening', onListening);
          const reason = (err.code !== undefined ? LISTEN_ERRORS[err.code] : undefined) ?? err.message;
          reject(new Error(`${where}: ${reason}`));
        };
        const onListening = (): void => {
          server.off('error', onError);
          const address = server.address() as AddressInfo;
          opts.logger?.info({ host: address.address, port: address.port }, 'agent server listening');
          resolve({ host: address.address, port: address.port });
        };
        server.once('error', onError);
        server.once('listening', onListening);
        server.listen({ host: opts.listen.host, port: opts.listen.port, exclusive: true });
      });
    },
    close() {
      return new Promise((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
