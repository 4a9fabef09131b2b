// Small loopback backends for the real-Envoy tests, and clients that talk to Envoy the way a user would.
// Each backend answers with its id, counts the requests it served and records the health checks it saw.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';

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
  #port = 0;
  #listening = false;
  readonly #sockets = new Set<net.Socket>();

  constructor(
    readonly id: string,
    private readonly server: net.Server,
  ) {
    super();
    server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(this.#port, '127.0.0.1', r));
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

  /** The HTTP handler: the health path answers `healthStatus`, every other path the backend's id. */
  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.url === HEALTH_PATH) {
      this.probes.push({ path: req.url, headers: req.headers });
      res.writeHead(this.healthStatus).end('health');
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

export async function httpBackend(id: string): Promise<Backend> {
  const server = http.createServer();
  server.keepAliveTimeout = 500;
  const b = new Backend(id, server);
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
export async function tcpBackend(id: string): Promise<Backend> {
  const server = net.createServer();
  const b = new Backend(id, server);
  server.on('connection', (s) => {
    b.hits++;
    s.on('error', () => undefined);
    s.write(`${id}\n`);
    s.pipe(s);
  });
  return b.start();
}

export async function closeAll(backends: readonly Backend[]): Promise<void> {
  await Promise.all(backends.map((b) => b.close()));
}

export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** One HTTP/1.1 request on a new connection to Envoy at 127.0.0.1:port. */
export function get(
  port: number,
  options: { path?: string; localAddress?: string; timeoutMs?: number } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        agent: false,
        localAddress: options.localAddress,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to :${port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** `n` sequential requests; the body (backend id) of each, counted. */
export async function tally(
  port: number,
  n: number,
  options: { localAddress?: string } = {},
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const r = await get(port, options);
    const key = r.status === 200 ? r.body : `status ${r.status}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** A TCP connection to Envoy; resolves with the first line the backend wrote (its id). */
export function tcpHello(
  port: number,
  options: { localAddress?: string; timeoutMs?: number } = {},
): Promise<{ id: string; socket: net.Socket }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: options.localAddress });
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no greeting through :${port}`));
    }, options.timeoutMs ?? 10_000);
    socket.setEncoding('utf8');
    socket.on('data', function onData(d: string) {
      text += d;
      const nl = text.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve({ id: text.slice(0, nl), socket });
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`connection through :${port} closed before a greeting`));
    });
  });
}

export interface TlsSession {
  readonly socket: tls.TLSSocket;
  readonly protocol: string | null;
  readonly alpn: string | false | null;
}

/** A TLS handshake with Envoy at 127.0.0.1:port (the socket stays open; end it yourself). */
export function tlsConnect(port: number, options: tls.ConnectionOptions = {}): Promise<TlsSession> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'lb.example.test',
      rejectUnauthorized: false,
      ...options,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`TLS handshake with :${port} timed out`));
    }, 10_000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      resolve({
        socket,
        protocol: socket.getProtocol(),
        alpn: socket.alpnProtocol,
      });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** One HTTPS/1.1 request on a new TLS connection to 127.0.0.1:port; TLS options as for tls.connect. */
export function httpsGet(port: number, options: tls.ConnectionOptions = {}): Promise<Reply & TlsFacts> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1',
      port,
      path: '/',
      agent: false,
      servername: 'lb.example.test',
      timeout: 10_000,
      ...(options as https.RequestOptions),
    });
    req.on('response', (res) => {
      const socket = res.socket as tls.TLSSocket;
      const facts = { protocol: socket.getProtocol(), alpn: socket.alpnProtocol };
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, ...facts }));
    });
    req.on('timeout', () => req.destroy(new Error(`request to :${port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export interface TlsFacts {
  readonly protocol: string | null;
  readonly alpn: string | false | null;
}

/** One HTTP/2 request (ALPN h2) to 127.0.0.1:port. */
export function h2Get(port: number, options: tls.ConnectionOptions = {}): Promise<Reply & TlsFacts> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, {
      servername: 'lb.example.test',
      ...(options as http2.SecureClientSessionOptions),
    });
    const fail = (err: Error) => {
      session.destroy();
      reject(err);
    };
    session.on('error', fail);
    const stream = session.request({ ':path': '/' });
    let status = 0;
    let headers: http.IncomingHttpHeaders = {};
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => {
      status = Number(h[':status']);
      headers = h as http.IncomingHttpHeaders;
    });
    stream.on('data', (d: string) => {
      body += d;
    });
    stream.on('error', fail);
    stream.on('end', () => {
      const socket = session.socket as tls.TLSSocket;
      const facts = { protocol: socket.getProtocol(), alpn: socket.alpnProtocol };
      session.close();
      resolve({ status, body, headers, ...facts });
    });
    stream.end();
  });
}
