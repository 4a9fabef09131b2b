// Something that starts and signals processes and says when they end. The agent's policy (epochs, gating, restart)
// talks only to this interface: in production to the launcher service, in the fallback and in tests directly.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface SpawnRequest {
  /** argv[0] is the executable. */
  readonly args: readonly string[];
  /** Added to the host's own environment. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ProcessInfo {
  readonly pid: number;
  readonly args: readonly string[];
  readonly startedAt: string;
  readonly exited?: boolean;
  readonly code?: number | null;
  readonly signal?: string | null;
  /** The last few KiB of the process's stderr/stdout (Envoy logs there), once it has exited. */
  readonly outputTail?: string;
}

export type ExitListener = (info: ProcessInfo) => void;

export interface ProcessHost {
  /** 'local' processes die with this process (Envoy's PR_SET_PDEATHSIG); 'launcher' ones outlive the agent. */
  readonly kind: 'local' | 'launcher';
  spawn(request: SpawnRequest): Promise<{ pid: number }>;
  /** False when the process is not (or no longer) known and running. */
  signal(pid: number, signal: NodeJS.Signals): Promise<boolean>;
  /** Running processes plus the most recently exited ones. */
  list(): Promise<ProcessInfo[]>;
  /** Called once per process exit. Returns an unsubscribe function. */
  onExit(listener: ExitListener): () => void;
  /** Releases connections and handles; running processes are left alone. */
  close(): Promise<void>;
}

const TAIL_BYTES = 8192;
const KEEP_EXITED = 50;
const KEEP_LOGS = 40;

/** Reads the end of a file (best effort). */
export function readTail(path: string, bytes = TAIL_BYTES): string {
  try {
    const text = readFileSync(path);
    return text.subarray(Math.max(0, text.length - bytes)).toString('utf8');
  } catch {
    return '';
  }
}

export interface LocalProcessHostOptions {
  /** Each process's stdout/stderr go to a file here (a file, not a pipe: the process must outlive its host). */
  readonly logDir: string;
}

interface Entry {
  info: ProcessInfo;
  readonly logPath: string;
}

/** Spawns processes itself. Used inside the launcher service, by the agent's fallback and by tests. */
export class LocalProcessHost implements ProcessHost {
  readonly kind = 'local' as const;
  readonly #logDir: string;
  readonly #entries = new Map<number, Entry>();
  readonly #listeners = new Set<ExitListener>();
  #seq = 0;

  constructor(options: LocalProcessHostOptions) {
    this.#logDir = options.logDir;
  }

  spawn(request: SpawnRequest): Promise<{ pid: number }> {
    const [command, ...args] = request.args;
    if (command === undefined) return Promise.reject(new Error('spawn: empty argument list'));
    mkdirSync(this.#logDir, { recursive: true, mode: 0o750 });
    this.#pruneLogs();
    const logPath = join(this.#logDir, `process-${Date.now()}-${process.pid}-${++this.#seq}.log`);
    const fd = openSync(logPath, 'a', 0o640);
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        env: { ...process.env, ...request.env },
        stdio: ['ignore', fd, fd],
        // Its own process group: a Ctrl-C or group kill aimed at the agent does not reach Envoy.
        detached: true,
      });
      closeSync(fd);
      child.once('error', (err) => reject(err));
      child.once('spawn', () => {
        const pid = child.pid;
        if (pid === undefined) {
          reject(new Error(`spawn ${command}: no pid`));
          return;
        }
        const entry: Entry = {
          info: { pid, args: [...request.args], startedAt: new Date().toISOString() },
          logPath,
        };
        this.#entries.set(pid, entry);
        child.once('exit', (code, signal) => {
          entry.info = { ...entry.info, exited: true, code, signal, outputTail: readTail(logPath) };
          this.#trimExited();
          for (const l of this.#listeners) l(entry.info);
        });
        // The handle must not keep the agent alive; exit events still arrive while anything else runs.
        child.unref();
        resolve({ pid });
      });
    });
  }

  async signal(pid: number, signal: NodeJS.Signals): Promise<boolean> {
    const entry = this.#entries.get(pid);
    if (entry === undefined || entry.info.exited) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  async list(): Promise<ProcessInfo[]> {
    return [...this.#entries.values()].map((e) =>
      e.info.exited ? e.info : { ...e.info, outputTail: readTail(e.logPath, 2048) },
    );
  }

  onExit(listener: ExitListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }

  #trimExited(): void {
    const exited = [...this.#entries.values()].filter((e) => e.info.exited);
    for (const e of exited.slice(0, Math.max(0, exited.length - KEEP_EXITED)))
      this.#entries.delete(e.info.pid);
  }

  #pruneLogs(): void {
    let names: string[];
    try {
      names = readdirSync(this.#logDir).filter((n) => n.startsWith('process-'));
    } catch {
      return;
    }
    if (names.length < KEEP_LOGS) return;
    const live = new Set([...this.#entries.values()].filter((e) => !e.info.exited).map((e) => e.logPath));
    const dated = names
      .map((n) => join(this.#logDir, n))
      .filter((p) => !live.has(p))
      .map((p) => ({ p, t: safeMtime(p) }))
      .sort((a, b) => a.t - b.t);
    for (const { p } of dated.slice(0, names.length - KEEP_LOGS + 1)) rmSync(p, { force: true });
  }
}

function safeMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** Whether a pid is alive (signal 0); used for processes another host instance started. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
