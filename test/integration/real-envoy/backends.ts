// Small loopback backends for the real-Envoy tests (the clients are in clients.ts).
// Each backend answers with its id, counts the requests it served and records the health checks it saw.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

export interface HealthProbe {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** A loopback backend: answers with its id, counts what it served, records the health checks it saw. */
export class Backend extends EventEmitter {
  /** Requests (or TCP connections) served, health checks excluded. */
  hits = 0;
  readonly probes: HealthProbe[] = [];
  /** Status the health path answers with (HTTP backends). */
  healthStatus = 200;
  /** While set, data requests are answered only when the promise resolves (least_request's busy backend). */
  hold: Promise<void> | undefined;
  #port: number;
  #listening = false;
  readonly #sockets = new Set<net.Socket>();

  /** Listens on `ip`:`port` (port 0: a free one, kept across setListening). */
  constructor(
    readonly id: string,
    private readonly server: net.Server,
    readonly ip = '127.0.0.1',
    port = 0,
  ) {
    super();
    this.#port = port;
    server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.#port, this.ip, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.server.address() as AddressInfo).port;
    this.#listening = true;
    return this;
  }

  /** Stop listening and drop connections (connections are then refused), or listen again on the same port. */
  async setListening(on: boolean): Promise<void> {
    if (on === this.#listening) return;
    if (on) {
      await this.start();
      return;
    }
    this.#listening = false;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }

  close(): Promise<void> {
    return this.setListening(false);
  }

  /**
   * The HTTP handler: the health path answers `healthStatus`; `/stream?chunks=N&ms=M` sends N lines `<id> i`, M ms
   * apart (a response that spans a configuration change); every other path answers the backend's id.
   */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.url === HEALTH_PATH) {
      this.probes.push({ path: req.url, headers: req.headers });
      res.writeHead(this.healthStatus).end('health');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://backend');
    if (url.pathname === '/stream') {
      this.hits++;
      const chunks = Number(url.searchParams.get('chunks') ?? '10');
      const ms = Number(url.searchParams.get('ms') ?? '100');
      res.writeHead(200, { 'content-type': 'text/plain' });
      let i = 0;
      const tick = () => {
        if (i >= chunks || res.destroyed) {
          res.end();
          return;
        }
        res.write(`${this.id} ${i++}\n`);
        setTimeout(tick, ms);
      };
      tick();
      return;
    }
    this.hits++;
    this.emit('hit');
    const answer = () => res.writeHead(200, { 'content-type': 'text/plain' }).end(this.id);
    if (this.hold === undefined) answer();
    else void this.hold.then(answer);
  }
}

export const HEALTH_PATH = '/healthz';

/** `keepAliveTimeoutMs`: how long an idle client connection stays open (default 0.5 s). */
export async function httpBackend(
  id: string,
  ip?: string,
  port?: number,
  keepAliveTimeoutMs = 500,
): Promise<Backend> {
  const server = http.createServer();
  server.keepAliveTimeout = keepAliveTimeoutMs;
  const b = new Backend(id, server, ip, port);
  server.on('request', (req, res) => b.handle(req, res));
  return b.start();
}

export async function httpsBackend(id: string, certPem: string, keyPem: string): Promise<Backend> {
  const server = https.createServer({ cert: certPem, key: keyPem });
  server.keepAliveTimeout = 500;
  const b = new Backend(id, server);
  server.on('request', (req, res) => b.handle(req, res));
  return b.start();
}

/** Writes `<id>\n` to each connection, then echoes what it receives. */
export const tcpBackend = (id: string): Promise<Backend> => tcpServer(id, true);
/** Echoes what it receives, nothing more. */
export const echoBackend = (id: string): Promise<Backend> => tcpServer(id, false);

async function tcpServer(id: string, greeting: boolean): Promise<Backend> {
  const server = net.createServer();
  const b = new Backend(id, server);
  server.on('connection', (s) => {
    b.hits++;
    s.on('error', () => undefined);
    if (greeting) s.write(`${id}\n`);
    s.pipe(s);
  });
  return b.start();
}

export async function closeAll(backends: readonly Backend[]): Promise<void> {
  await Promise.all(backends.map((b) => b.close()));
}

/** One backend of a loopback pool (see loopbackPool). */
export type PoolMember = Backend;

/**
 * A VPSie pool on loopback: the form gives a pool one port, so its backends are HTTP servers on the same port at
 * 127.0.0.1, 127.0.0.2, … (Linux routes all of 127.0.0.0/8 to loopback).
 */
export async function loopbackPool(
  ids: readonly string[],
  freePort: () => Promise<number>,
): Promise<{ port: number; members: PoolMember[] }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const members: PoolMember[] = [];
    try {
      for (const [i, id] of ids.entries()) members.push(await httpBackend(id, `127.0.0.${i + 1}`, port));
      return { port, members };
    } catch {
      await closeAll(members);
    }
  }
  throw new Error('no port free on every loopback address');
}
