// One HTTP exchange with hard limits: connect, headers and whole-body deadlines, and a byte cap enforced while the
// body streams in (nothing past the cap is ever buffered).
import http from 'node:http';
import https from 'node:https';
import { AttemptTimeoutError, BodyTooLargeError } from './errors.ts';
import type { ReadySockets } from './guarded-agent.ts';

export interface TransportLimits {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly totalTimeoutMs: number;
  /** Cap for 2xx bodies; past it the exchange fails. */
  readonly maxBodyBytes: number;
  /** Error bodies are only read for a message snippet; past this they are cut, not failed. */
  readonly maxErrorBodyBytes: number;
}

export interface Exchange {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

export type ExchangeResult =
  | { readonly ok: true; readonly response: RawResponse }
  | { readonly ok: false; readonly cause: unknown };

export interface TransportContext {
  readonly httpsAgent: https.Agent;
  /** Present only in development mode. */
  readonly httpAgent?: http.Agent;
  readonly ready: ReadySockets;
  readonly limits: TransportLimits;
}

export function exchange(ctx: TransportContext, x: Exchange): Promise<ExchangeResult> {
  return new Promise((resolve) => {
    const secure = x.url.protocol === 'https:';
    const agent = secure ? ctx.httpsAgent : ctx.httpAgent;
    if (agent === undefined) {
      resolve({ ok: false, cause: new Error(`no transport for ${x.url.protocol}`) });
      return;
    }
    const timers: NodeJS.Timeout[] = [];
    let settled = false;
    const settle = (r: ExchangeResult): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      resolve(r);
    };
    const headers: Record<string, string> = { ...x.headers };
    if (x.body !== undefined) headers['content-length'] = String(Buffer.byteLength(x.body));
    const req = (secure ? https : http).request(x.url, { method: x.method, headers, agent });
    const abort = (err: Error): void => {
      settle({ ok: false, cause: err });
      req.destroy(err);
    };
    const timer = (ms: number, phase: AttemptTimeoutError['phase']): NodeJS.Timeout => {
      const t = setTimeout(() => abort(new AttemptTimeoutError(phase, ms)), ms);
      timers.push(t);
      return t;
    };
    const connectTimer = timer(ctx.limits.connectTimeoutMs, 'connect');
    const headersTimer = timer(ctx.limits.headersTimeoutMs, 'headers');
    timer(ctx.limits.totalTimeoutMs, 'total');

    req.on('error', (err) => settle({ ok: false, cause: err }));
    req.on('socket', (socket) => {
      if (ctx.ready.has(socket)) clearTimeout(connectTimer);
      else socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
    });
    req.on('response', (res) => {
      clearTimeout(connectTimer);
      clearTimeout(headersTimer);
      const status = res.statusCode ?? 0;
      const success = status >= 200 && status < 300;
      // Redirect bodies are never needed; error bodies only for a snippet.
      const cap = success
        ? ctx.limits.maxBodyBytes
        : status >= 300 && status < 400
          ? 0
          : ctx.limits.maxErrorBodyBytes;
      const declared = Number(res.headers['content-length']);
      if (success && Number.isFinite(declared) && declared > cap) {
        abort(new BodyTooLargeError(cap));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (): void => {
        settle({ ok: true, response: { status, headers: res.headers, body: Buffer.concat(chunks, size) } });
      };
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        if (size + chunk.length <= cap) {
          chunks.push(chunk);
          size += chunk.length;
          return;
        }
        if (success) {
          abort(new BodyTooLargeError(cap));
          return;
        }
        chunks.push(chunk.subarray(0, cap - size));
        size = cap;
        done();
        req.destroy();
      });
      res.on('end', done);
      res.on('error', (err) => abort(err));
      res.on('close', () => {
        if (!res.complete) abort(new Error('connection closed before the response was complete'));
      });
    });
    req.end(x.body);
  });
}
