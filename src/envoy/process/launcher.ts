// The launcher service (vpsie-lb-envoy.service) and its client. Envoy with hot restart dies with the process that
// spawned it (PR_SET_PDEATHSIG), so a small, dumb process owns Envoy and outlives agent restarts. Protocol: one
// JSON object per line over a Unix socket.
//   → {"id":1,"op":"spawn","args":["/usr/bin/envoy","-c",…],"env":{…}}   ← {"id":1,"ok":true,"pid":123}
//   → {"id":2,"op":"signal","pid":123,"signal":"SIGTERM"}               ← {"id":2,"ok":true,"delivered":true}
//   → {"id":3,"op":"list"}                                               ← {"id":3,"ok":true,"processes":[…]}
//   → {"id":4,"op":"subscribe"}   ← {"id":4,"ok":true}, then {"event":"exit","process":{…}} per exit
//   any failure                   ← {"id":n,"ok":false,"error":"…"}
// No policy lives here: which epoch, when, and what to do about an exit is the agent's business.
import { chmod, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { z } from 'zod';
import { errorMessage } from '../../util/errors.ts';
import type { ExitListener, ProcessHost, ProcessInfo, SpawnRequest } from './host.ts';

const SIGNALS = ['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT'] as const;

const Request = z.discriminatedUnion('op', [
  z.object({
    id: z.number().int(),
    op: z.literal('spawn'),
    args: z.array(z.string()).min(1),
    env: z.record(z.string(), z.string()).optional(),
  }),
  z.object({
    id: z.number().int(),
    op: z.literal('signal'),
    pid: z.number().int().positive(),
    signal: z.enum(SIGNALS),
  }),
  z.object({ id: z.number().int(), op: z.literal('list') }),
  z.object({ id: z.number().int(), op: z.literal('subscribe') }),
]);

const ProcessInfoJson = z.object({
  pid: z.number().int(),
  args: z.array(z.string()),
  startedAt: z.string(),
  exited: z.boolean().optional(),
  code: z.number().int().nullable().optional(),
  signal: z.string().nullable().optional(),
  outputTail: z.string().optional(),
});

const Reply = z.object({
  id: z.number().int(),
  ok: z.boolean(),
  error: z.string().optional(),
  pid: z.number().int().optional(),
  delivered: z.boolean().optional(),
  processes: z.array(ProcessInfoJson).optional(),
});
const ExitEvent = z.object({ event: z.literal('exit'), process: ProcessInfoJson });

const MAX_LINE = 1024 * 1024;

/** Splits a stream into lines; a line over MAX_LINE ends the connection. */
function onLines(socket: Socket, handle: (line: string) => void): void {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > MAX_LINE) {
      socket.destroy();
      return;
    }
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.trim() !== '') handle(line);
    }
  });
}

/** The service side: serves one ProcessHost (a LocalProcessHost) on a Unix socket, mode 0660 (owner and group). */
export class LauncherServer {
  readonly #host: ProcessHost;
  readonly #server: Server;
  readonly #subscribers = new Set<Socket>();
  readonly #unsubscribe: () => void;

  constructor(host: ProcessHost) {
    this.#host = host;
    this.#server = createServer((socket) => this.#serve(socket));
    this.#unsubscribe = host.onExit((info) => {
      const line = `${JSON.stringify({ event: 'exit', process: info })}\n`;
      for (const s of this.#subscribers) if (!s.destroyed) s.write(line);
    });
  }

  async listen(path: string): Promise<void> {
    // A socket file left by a launcher that died is stale: nothing can be listening on it any more.
    if (!(await canConnect(path))) await rm(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(path, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    // Owner and group only: the agent reaches it through its membership of the launcher's group (envoy), since it
    // runs without CAP_DAC_OVERRIDE; nobody else may command Envoy processes.
    await chmod(path, 0o660);
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    for (const s of this.#subscribers) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #serve(socket: Socket): void {
    socket.on('error', () => undefined);
    socket.on('close', () => this.#subscribers.delete(socket));
    onLines(socket, (line) => void this.#handle(socket, line));
  }

  async #handle(socket: Socket, line: string): Promise<void> {
    let id = 0;
    const reply = (body: Record<string, unknown>): void => {
      if (!socket.destroyed) socket.write(`${JSON.stringify({ id, ...body })}\n`);
    };
    let parsed: z.infer<typeof Request>;
    try {
      const raw: unknown = JSON.parse(line);
      if (typeof raw === 'object' && raw !== null && 'id' in raw && typeof raw.id === 'number') id = raw.id;
      parsed = Request.parse(raw);
    } catch (err) {
      reply({ ok: false, error: `bad request: ${errorMessage(err).slice(0, 300)}` });
      return;
    }
    try {
      switch (parsed.op) {
        case 'spawn': {
          const { pid } = await this.#host.spawn({ args: parsed.args, env: parsed.env });
          reply({ ok: true, pid });
          return;
        }
        case 'signal':
          reply({ ok: true, delivered: await this.#host.signal(parsed.pid, parsed.signal) });
          return;
        case 'list':
          reply({ ok: true, processes: await this.#host.list() });
          return;
        case 'subscribe':
          this.#subscribers.add(socket);
          reply({ ok: true });
          return;
      }
    } catch (err) {
      reply({ ok: false, error: errorMessage(err) });
    }
  }
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The agent side: a ProcessHost whose processes belong to the launcher service and outlive the agent. */
export class LauncherClient implements ProcessHost {
  readonly kind = 'launcher' as const;
  readonly #path: string;
  readonly #timeoutMs: number;
  readonly #listeners = new Set<ExitListener>();
  readonly #pending = new Map<number, (reply: z.infer<typeof Reply> | Error) => void>();
  #socket: Socket | undefined;
  #connecting: Promise<Socket> | undefined;
  #nextId = 1;
  #closed = false;

  constructor(path: string, timeoutMs = 10_000) {
    this.#path = path;
    this.#timeoutMs = timeoutMs;
  }

  /** True when a launcher answers on `path`. */
  static available(path: string): Promise<boolean> {
    return canConnect(path);
  }

  async spawn(request: SpawnRequest): Promise<{ pid: number }> {
    const reply = await this.#call({ op: 'spawn', args: request.args, env: request.env });
    if (reply.pid === undefined) throw new Error('launcher: spawn answered without a pid');
    return { pid: reply.pid };
  }

  async signal(pid: number, signal: NodeJS.Signals): Promise<boolean> {
    return (await this.#call({ op: 'signal', pid, signal })).delivered === true;
  }

  async list(): Promise<ProcessInfo[]> {
    return (await this.#call({ op: 'list' })).processes ?? [];
  }

  onExit(listener: ExitListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    this.#socket?.destroy();
  }

  async #call(body: Record<string, unknown>): Promise<z.infer<typeof Reply>> {
    const socket = await this.#connect();
    const id = this.#nextId++;
    const reply = await new Promise<z.infer<typeof Reply> | Error>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(new Error(`launcher ${String(body.op)}: no answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      socket.write(`${JSON.stringify({ id, ...body })}\n`);
    });
    if (reply instanceof Error) throw reply;
    if (!reply.ok) throw new Error(`launcher ${String(body.op)}: ${reply.error ?? 'failed'}`);
    return reply;
  }

  /** One connection, subscribed to exit events; re-established on the next call after a break. */
  #connect(): Promise<Socket> {
    if (this.#closed) return Promise.reject(new Error('launcher client closed'));
    if (this.#socket !== undefined && !this.#socket.destroyed) return Promise.resolve(this.#socket);
    this.#connecting ??= new Promise<Socket>((resolve, reject) => {
      const socket = connect(this.#path);
      socket.once('error', (err) => {
        this.#connecting = undefined;
        reject(new Error(`launcher at ${this.#path}: ${err.message}`));
      });
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        // The connection must not keep the agent alive on its own.
        socket.unref();
        this.#socket = socket;
        this.#connecting = undefined;
        onLines(socket, (line) => this.#receive(line));
        socket.on('close', () => {
          for (const done of this.#pending.values()) done(new Error('launcher connection closed'));
          this.#pending.clear();
        });
        const id = this.#nextId++;
        this.#pending.set(id, () => undefined);
        socket.write(`${JSON.stringify({ id, op: 'subscribe' })}\n`);
        resolve(socket);
      });
    });
    return this.#connecting;
  }

  #receive(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return;
    }
    const event = ExitEvent.safeParse(raw);
    if (event.success) {
      for (const l of this.#listeners) l(event.data.process);
      return;
    }
    const reply = Reply.safeParse(raw);
    if (!reply.success) return;
    const done = this.#pending.get(reply.data.id);
    this.#pending.delete(reply.data.id);
    done?.(reply.data);
  }
}
