/**
 * Hot restart, emulated with what Node offers. Shared memory → a directory per scaled base id holding `version`
 * and the `initializing` flag file. Envoy's Unix datagram sockets → Unix stream sockets with the same names,
 * `<socket-path>_<parent|child>_<base_id*10 + epoch%3>`; a leading `@` means the Linux abstract namespace, as in
 * Envoy. When ENVOY_DOUBLE_SHM_DIR is set, abstract names also carry a hash of it, so test runs with different
 * shm dirs are as isolated as two hosts. Listen sockets are not handed over (Node cannot pass FDs here).
 */
import { createHash, randomInt } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Options } from './args.ts';
import type { Journal, Logger } from './log.ts';

/** How the process ends: `config` → the "error initializing configuration" line; `exception` → a bare stderr line. */
export class Fatal extends Error {
  constructor(
    message: string,
    readonly kind: 'config' | 'exception' | 'abort',
  ) {
    super(message);
  }
}

export const HOT_RESTART_VERSION = process.env.ENVOY_DOUBLE_HOT_RESTART_VERSION ?? '11.104';
const MAX_CONCURRENT = 3;

type MessageType = 'shutdown_admin' | 'drain_listeners' | 'terminate';
export interface ShutdownAdminReply {
  readonly originalStartTimeMs: number;
  readonly counters: Record<string, number>;
}

export interface ParentHandlers {
  /** A child started: close admin, terminate our own parent; give the child our start time and counters. */
  shutdownAdmin(): Promise<ShutdownAdminReply>;
  drainListeners(): void;
  terminate(): void;
}

export function shmRoot(): string {
  const fromEnv = process.env.ENVOY_DOUBLE_SHM_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

export function socketAddress(
  socketPath: string,
  role: 'parent' | 'child',
  scaledBaseId: number,
  id: number,
): string {
  const name = `${socketPath}_${role}_${scaledBaseId + (id % MAX_CONCURRENT)}`;
  if (!socketPath.startsWith('@')) return name;
  const dir = process.env.ENVOY_DOUBLE_SHM_DIR;
  const ns = dir ? `envoy_double_${createHash('sha256').update(dir).digest('hex').slice(0, 8)}_` : '';
  return `\0${ns}${name.slice(1)}`;
}

function listen(server: Server, address: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException): void => resolve(err);
    server.once('error', onError);
    server.listen(address, () => {
      server.off('error', onError);
      resolve(undefined);
    });
  });
}

function tryConnect(address: string): Promise<Socket | NodeJS.ErrnoException> {
  return new Promise((resolve) => {
    const s = connect(address);
    s.once('connect', () => {
      s.removeAllListeners('error');
      s.on('error', () => undefined);
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err));
  });
}

/** Newline-delimited JSON requests with ids over one stream. */
class RpcClient {
  private nextId = 1;
  private buf = '';
  private readonly pending = new Map<number, (reply: Record<string, unknown> | undefined) => void>();

  constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buf += chunk;
      for (let i = this.buf.indexOf('\n'); i >= 0; i = this.buf.indexOf('\n')) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        const msg: unknown = JSON.parse(line);
        if (typeof msg === 'object' && msg !== null && 'id' in msg && typeof msg.id === 'number') {
          this.pending.get(msg.id)?.(msg as Record<string, unknown>);
          this.pending.delete(msg.id);
        }
      }
    });
    socket.on('close', () => {
      for (const done of this.pending.values()) done(undefined);
      this.pending.clear();
    });
  }

  /** Resolves undefined when the other side went away. */
  call(type: MessageType): Promise<Record<string, unknown> | undefined> {
    if (this.socket.destroyed) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.write(`${JSON.stringify({ id, type })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export class HotRestarter {
  baseId: number;
  private scaled: number;
  private readonly servers: Server[] = [];
  private readonly fsSockets: string[] = [];
  private shmDir = '';
  private flagPath = '';
  private parent: RpcClient | undefined;
  private handlers: ParentHandlers | undefined;
  private readonly childConns = new Set<Socket>();

  constructor(
    private readonly opts: Options,
    private readonly log: Logger,
    private readonly journal: Journal,
  ) {
    this.baseId = opts.baseId;
    this.scaled = opts.baseId * 10;
  }

  setHandlers(h: ParentHandlers): void {
    this.handlers = h;
  }

  /** Binds our child_ and parent_ sockets, then attaches the shared state and sets INITIALIZING. */
  async init(): Promise<void> {
    if (this.opts.useDynamicBaseId) {
      for (let i = 0; ; i++) {
        if (i === 100) throw new Fatal('unable to select a dynamic base id', 'exception');
        this.baseId = randomInt(1, 1_000_000);
        this.scaled = this.baseId * 10;
        const err = await this.bindSockets();
        if (err === undefined) break;
        await this.closeServers();
      }
    } else {
      const err = await this.bindSockets();
      if (err !== undefined) {
        throw new Fatal(
          `unable to bind domain socket with base_id=${this.scaled}, id=${this.opts.restartEpoch % MAX_CONCURRENT}, errno=${err} (see --base-id option)`,
          'exception',
        );
      }
    }
    if (this.opts.baseIdPath !== '') writeFileSync(this.opts.baseIdPath, String(this.baseId));
    this.attachSharedMemory();
  }

  /** errno of a failed bind, undefined when both bound. */
  private async bindSockets(): Promise<number | undefined> {
    const epoch = this.opts.restartEpoch;
    for (const role of ['child', 'parent'] as const) {
      const address = socketAddress(this.opts.socketPath, role, this.scaled, epoch);
      // Envoy unlinks a filesystem socket path before binding; abstract names cannot be stolen.
      if (!address.startsWith('\0')) {
        rmSync(address, { force: true });
        this.fsSockets.push(address);
      }
      const server = createServer((sock) => (role === 'parent' ? this.serveChild(sock) : sock.destroy()));
      const err = await listen(server, address);
      if (err !== undefined) return err.code === 'EADDRINUSE' ? 98 : (err.errno ?? -1) * -1;
      this.servers.push(server);
    }
    return undefined;
  }

  private attachSharedMemory(): void {
    this.shmDir = join(shmRoot(), `envoy_double_shared_memory_${this.scaled}`);
    this.flagPath = join(this.shmDir, 'initializing');
    if (this.opts.restartEpoch === 0) {
      rmSync(this.shmDir, { recursive: true, force: true });
      mkdirSync(this.shmDir, { recursive: true });
      writeFileSync(join(this.shmDir, 'version'), HOT_RESTART_VERSION);
    } else {
      let version: string;
      try {
        version = readFileSync(join(this.shmDir, 'version'), 'utf8');
      } catch {
        throw new Fatal(
          `cannot open shared memory region /envoy_shared_memory_${this.scaled} check user permissions. Error: No such file or directory`,
          'abort',
        );
      }
      if (version !== HOT_RESTART_VERSION) throw new Fatal('Hot restart version mismatch', 'abort');
    }
    try {
      closeSync(openSync(this.flagPath, 'wx'));
    } catch {
      throw new Fatal('previous envoy process is still initializing', 'exception');
    }
  }

  /** The child side of step 3: reach parent N-1 (10 tries), ask it to shut down its admin. */
  async shutdownParentAdmin(): Promise<ShutdownAdminReply | undefined> {
    const epoch = this.opts.restartEpoch;
    if (epoch === 0) return undefined;
    const address = socketAddress(this.opts.socketPath, 'parent', this.scaled, epoch - 1);
    const retryMs = Number(process.env.ENVOY_DOUBLE_RETRY_MS ?? '1000');
    for (let attempt = 1; ; attempt++) {
      const res = await tryConnect(address);
      if (!(res instanceof Error)) {
        this.parent = new RpcClient(res);
        break;
      }
      if (this.opts.skipHotRestartOnNoParent) {
        this.log.warn('main', 'hot restart: no parent found, starting without a handoff');
        return undefined;
      }
      if (attempt === 10) throw new Fatal(`hot restart sendmsg() failed: Connection refused`, 'abort');
      this.log.warn('main', 'hot restart sendmsg() connection refused, retrying');
      await sleep(Number.isFinite(retryMs) ? retryMs : 1000);
    }
    const reply = await this.parent.call('shutdown_admin');
    if (reply === undefined) return undefined;
    const counters: Record<string, number> = {};
    if (typeof reply.counters === 'object' && reply.counters !== null) {
      for (const [k, v] of Object.entries(reply.counters)) if (typeof v === 'number') counters[k] = v;
    }
    const start = typeof reply.originalStartTimeMs === 'number' ? reply.originalStartTimeMs : Date.now();
    return { originalStartTimeMs: start, counters };
  }

  /** Step 5: we are LIVE. */
  async drainParentAndClearInitializing(): Promise<void> {
    await this.parent?.call('drain_listeners');
    rmSync(this.flagPath, { force: true });
  }

  /** Step 6, and what a parent does to its own parent when a child shows up. */
  async terminateParent(): Promise<void> {
    const p = this.parent;
    if (p === undefined) return;
    this.parent = undefined;
    await p.call('terminate');
    p.close();
  }

  private serveChild(sock: Socket): void {
    this.childConns.add(sock);
    sock.on('close', () => this.childConns.delete(sock));
    sock.setEncoding('utf8');
    sock.on('error', () => undefined);
    let buf = '';
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        void this.handle(sock, line);
      }
    });
  }

  private async handle(sock: Socket, line: string): Promise<void> {
    const msg: unknown = JSON.parse(line);
    if (typeof msg !== 'object' || msg === null || !('id' in msg) || !('type' in msg)) return;
    const h = this.handlers;
    if (h === undefined) return;
    const reply = (extra: object): void => {
      if (!sock.destroyed) sock.write(`${JSON.stringify({ id: msg.id, ...extra })}\n`);
    };
    switch (msg.type) {
      case 'shutdown_admin':
        this.journal.write('admin shut down', 'child started');
        reply(await h.shutdownAdmin());
        break;
      case 'drain_listeners':
        h.drainListeners();
        reply({});
        break;
      case 'terminate':
        reply({});
        h.terminate();
        break;
    }
  }

  private async closeServers(): Promise<void> {
    for (const c of this.childConns) c.destroy();
    const all = this.servers.splice(0);
    await Promise.all(all.map((s) => new Promise((r) => s.close(r))));
  }

  async close(): Promise<void> {
    this.parent?.close();
    await this.closeServers();
    for (const p of this.fsSockets) {
      try {
        unlinkSync(p);
      } catch {
        // already gone
      }
    }
  }
}
