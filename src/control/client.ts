import net from 'node:net';
import type { ControlRequest, ControlResponse } from './protocol.ts';

/** Sends one request to the running agent and waits for its answer (a rollback may take a while). */
export function sendControl(
  path: string,
  request: ControlRequest,
  timeoutMs: number,
): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from the agent within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('utf8');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why =
        err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
          ? `no agent is running with this state_dir (${path})`
          : err.code === 'EACCES'
            ? `permission denied on ${path}: run as root or as a member of the agent's group`
            : err.message;
      reject(new Error(why));
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        const parsed = JSON.parse(data) as ControlResponse;
        resolve({ ok: parsed.ok === true, message: String(parsed.message) });
      } catch {
        reject(
          new Error(`the agent answered something that is not a control response: ${data.slice(0, 200)}`),
        );
      }
    });
  });
}
