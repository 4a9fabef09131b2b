// Long-lived connections through Envoy: a streaming HTTP response and an open TCP session, with what the client
// saw at the end (every byte, a clean close, or a reset).
import { request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StreamOutcome {
  readonly status?: number;
  readonly chunks: number;
  readonly complete: boolean;
  /** The client's error, e.g. `ECONNRESET: socket hang up` or `aborted`. */
  readonly error?: string;
  /** After the response: the connection was closed by Envoy without an error (FIN, not RST). */
  readonly closedCleanly: boolean;
  readonly connectionHeader?: string;
}

export interface Stream {
  /** Resolves at the first chunk. */
  readonly started: Promise<void>;
  readonly chunks: () => number;
  readonly done: Promise<StreamOutcome>;
}

/** GET /stream?chunks=N&ms=M on a keep-alive connection; `done` also waits (bounded) for the socket to close. */
export function streamGet(port: number, chunks: number, ms: number, closeWaitMs = 15_000): Stream {
  let count = 0;
  let onStart: () => void = () => undefined;
  const started = new Promise<void>((r) => {
    onStart = r;
  });
  const done = new Promise<StreamOutcome>((resolve) => {
    let socketError: string | undefined;
    let closed = false;
    const req = request({
      host: '127.0.0.1',
      port,
      path: `/stream?chunks=${chunks}&ms=${ms}`,
      headers: { connection: 'keep-alive' },
      agent: false,
    });
    req.on('socket', (s) => {
      s.on('error', (e: NodeJS.ErrnoException) => {
        socketError = `${e.code ?? 'error'}: ${e.message}`;
      });
      s.on('close', () => {
        closed = true;
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({
        chunks: count,
        complete: false,
        error: `${e.code ?? 'error'}: ${e.message}`,
        closedCleanly: false,
      }),
    );
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        count += c.split('\n').filter((l) => l !== '').length;
        onStart();
      });
      res.on('aborted', () => undefined);
      res.on('error', (e) => {
        resolve({
          status: res.statusCode,
          chunks: count,
          complete: false,
          error: e.message,
          closedCleanly: false,
        });
      });
      res.on('end', async () => {
        const deadline = Date.now() + closeWaitMs;
        while (!closed && Date.now() < deadline) await sleep(50);
        resolve({
          status: res.statusCode,
          chunks: count,
          complete: count === chunks,
          ...(socketError === undefined ? {} : { error: socketError }),
          closedCleanly: closed && socketError === undefined,
          connectionHeader: res.headers.connection,
        });
      });
    });
    req.end();
  });
  return { started, chunks: () => count, done };
}

export interface TcpSession {
  /** Sends a line and waits for its echo (bounded). */
  echo(line: string, timeoutMs?: number): Promise<boolean>;
  /** Resolves when the connection ends: `reset` when an error (ECONNRESET) came first. */
  readonly ended: Promise<{ reset: boolean; error?: string }>;
  close(): void;
}

export async function tcpSession(port: number): Promise<TcpSession> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    received += d;
  });
  let error: string | undefined;
  const ended = new Promise<{ reset: boolean; error?: string }>((resolve) => {
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = `${e.code ?? 'error'}: ${e.message}`;
    });
    socket.once('close', () => resolve(error === undefined ? { reset: false } : { reset: true, error }));
  });
  return {
    async echo(line, timeoutMs = 10_000) {
      const want = `${line}\n`;
      received = '';
      socket.write(want);
      const deadline = Date.now() + timeoutMs;
      while (!received.includes(want)) {
        if (Date.now() > deadline || socket.destroyed) return false;
        await sleep(20);
      }
      return true;
    },
    ended,
    close: () => socket.destroy(),
  };
}
