// Clients that talk to the real Envoy the way a user would: HTTP/1.1 (with a Host header or cookies), raw TCP, TLS
// handshakes, HTTPS and HTTP/2 reporting what TLS was negotiated and which certificate Envoy presented.
import type http from 'node:http';
import { request as httpRequest } from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';

export interface Reply {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

export interface TlsFacts {
  readonly protocol: string | null;
  readonly alpn: string | false | null;
  /** The CN of the certificate Envoy presented. */
  readonly certificateCn: string;
}

function tlsFacts(socket: tls.TLSSocket): TlsFacts {
  const cn = socket.getPeerCertificate().subject?.CN;
  return {
    protocol: socket.getProtocol(),
    alpn: socket.alpnProtocol,
    certificateCn: Array.isArray(cn) ? cn.join(',') : String(cn),
  };
}

/** Sends `req` and resolves with the response once its body has arrived. */
function send(req: http.ClientRequest, port: number): Promise<{ res: http.IncomingMessage; reply: Reply }> {
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () =>
        resolve({ res, reply: { status: res.statusCode ?? 0, body, headers: res.headers } }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request to :${port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** One HTTP/1.1 request on a new connection to Envoy at 127.0.0.1:port. */
export async function get(
  port: number,
  options: {
    path?: string;
    localAddress?: string;
    timeoutMs?: number;
    headers?: http.OutgoingHttpHeaders;
  } = {},
): Promise<Reply> {
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    path: options.path ?? '/',
    agent: false,
    localAddress: options.localAddress,
    timeout: options.timeoutMs ?? 10_000,
    headers: options.headers,
  });
  return (await send(req, port)).reply;
}

/** One HTTP/1.1 request to 127.0.0.1:port with `Host: host` on a new connection. */
export function hostGet(
  port: number,
  host: string,
  options: { path?: string; cookie?: string } = {},
): Promise<Reply> {
  const headers = { host, ...(options.cookie === undefined ? {} : { cookie: options.cookie }) };
  return get(port, { path: options.path, headers });
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

/** One HTTPS/1.1 request on a new TLS connection to 127.0.0.1:port; TLS options (and headers) as for https.request. */
export async function httpsGet(
  port: number,
  options: tls.ConnectionOptions & { headers?: http.OutgoingHttpHeaders } = {},
): Promise<Reply & TlsFacts> {
  const req = https.request({
    host: '127.0.0.1',
    port,
    path: '/',
    agent: false,
    servername: 'lb.example.test',
    timeout: 10_000,
    ...(options as https.RequestOptions),
  });
  const { res, reply } = await send(req, port);
  return { ...reply, ...tlsFacts(res.socket as tls.TLSSocket) };
}

/** HTTPS/1.1 to 127.0.0.1:port with SNI `servername` (omitted when undefined) and `Host: host`. */
export function sniGet(
  port: number,
  servername: string | undefined,
  host: string,
): Promise<Reply & TlsFacts> {
  return httpsGet(port, {
    rejectUnauthorized: false,
    // Node sends no SNI for an IP literal; '' keeps it out explicitly.
    servername: servername ?? '',
    // Offers both: an https rule must pick http/1.1 (an http2 rule would pick h2).
    ALPNProtocols: ['h2', 'http/1.1'],
    headers: { host },
  });
}

/** One request on an open HTTP/2 session; resolves when its stream ends. */
export function h2Request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders = { ':path': '/' },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    let status = 0;
    let responseHeaders: http.IncomingHttpHeaders = {};
    let body = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => {
      status = Number(h[':status']);
      responseHeaders = h as http.IncomingHttpHeaders;
    });
    stream.on('data', (d: string) => {
      body += d;
    });
    stream.on('error', reject);
    stream.on('end', () => resolve({ status, body, headers: responseHeaders }));
    stream.end();
  });
}

/** One HTTP/2 request (ALPN h2) to 127.0.0.1:port on a new session; `headers` as for session.request. */
export function h2Get(
  port: number,
  options: tls.ConnectionOptions = {},
  headers: http2.OutgoingHttpHeaders = { ':path': '/' },
): Promise<Reply & TlsFacts> {
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
    h2Request(session, headers).then((reply) => {
      const facts = tlsFacts(session.socket as tls.TLSSocket);
      session.close();
      resolve({ ...reply, ...facts });
    }, fail);
  });
}

/** One HTTP/2 request (ALPN h2 only) with SNI and :authority `host`. */
export function h2HostGet(port: number, host: string): Promise<Reply & TlsFacts> {
  return h2Get(
    port,
    { servername: host, rejectUnauthorized: false, ALPNProtocols: ['h2'] },
    { ':path': '/', ':authority': host },
  );
}
