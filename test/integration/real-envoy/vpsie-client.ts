// Clients for the VPSie-form real-Envoy tests: requests with a Host header (and cookies), HTTPS with a chosen
// SNI name reporting the certificate Envoy presented, HTTP/2 with a chosen SNI name.
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type tls from 'node:tls';

export interface HostReply {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** One HTTP/1.1 request to 127.0.0.1:port with `Host: host` on a new connection. */
export function hostGet(
  port: number,
  host: string,
  options: { path?: string; cookie?: string } = {},
): Promise<HostReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/',
        agent: false,
        timeout: 10_000,
        headers: { host, ...(options.cookie === undefined ? {} : { cookie: options.cookie }) },
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

export interface SniReply extends HostReply {
  /** The CN of the certificate Envoy presented. */
  readonly certificateCn: string;
  readonly alpn: string | false | null;
}

/** HTTPS/1.1 to 127.0.0.1:port with SNI `servername` (omitted when undefined) and `Host: host`. */
export function sniGet(port: number, servername: string | undefined, host: string): Promise<SniReply> {
  return new Promise((resolve, reject) => {
    const options: https.RequestOptions & tls.ConnectionOptions = {
      host: '127.0.0.1',
      port,
      path: '/',
      agent: false,
      rejectUnauthorized: false,
      // Node sends no SNI for an IP literal; '' keeps it out explicitly.
      servername: servername ?? '',
      // Offers both: an https rule must pick http/1.1 (an http2 rule would pick h2).
      ALPNProtocols: ['h2', 'http/1.1'],
      headers: { host },
      timeout: 10_000,
    };
    const req = https.request(options);
    req.on('response', (res) => {
      const socket = res.socket as tls.TLSSocket;
      const cn = socket.getPeerCertificate().subject?.CN;
      const facts = {
        certificateCn: Array.isArray(cn) ? cn.join(',') : String(cn),
        alpn: socket.alpnProtocol,
      };
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

/** One HTTP/2 request (ALPN h2 only) with SNI and :authority `host`. */
export function h2HostGet(port: number, host: string): Promise<SniReply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, {
      servername: host,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
    });
    const fail = (err: Error) => {
      session.destroy();
      reject(err);
    };
    session.on('error', fail);
    const stream = session.request({ ':path': '/', ':authority': host });
    let status = 0;
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => {
      status = Number(h[':status']);
    });
    stream.on('data', (d: string) => {
      body += d;
    });
    stream.on('error', fail);
    stream.on('end', () => {
      const socket = session.socket as tls.TLSSocket;
      const cn = socket.getPeerCertificate().subject?.CN;
      session.close();
      resolve({ status, body, headers: {}, certificateCn: String(cn), alpn: socket.alpnProtocol });
    });
    stream.end();
  });
}

/** One backend of a loopback pool: answers its id; the health path answers `healthStatus`. */
export interface PoolMember {
  readonly id: string;
  readonly ip: string;
  healthStatus: number;
  hits: number;
  close(): Promise<void>;
}

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
      for (const [i, id] of ids.entries()) members.push(await member(id, `127.0.0.${i + 1}`, port));
      return { port, members };
    } catch {
      await Promise.all(members.map((m) => m.close()));
    }
  }
  throw new Error('no port free on every loopback address');
}

async function member(id: string, ip: string, port: number): Promise<PoolMember> {
  const server = http.createServer();
  server.keepAliveTimeout = 500;
  const m: PoolMember = {
    id,
    ip,
    healthStatus: 200,
    hits: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === '/healthz') {
      res.writeHead(m.healthStatus).end('health');
      return;
    }
    m.hits++;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(id);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, ip, () => resolve());
  });
  return m;
}
