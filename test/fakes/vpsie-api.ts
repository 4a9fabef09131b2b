// A scriptable fake of the VPSie API: real HTTPS (and optionally HTTP) on 127.0.0.1 with a CA and leaf certificate
// made at run time. Records every request. Reused by the end-to-end tests.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { makeCert } from '../helpers/certs.ts';

export interface ScriptedResponse {
  /** Only requests matching this take the response (default: the next request of any kind). */
  readonly match?: { readonly method?: string; readonly pathIncludes?: string };
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Wait this long before answering. */
  readonly delayMs?: number;
  /** Never finish: hold the socket open before or after sending the headers. */
  readonly stall?: 'before_headers' | 'after_headers';
  /** 200 whose body arrives one byte per interval (Content-Length announces `bytes`). */
  readonly dribble?: { readonly bytes: number; readonly intervalMs: number };
  /** 200 streaming this many bytes of JSON-ish filler, honouring backpressure. */
  readonly hugeBodyBytes?: number;
  /** Drop the connection without answering. */
  readonly destroySocket?: boolean;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** Which listener took it. */
  readonly scheme: 'https' | 'http';
}

/** Progress of the last streamed huge body, as the server saw it. */
export interface StreamProgress {
  bytesWritten: number;
  finished: boolean;
  closedEarly: boolean;
  /** Resolves once the stream has ended one way or the other. */
  readonly done: Promise<void>;
}

export interface FakeVpsieApiOptions {
  /** Also listen for plain http (for development-mode tests). */
  readonly http?: boolean;
  /** Bearer token expected on every request; undefined accepts anything. */
  readonly apiKey?: string;
  readonly loadbalancerId?: string;
  /** Path prefix the API lives under (default /v2). */
  readonly prefix?: string;
  /** Where (under the prefix) the spec is served, `{id}` for the id; default /loadbalancers/{id}. Reports keep theirs. */
  readonly specPath?: string;
  /** How the key must arrive: `Authorization: Bearer` (default) or `Vpsie-Auth`. */
  readonly authScheme?: 'bearer' | 'vpsie-auth';
}

const etagOf = (text: string): string => `"${createHash('sha256').update(text).digest('hex').slice(0, 16)}"`;

export class FakeVpsieApi {
  readonly requests: RecordedRequest[] = [];
  /** TCP connections accepted, per listener. */
  tcpConnections = 0;
  /** TLS handshakes completed on the https listener. */
  tlsHandshakes = 0;
  lastStream: StreamProgress | undefined;
  readonly #script: ScriptedResponse[] = [];
  readonly #sockets = new Set<net.Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #outage: ScriptedResponse | undefined;
  #spec = '{}';
  /** The id the default routes answer for (404 for any other). */
  loadbalancerId: string;
  #etag: string | undefined = etagOf('{}');

  private constructor(
    readonly caPem: string,
    readonly options: FakeVpsieApiOptions,
    private readonly httpsServer: https.Server,
    private readonly httpServer: http.Server | undefined,
  ) {
    this.loadbalancerId = options.loadbalancerId ?? 'lb-1';
  }

  static async start(options: FakeVpsieApiOptions = {}): Promise<FakeVpsieApi> {
    const ca = await makeCert({ isCa: true, commonName: 'Fake VPSie CA' });
    const leaf = await makeCert({
      issuer: ca,
      commonName: 'fake.vpsie.test',
      dnsNames: ['localhost', 'fake.vpsie.test'],
      ips: ['127.0.0.1', '::1'],
    });
    const httpsServer = https.createServer({ key: leaf.keyPem, cert: leaf.certPem });
    const httpServer = options.http ? http.createServer() : undefined;
    const api = new FakeVpsieApi(ca.certPem, options, httpsServer, httpServer);
    for (const [server, scheme] of [
      [httpsServer, 'https'],
      [httpServer, 'http'],
    ] as const) {
      if (server === undefined) continue;
      server.on('connection', (socket: net.Socket) => {
        api.tcpConnections++;
        api.#sockets.add(socket);
        socket.on('close', () => api.#sockets.delete(socket));
      });
      server.on('request', (req, res) => api.#onRequest(req, res, scheme));
      if (scheme === 'https') server.on('secureConnection', () => api.tlsHandshakes++);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    }
    return api;
  }

  get port(): number {
    return (this.httpsServer.address() as AddressInfo).port;
  }

  get httpPort(): number {
    if (!this.httpServer) throw new Error('fake started without http');
    return (this.httpServer.address() as AddressInfo).port;
  }

  get prefix(): string {
    return this.options.prefix ?? '/v2';
  }

  /** The api_url to configure: `https://127.0.0.1:<port>/v2`. */
  get url(): string {
    return `https://127.0.0.1:${this.port}${this.prefix}`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}${this.prefix}`;
  }

  /** The document served for GET /loadbalancers/{id}; ETag defaults to a content hash, `null` sends none. */
  setSpec(doc: unknown, etag?: string | null): void {
    this.#spec = typeof doc === 'string' ? doc : JSON.stringify(doc);
    this.#etag = etag === null ? undefined : (etag ?? etagOf(this.#spec));
  }

  /** Queue responses; each is used once, in order, by the first request it matches. */
  script(...responses: ScriptedResponse[]): void {
    this.#script.push(...responses);
  }

  /**
   * While set, every request matching `response.match` gets `response` (not consumed): an outage that lasts until
   * cleared with `setOutage(undefined)`. Scripted responses take precedence.
   */
  setOutage(response: ScriptedResponse | undefined): void {
    this.#outage = response;
  }

  clearScript(): void {
    this.#script.length = 0;
  }

  pendingScript(): number {
    return this.#script.length;
  }

  #matching(suffix: string, method: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.endsWith(suffix));
  }

  #lbPath(): string {
    return `${this.prefix}/loadbalancers/${encodeURIComponent(this.loadbalancerId)}`;
  }

  #specPath(): string {
    const path = this.options.specPath ?? '/loadbalancers/{id}';
    return `${this.prefix}${path.replace('{id}', encodeURIComponent(this.loadbalancerId))}`;
  }

  /** Bodies of successfully stored event POSTs, parsed. */
  readonly events: unknown[] = [];
  readonly statusUpdates: unknown[] = [];
  readonly healthUpdates: { backendId: string; body: unknown }[] = [];
  readonly metrics: unknown[] = [];

  specRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'GET' && r.path === this.#specPath());
  }

  eventRequests(): RecordedRequest[] {
    return this.#matching('/events', 'POST');
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    for (const s of this.#sockets) s.destroy();
    const closing = [this.httpsServer, this.httpServer].map(
      (s) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve())),
    );
    await Promise.all(closing);
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #onRequest(req: http.IncomingMessage, res: http.ServerResponse, scheme: 'https' | 'http'): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1024 * 1024) chunks.push(c);
    });
    req.on('end', () => {
      const rec: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        scheme,
      };
      this.requests.push(rec);
      const matches = (s: ScriptedResponse): boolean =>
        (s.match?.method === undefined || s.match.method === rec.method) &&
        (s.match?.pathIncludes === undefined || rec.path.includes(s.match.pathIncludes));
      const i = this.#script.findIndex(matches);
      if (i >= 0) {
        const [scripted] = this.#script.splice(i, 1);
        this.#scripted(scripted!, req, res);
      } else if (this.#outage !== undefined && matches(this.#outage)) {
        this.#scripted(this.#outage, req, res);
      } else {
        this.#default(rec, res);
      }
    });
  }

  #scripted(s: ScriptedResponse, req: http.IncomingMessage, res: http.ServerResponse): void {
    const run = (): void => {
      if (s.destroySocket) {
        req.socket.destroy();
        return;
      }
      if (s.stall === 'before_headers') return;
      if (s.hugeBodyBytes !== undefined) {
        this.#streamHuge(s.hugeBodyBytes, res);
        return;
      }
      if (s.dribble !== undefined) {
        this.#dribble(s.dribble.bytes, s.dribble.intervalMs, res);
        return;
      }
      const body = s.body ?? '';
      res.writeHead(s.status ?? 200, { 'content-length': String(Buffer.byteLength(body)), ...s.headers });
      if (s.stall === 'after_headers') {
        res.flushHeaders();
        res.write(typeof body === 'string' ? body.slice(0, 1) : body.subarray(0, 1));
        return;
      }
      res.end(body);
    };
    if (s.delayMs) this.#later(s.delayMs, run);
    else run();
  }

  #streamHuge(total: number, res: http.ServerResponse): void {
    let resolveDone!: () => void;
    const progress: StreamProgress = {
      bytesWritten: 0,
      finished: false,
      closedEarly: false,
      done: new Promise<void>((r) => {
        resolveDone = r;
      }),
    };
    this.lastStream = progress;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no Content-Length to pre-check
    res.on('close', () => {
      if (!progress.finished) progress.closedEarly = true;
      resolveDone();
    });
    const pump = (): void => {
      // Bounded: at most total / chunk iterations, pausing whenever the socket pushes back.
      while (progress.bytesWritten < total && !res.destroyed) {
        const part = chunk.subarray(0, Math.min(chunk.length, total - progress.bytesWritten));
        progress.bytesWritten += part.length;
        if (!res.write(part)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed && progress.bytesWritten >= total) {
        progress.finished = true;
        res.end();
      }
    };
    pump();
  }

  #dribble(bytes: number, intervalMs: number, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-length': String(bytes), 'content-type': 'application/json' });
    res.flushHeaders();
    let sent = 0;
    const tick = (): void => {
      if (res.destroyed || sent >= bytes) return;
      res.write(' ');
      sent++;
      if (sent >= bytes) res.end();
      else this.#later(intervalMs, tick);
    };
    this.#later(intervalMs, tick);
  }

  #default(rec: RecordedRequest, res: http.ServerResponse): void {
    const send = (status: number, body = '', headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
      res.end(body);
    };
    const key = this.options.apiKey;
    const authorized =
      this.options.authScheme === 'vpsie-auth'
        ? rec.headers['vpsie-auth'] === key && rec.headers.authorization === undefined
        : rec.headers.authorization === `Bearer ${key}`;
    if (key !== undefined && !authorized) {
      send(401, '{"error":"unauthorized"}', { 'content-type': 'application/json' });
      return;
    }
    const lb = this.#lbPath();
    const parse = (): unknown => {
      try {
        return JSON.parse(rec.body);
      } catch {
        return rec.body;
      }
    };
    if (rec.method === 'GET' && rec.path === this.#specPath()) {
      if (this.#etag !== undefined && rec.headers['if-none-match'] === this.#etag) {
        send(304, '', { etag: this.#etag });
        return;
      }
      send(200, this.#spec, {
        'content-type': 'application/json',
        ...(this.#etag === undefined ? {} : { etag: this.#etag }),
      });
      return;
    }
    if (rec.method === 'POST' && rec.path === `${lb}/events`) {
      this.events.push(parse());
      send(201, '{}');
      return;
    }
    if (rec.method === 'PUT' && rec.path === `${lb}/status`) {
      this.statusUpdates.push(parse());
      send(204);
      return;
    }
    const health = rec.path.startsWith(`${lb}/backends/`) && rec.path.endsWith('/health');
    if (rec.method === 'PUT' && health) {
      const backendId = decodeURIComponent(rec.path.slice(`${lb}/backends/`.length, -'/health'.length));
      this.healthUpdates.push({ backendId, body: parse() });
      send(204);
      return;
    }
    if (rec.method === 'POST' && rec.path === `${lb}/metrics`) {
      this.metrics.push(parse());
      send(204);
      return;
    }
    send(404, '{"error":"not found"}');
  }
}

/** A TCP server on 127.0.0.1 that accepts connections and never says a word (no TLS handshake either). */
export async function startSilentServer(): Promise<{
  port: number;
  connections: () => number;
  close: () => Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((s) => {
    count++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => count,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
