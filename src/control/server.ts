// The agent's end of the control channel. Owner and group only (0660 in a 0750 state_dir): the HTTP endpoint stays
// read-only and loopback, and changing what serves needs local privilege.
import { chmod, rm } from 'node:fs/promises';
import net from 'node:net';
import type { Logger } from '../log/logger.ts';
import { errorMessage } from '../util/errors.ts';
import {
  type ControlRequest,
  type ControlResponse,
  MAX_REQUEST_BYTES,
  parseControlRequest,
} from './protocol.ts';

export interface ControlServer {
  close(): Promise<void>;
}

const READ_TIMEOUT_MS = 10_000;

export async function startControlServer(
  path: string,
  handle: (request: ControlRequest) => Promise<ControlResponse>,
  logger: Logger,
): Promise<ControlServer> {
  // A socket file left by an agent that died: nobody listens on it, so it can go.
  await rm(path, { force: true });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.setTimeout(READ_TIMEOUT_MS, () => socket.destroy());
    let buffer = '';
    let answered = false;
    const answer = (response: ControlResponse): void => {
      answered = true;
      socket.end(`${JSON.stringify(response)}\n`);
    };
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      buffer += chunk.toString('utf8');
      if (buffer.length > MAX_REQUEST_BYTES) {
        answer({ ok: false, message: 'request too large' });
        return;
      }
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      const request = parseControlRequest(buffer.slice(0, newline));
      if (typeof request === 'string') {
        answer({ ok: false, message: request });
        return;
      }
      // A rollback can take as long as a hot restart with verification: no read deadline once the request is in.
      socket.setTimeout(0);
      logger.info({ op: request.op }, 'control request');
      handle(request).then(answer, (err: unknown) => answer({ ok: false, message: errorMessage(err) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o660);
  return {
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(path, { force: true });
    },
  };
}
