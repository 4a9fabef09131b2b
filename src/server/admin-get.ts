/**
 * A bounded GET against Envoy's admin listener (loopback): at most `maxBytes` of body, at most `timeoutMs` in all,
 * abortable. A small stand-in so this folder needs nothing from `src/envoy/admin/`; the integrator may swap in the
 * admin client behind the same structural interfaces.
 */
import http from 'node:http';
import type { HostPort } from '../config/types.ts';

export type AdminGetErrorKind = 'unavailable' | 'timeout' | 'too_large' | 'status';

export class AdminGetError extends Error {
  readonly kind: AdminGetErrorKind;
  constructor(kind: AdminGetErrorKind, message: string) {
    super(message);
    this.name = 'AdminGetError';
    this.kind = kind;
  }
}

export interface AdminGetOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
}

export function adminGet(admin: HostPort, path: string, opts: AdminGetOptions): Promise<string> {
  const where = `envoy admin ${formatHostPort(admin)}${path}`;
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    const finish = (err: AdminGetError | undefined, text?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err !== undefined) {
        req.destroy();
        reject(err);
      } else resolve(text ?? '');
    };
    const onAbort = (): void => finish(new AdminGetError('timeout', `${where}: aborted`));
    const timer = setTimeout(
      () => finish(new AdminGetError('timeout', `${where}: no complete answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    timer.unref();
    const req = http.get(
      { host: admin.host, port: admin.port, path, agent: false, headers: { accept: 'text/plain' } },
      (res) => {
        const status = res.statusCode ?? 0;
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > opts.maxBytes) {
          finish(
            new AdminGetError(
              'too_large',
              `${where}: response of ${declared} bytes exceeds ${opts.maxBytes}`,
            ),
          );
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > opts.maxBytes) {
            finish(new AdminGetError('too_large', `${where}: response exceeds ${opts.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (status !== 200) {
            finish(new AdminGetError('status', `${where}: HTTP ${status}: ${text.slice(0, 200).trim()}`));
          } else finish(undefined, text);
        });
        res.on('error', (err) => finish(new AdminGetError('unavailable', `${where}: ${err.message}`)));
      },
    );
    req.on('error', (err) => finish(new AdminGetError('unavailable', `${where}: ${err.message}`)));
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
