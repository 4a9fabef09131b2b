// The Envoy processes of one base id, as the ProcessHost sees them: how an epoch is started (its arguments), which
// running processes are ours, and stopping one within a bound. No policy: the supervisor decides what to do.
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { errorMessage } from '../../util/errors.ts';
import { type ProcessHost, type ProcessInfo, pidAlive } from './host.ts';

const POLL_MS = 100;
const run = promisify(execFile);
/** How long a stopped Envoy gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 5_000;
const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

export interface EnvoyProcessesOptions {
  readonly host: ProcessHost;
  readonly binaryPath: string;
  readonly baseId: number;
  readonly drainTimeMs: number;
  readonly parentShutdownTimeMs: number;
}

export class EnvoyProcesses {
  readonly #o: EnvoyProcessesOptions;
  /** Pids we asked to stop: their exit is no crash. */
  readonly expected = new Set<number>();

  constructor(options: EnvoyProcessesOptions) {
    this.#o = options;
  }

  /** The command line of epoch `epoch` running `configFile`. */
  args(epoch: number, configFile: string): string[] {
    return [
      this.#o.binaryPath,
      '-c',
      configFile,
      '--restart-epoch',
      String(epoch),
      '--base-id',
      String(this.#o.baseId),
      '--drain-time-s',
      String(seconds(this.#o.drainTimeMs)),
      '--parent-shutdown-time-s',
      String(seconds(this.#o.parentShutdownTimeMs)),
      '--drain-strategy',
      'gradual',
      // Without it Envoy drops unknown fields of a file update with a warning and serves what is left; the
      // agent's files are schema-checked, so an unknown field there is a bug that must fail the update.
      '--reject-unknown-dynamic-fields',
    ];
  }

  /** Running Envoys of this binary and base id. */
  async ours(): Promise<ProcessInfo[]> {
    const all = await this.#o.host.list();
    return all.filter((p) => {
      if (p.exited) return false;
      const i = p.args.indexOf('--base-id');
      return p.args[0] === this.#o.binaryPath && i >= 0 && p.args[i + 1] === String(this.#o.baseId);
    });
  }

  async findEpoch(epoch: number): Promise<number | undefined> {
    return (await this.ours()).find((p) => {
      const i = p.args.indexOf('--restart-epoch');
      return i >= 0 && p.args[i + 1] === String(epoch);
    })?.pid;
  }

  async info(pid: number): Promise<ProcessInfo | undefined> {
    return (await this.#o.host.list()).find((p) => p.pid === pid);
  }

  async running(pid: number): Promise<boolean> {
    if (pid <= 0) return false;
    const info = await this.info(pid);
    return info === undefined ? pidAlive(pid) : info.exited !== true;
  }

  /** SIGTERM (after `graceMs` of waiting for a voluntary exit, when `waitFirst`), then SIGKILL. Bounded. */
  async stop(pid: number, graceMs: number, waitFirst = false): Promise<void> {
    this.expected.add(pid);
    if (waitFirst && (await this.waitGone(pid, graceMs))) return;
    await this.signal(pid, 'SIGTERM');
    if (await this.waitGone(pid, STOP_GRACE_MS)) return;
    await this.signal(pid, 'SIGKILL');
    await this.waitGone(pid, STOP_GRACE_MS);
  }

  async signal(pid: number, signal: NodeJS.Signals): Promise<void> {
    if (await this.#o.host.signal(pid, signal)) return;
    // Not the host's child (started before an agent restart without the launcher): signal it directly.
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }

  async waitGone(pid: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!(await this.running(pid))) return true;
      if (Date.now() >= deadline) return false;
      await sleep(POLL_MS);
    }
  }
}

/**
 * `envoy --hot-restart-version` prints `<protocol>.<shared memory size>` on stderr (measured on 1.40.0: `11.104`)
 * and exits 0; binaries with different values cannot hot restart from one another.
 */
export async function binaryHotRestartVersion(
  binaryPath: string,
  env?: Readonly<Record<string, string>>,
): Promise<{ ok: true; version: string } | { ok: false; error: string }> {
  try {
    const { stdout, stderr } = await run(binaryPath, ['--hot-restart-version'], {
      env: { ...process.env, ...env },
      timeout: 10_000,
    });
    const version = `${stderr}${stdout}`.trim().split('\n').at(-1)?.trim() ?? '';
    return version === ''
      ? { ok: false, error: `${binaryPath} printed no hot-restart version` }
      : { ok: true, version };
  } catch (err) {
    return { ok: false, error: `${binaryPath} --hot-restart-version: ${errorMessage(err)}` };
  }
}
