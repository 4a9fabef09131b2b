// Loopback backends for the load tests: HTTP servers that answer with their name (and stream on /stream), and a
// TCP echo server. Every server tracks its sockets so a test can close it completely.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';

export interface Backend {
  readonly name: string;
  readonly port: number;
  /** Requests served, by path. */
  readonly served: { count: number };
  close(): Promise<void>;
}

function track(server: Server | TcpServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return sockets;
}

const listen = (server: Server | TcpServer): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : 0);
    });
  });

const closer = (server: Server | TcpServer, sockets: Set<Socket>) => (): Promise<void> =>
  new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });

/**
 * An HTTP backend: `/` answers `<name>\n`; `/healthz` 200; `/stream?chunks=N&ms=M` sends N chunks M ms apart
 * (`<name> i\n` each), so a response can span a configuration change.
 */
export async function httpBackend(name: string): Promise<Backend> {
  const served = { count: 0 };
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/stream') {
      const chunks = Number(url.searchParams.get('chunks') ?? '10');
      const ms = Number(url.searchParams.get('ms') ?? '100');
      res.writeHead(200, { 'content-type': 'text/plain' });
      let i = 0;
      const tick = () => {
        if (i >= chunks) {
          res.end();
          return;
        }
        res.write(`${name} ${i++}\n`);
        setTimeout(tick, ms);
      };
      tick();
      return;
    }
    if (url.pathname !== '/healthz') served.count++;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${name}\n`);
  });
  server.keepAliveTimeout = 60_000;
  const sockets = track(server);
  const port = await listen(server);
  return { name, port, served, close: closer(server, sockets) };
}

/** A TCP backend that echoes every byte back. */
export async function echoBackend(name: string): Promise<Backend> {
  const served = { count: 0 };
  const server = createTcpServer((s) => {
    served.count++;
    s.on('data', (d) => s.write(d));
    s.on('error', () => undefined);
  });
  const sockets = track(server);
  const port = await listen(server);
  return { name, port, served, close: closer(server, sockets) };
}

export async function httpBackends(n: number, prefix = 'b'): Promise<Backend[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => httpBackend(`${prefix}${i}`)));
}
