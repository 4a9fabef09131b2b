// A bounded load loop through Envoy: some workers reuse one keep-alive connection each, others open a new
// connection per request. Every failed request (error, reset, status other than 200, short body) is recorded
// with what the client saw, so a test can print exactly what a user would have noticed.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadOptions {
  readonly port: number;
  readonly keepAliveWorkers?: number;
  readonly freshWorkers?: number;
  /** Pause between one worker's requests (keeps a 2-core machine usable). */
  readonly pauseMs?: number;
  /** https with this CA (and SNI/servername), else plain http. */
  readonly tls?: { readonly ca: string; readonly servername?: string };
  readonly path?: string;
}

export interface Failure {
  readonly at: number;
  readonly worker: string;
  readonly what: string;
}

export interface LoadResult {
  readonly ok: number;
  readonly failures: readonly Failure[];
  /** Requests answered per backend name (the body's first word). */
  readonly byBackend: ReadonlyMap<string, number>;
  /** Responses that carried `Connection: close` (Envoy draining a connection). */
  readonly connectionClose: number;
  /** Distinct TCP connections the keep-alive workers used. */
  readonly keepAliveConnections: number;
}

export interface Load {
  /** Requests answered so far. */
  readonly ok: () => number;
  readonly failures: () => readonly Failure[];
  stop(): Promise<LoadResult>;
}

export function startLoad(o: LoadOptions): Load {
  let running = true;
  let ok = 0;
  let connectionClose = 0;
  const failures: Failure[] = [];
  const byBackend = new Map<string, number>();
  const sockets = new WeakSet<object>();
  let keepAliveConnections = 0;
  const request = o.tls === undefined ? httpRequest : httpsRequest;

  const once = (worker: string, agent: HttpAgent | false): Promise<void> =>
    new Promise((resolve) => {
      const fail = (what: string) => {
        failures.push({ at: Date.now(), worker, what });
        resolve();
      };
      const req = request(
        {
          host: '127.0.0.1',
          port: o.port,
          path: o.path ?? '/',
          agent,
          headers: agent === false ? { connection: 'close' } : {},
          ...(o.tls === undefined ? {} : { ca: o.tls.ca, servername: o.tls.servername ?? 'localhost' }),
          timeout: 15_000,
        },
        (res: IncomingMessage) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            body += c;
          });
          res.on('error', (e) => fail(`response: ${e.message}`));
          res.on('end', () => {
            if (agent !== false && res.headers.connection === 'close') connectionClose++;
            if (res.statusCode !== 200) return fail(`status ${res.statusCode}: ${body.slice(0, 120)}`);
            const name = body.trim().split(' ')[0] ?? '';
            if (name === '') return fail('empty body');
            byBackend.set(name, (byBackend.get(name) ?? 0) + 1);
            ok++;
            resolve();
          });
        },
      );
      req.on('socket', (s) => {
        if (agent !== false && !sockets.has(s)) {
          sockets.add(s);
          keepAliveConnections++;
        }
      });
      req.on('timeout', () => req.destroy(new Error('client timeout (15 s)')));
      req.on('error', (e: NodeJS.ErrnoException) => fail(`${e.code ?? 'error'}: ${e.message}`));
      req.end();
    });

  const worker = async (name: string, agent: HttpAgent | false) => {
    while (running) {
      await once(name, agent);
      await sleep(o.pauseMs ?? 5);
    }
  };

  const agents: HttpAgent[] = [];
  const loops: Promise<void>[] = [];
  for (let i = 0; i < (o.keepAliveWorkers ?? 3); i++) {
    const agent =
      o.tls === undefined
        ? new HttpAgent({ keepAlive: true, maxSockets: 1 })
        : new HttpsAgent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    loops.push(worker(`keepalive-${i}`, agent));
  }
  for (let i = 0; i < (o.freshWorkers ?? 2); i++) loops.push(worker(`fresh-${i}`, false));

  return {
    ok: () => ok,
    failures: () => failures,
    async stop() {
      running = false; // idempotent: a test's cleanup may stop it again
      await Promise.all(loops);
      for (const a of agents) a.destroy();
      return { ok, failures, byBackend, connectionClose, keepAliveConnections };
    },
  };
}

/** Waits until the load has answered `n` more requests than now (bounded). */
export async function moreRequests(load: Load, n: number, timeoutMs = 20_000): Promise<void> {
  const target = load.ok() + n;
  const deadline = Date.now() + timeoutMs;
  while (load.ok() < target) {
    if (Date.now() > deadline) throw new Error(`load stalled: ${load.ok()} of ${target} requests answered`);
    await sleep(20);
  }
}
