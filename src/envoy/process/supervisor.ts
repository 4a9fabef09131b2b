// The epoch dance, in one place (after Envoy's restarter/hot-restarter.py, minus its "one failure kills all"):
// start epoch 0; hot restart to N+1 and gate it on LIVE; never start N+2 while N drains; kill a child that never
// went LIVE and keep the parent; cold start only as the last resort; restart a crashed Envoy with backoff; stop
// after a crash loop. Process handling goes through a ProcessHost (the launcher service, or local spawning).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostPort } from '../../config/types.ts';
import type { Logger } from '../../log/logger.ts';
import type { EventKind } from '../../reconcile/reconciler.ts';
import { writeFileAtomic } from '../../util/atomic.ts';
import { errorMessage } from '../../util/errors.ts';
import { type AdminClient, createAdminClient } from '../admin/client.ts';
import { type ProcessHost, type ProcessInfo, pidAlive } from './host.ts';
import { binaryHotRestartVersion, EnvoyProcesses, STOP_GRACE_MS } from './processes.ts';
import { type EnvoyState, type EpochRecord, readEnvoyState, writeEnvoyState } from './state.ts';

export type LifecycleEvent = (type: EventKind, message: string, metadata: Record<string, unknown>) => void;
/** Test seam: called at named steps of a transaction (the agent's hook SIGKILLs itself there). */
export type StepHook = (step: string) => void;

export interface SupervisorOptions {
  readonly host: ProcessHost;
  readonly binaryPath: string;
  readonly baseId: number;
  readonly admin: HostPort;
  /** The admin API off loopback must be asked for (envoy.allow_non_loopback_admin). */
  readonly allowNonLoopbackAdmin?: boolean;
  readonly drainTimeMs: number;
  readonly parentShutdownTimeMs: number;
  readonly verifyTimeoutMs: number;
  readonly stateDir: string;
  readonly pidFile: string;
  readonly logger: Logger;
  readonly onEvent?: LifecycleEvent;
  /** Extra environment for Envoy. */
  readonly env?: Readonly<Record<string, string>>;
  readonly hook?: StepHook;
  /**
   * Puts the committed configuration files back before a crash restart: a file corrupted or replaced on disk under
   * a running Envoy is only refused by it (update_failure), but a fresh epoch would read it and not start.
   */
  readonly restoreCommittedFiles?: () => Promise<void>;
  readonly now?: () => Date;
  /** Crash restarts: first delay, doubling up to max. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** This many unexpected exits within windowMs is a crash loop: stop restarting, report critical_failure. */
  readonly crashLoop?: { readonly count: number; readonly windowMs: number };
}

export type StartOutcome =
  | { readonly ok: true; readonly epoch: number; readonly pid: number; readonly coldStart: boolean }
  | {
      readonly ok: false;
      readonly epoch: number;
      /** 'apply': the process could not start; 'verify': it started but did not become LIVE. */
      readonly stage: 'apply' | 'verify';
      readonly error: string;
      /** The shared "initializing" flag is stuck (a child died before LIVE): only a cold start helps. */
      readonly stuck?: boolean;
    };

export interface EnvoyStatus {
  readonly host: 'local' | 'launcher';
  readonly running: boolean;
  readonly epoch?: number;
  readonly pid?: number;
  readonly hash?: string;
  readonly baseId: number;
  readonly adminAvailable: boolean;
  readonly draining: readonly { epoch: number; pid?: number; drainDeadline?: string }[];
  readonly crashLoop: boolean;
  readonly recentCrashes: number;
}

const POLL_MS = 100;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The last meaningful lines of a process's output, for an error message. */
export function lastLines(text: string | undefined, lines = 3): string {
  if (text === undefined) return '';
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .slice(-lines)
    .join(' | ')
    .slice(0, 600);
}

export class EnvoySupervisor {
  readonly #o: SupervisorOptions;
  readonly #now: () => Date;
  #state: EnvoyState;
  #lock: Promise<unknown> = Promise.resolve();
  readonly #procs: EnvoyProcesses;
  #crashes: number[] = [];
  #crashLoop = false;
  #closed = false;
  #restartTimer: NodeJS.Timeout | undefined;
  readonly #unsubscribe: () => void;
  /** Liveness probes answer fast or count as "no answer"; control calls (drain) get longer. */
  readonly #probe: AdminClient;
  readonly #control: AdminClient;

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#procs = new EnvoyProcesses(options);
    const admin = { ...options.admin, allowNonLoopback: options.allowNonLoopbackAdmin ?? false };
    this.#probe = createAdminClient({ ...admin, timeoutMs: 1000 });
    this.#control = createAdminClient({ ...admin, timeoutMs: 2000 });
    this.#now = options.now ?? (() => new Date());
    this.#state = this.#fresh();
    this.#unsubscribe = options.host.onExit((info) => this.#onExit(info));
  }

  get state(): EnvoyState {
    return this.#state;
  }

  /** One transaction (or crash restart, or recovery) at a time. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  /** Base id or binary changed: a new epoch is needed (a cold start for a base id; see `restart` for a binary). */
  identityChanged(): boolean {
    return this.#state.baseId !== this.#o.baseId || this.#state.binaryPath !== this.#o.binaryPath;
  }

  adminAvailable(): boolean {
    return this.#state.serving !== undefined && this.#state.serving.adminLost !== true;
  }

  async servingRunning(): Promise<boolean> {
    const s = this.#state.serving;
    return s?.pid !== undefined && (await this.#procs.running(s.pid));
  }

  status(): EnvoyStatus {
    const s = this.#state.serving;
    const windowMs = this.#o.crashLoop?.windowMs ?? 300_000;
    const since = this.#now().getTime() - windowMs;
    return {
      host: this.#o.host.kind,
      running: s?.pid !== undefined && pidAlive(s.pid),
      epoch: s?.epoch,
      pid: s?.pid,
      hash: this.#state.hash,
      baseId: this.#state.baseId,
      adminAvailable: this.adminAvailable(),
      draining: this.#state.draining.map((d) => ({
        epoch: d.epoch,
        pid: d.pid,
        drainDeadline: d.drainDeadline,
      })),
      crashLoop: this.#crashLoop,
      recentCrashes: this.#crashes.filter((t) => t >= since).length,
    };
  }

  /** True when the serving epoch was started with exactly this bootstrap content (no hot restart needed for it). */
  runsBootstrap(content: string): boolean {
    return this.#state.serving?.bootstrapSha === sha256(content);
  }

  /** The dynamic strategy moved new files into place and Envoy confirmed them: the serving epoch runs `hash`. */
  async noteDynamicHash(hash: string): Promise<void> {
    this.#state = { ...this.#state, hash };
    await this.#persist();
  }

  /**
   * Makes `configFile` live: a hot restart to the next epoch when an epoch serves (gated on LIVE), else a cold
   * start. A stuck "initializing" flag (a previous child died before LIVE) blocks every hot restart until an
   * epoch-0 cold start: that one is done as the last resort, and it drops open connections.
   */
  async restart(configFile: string, hash: string): Promise<StartOutcome> {
    const baseIdChanged = this.#state.baseId !== this.#o.baseId;
    if (baseIdChanged || !(await this.servingRunning())) {
      if (baseIdChanged && this.#state.serving !== undefined) {
        this.#o.logger.warn(
          { from: this.#state.baseId, to: this.#o.baseId },
          'the Envoy base id changed: cold start (open connections are closed)',
        );
      }
      return this.#coldStart(configFile, hash);
    }
    if (this.#state.binaryPath !== this.#o.binaryPath) {
      // A new binary can take over by hot restart only when it speaks the serving epoch's hot-restart protocol
      // (the child attaches the parent's shared memory; a mismatch crashes it after the parent lost its admin).
      const compatible = await this.#hotRestartCompatible();
      if (!compatible.ok) {
        this.#o.logger.warn(
          { from: this.#state.binaryPath, to: this.#o.binaryPath, reason: compatible.reason },
          'the new Envoy binary cannot hot restart from the serving one: cold start (open connections are closed)',
        );
        return this.#coldStart(configFile, hash);
      }
      this.#o.logger.info(
        { from: this.#state.binaryPath, to: this.#o.binaryPath, hotRestartVersion: compatible.version },
        'new Envoy binary with the same hot-restart version: hot restart',
      );
    }
    const serving = this.#state.serving;
    const next = (serving?.epoch ?? -1) + 1;
    const outcome = await this.#hotRestart(next, configFile, hash);
    if (outcome.ok || !outcome.stuck) return outcome;
    this.#o.logger.warn(
      { epoch: next, error: outcome.error },
      'hot restart impossible (previous envoy process is still initializing): cold start to epoch 0 as the last resort; open connections are closed',
    );
    return this.#coldStart(configFile, hash);
  }

  /**
   * After an agent (re)start: settle an epoch a crash left half-started, find the serving epoch (envoy.json, the
   * host's process list, admin /server_info) and adopt it untouched when it runs the committed bootstrap; restart
   * it otherwise; start Envoy when nothing runs. Without a committed configuration, stray Envoys are stopped.
   */
  async recover(
    committed: { hash: string; configFile: string } | undefined,
  ): Promise<'none' | 'adopted' | 'uncommitted' | 'restarted'> {
    const saved = await readEnvoyState(this.#o.stateDir);
    if (saved !== undefined) this.#state = saved;
    await this.#settlePending();
    await this.#checkServingEpoch();
    await this.#stopStrays();
    if (committed === undefined) {
      if (this.#state.serving !== undefined) {
        this.#o.logger.warn(
          { epoch: this.#state.serving.epoch },
          'no committed configuration: stopping Envoy',
        );
        await this.#stopAll();
      }
      return 'none';
    }
    const bootstrapSha = sha256(await readFile(committed.configFile, 'utf8'));
    const serving = this.#state.serving;
    if (
      !this.identityChanged() &&
      (await this.servingRunning()) &&
      serving !== undefined &&
      serving.configFile === committed.configFile &&
      serving.bootstrapSha !== bootstrapSha &&
      this.#state.hash !== committed.hash
    ) {
      // An epoch started by a transaction the agent did not live to commit (killed after the spawn or after LIVE).
      // Restarting it onto the committed bootstrap now, then again for the spec, would cost two epochs (two drains
      // of every open connection); it keeps serving and the next reconcile takes it to the spec.
      this.#o.logger.warn(
        { epoch: serving.epoch, pid: serving.pid, running: this.#state.hash?.slice(0, 12) ?? null },
        'Envoy runs the configuration of an interrupted transaction: kept serving until the next reconcile',
      );
      await this.#writePidFile();
      return 'uncommitted';
    }
    if (
      !this.identityChanged() &&
      (await this.servingRunning()) &&
      this.#state.serving?.bootstrapSha === bootstrapSha &&
      this.#state.serving.configFile === committed.configFile
    ) {
      this.#o.logger.info(
        { epoch: this.#state.serving.epoch, pid: this.#state.serving.pid },
        'adopted the running Envoy (it runs the committed configuration)',
      );
      this.#state = { ...this.#state, hash: committed.hash };
      await this.#persist();
      await this.#writePidFile();
      return 'adopted';
    }
    this.#o.logger.warn(
      { committed: committed.hash.slice(0, 12), running: this.#state.hash?.slice(0, 12) ?? null },
      'Envoy does not run the committed configuration: (re)starting it',
    );
    const outcome = await this.restart(committed.configFile, committed.hash);
    if (!outcome.ok) {
      this.#o.onEvent?.(
        'critical_failure',
        `Envoy could not be started with the committed configuration: ${outcome.error}`,
        {
          epoch: outcome.epoch,
          hash: committed.hash,
        },
      );
    }
    return 'restarted';
  }

  /** Agent exit with stop_on_exit: drain gracefully, then stop every epoch. */
  async stop(drain: boolean): Promise<void> {
    if (drain && this.adminAvailable()) {
      try {
        await this.#control.drainListeners({ graceful: true });
        await sleep(this.#o.drainTimeMs);
      } catch (err) {
        this.#o.logger.warn({ error: errorMessage(err) }, 'graceful drain failed; stopping Envoy anyway');
      }
    }
    await this.#stopAll();
  }

  close(): void {
    this.#closed = true;
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    this.#unsubscribe();
  }

  // ---- epochs ------------------------------------------------------------------------------------------------

  async #coldStart(configFile: string, hash: string): Promise<StartOutcome> {
    await this.#stopAll();
    this.#state = { ...this.#fresh(), draining: [] };
    await this.#persist();
    const outcome = await this.#spawnEpoch(0, configFile, hash);
    return outcome.ok ? { ...outcome, coldStart: true } : outcome;
  }

  async #hotRestart(epoch: number, configFile: string, hash: string): Promise<StartOutcome> {
    await this.#waitForDrains();
    return this.#spawnEpoch(epoch, configFile, hash);
  }

  async #spawnEpoch(epoch: number, configFile: string, hash: string): Promise<StartOutcome> {
    const record: EpochRecord = {
      epoch,
      hash,
      bootstrapSha: sha256(await readFile(configFile, 'utf8')),
      configFile,
      startedAt: this.#now().toISOString(),
    };
    this.#state = { ...this.#state, pending: record };
    await this.#persist();
    let pid: number;
    try {
      ({ pid } = await this.#o.host.spawn({ args: this.#procs.args(epoch, configFile), env: this.#o.env }));
    } catch (err) {
      this.#state = { ...this.#state, pending: undefined };
      await this.#persist();
      return {
        ok: false,
        epoch,
        stage: 'apply',
        error: `cannot start ${this.#o.binaryPath}: ${errorMessage(err)}`,
      };
    }
    this.#state = { ...this.#state, pending: { ...record, pid } };
    await this.#persist();
    this.#o.logger.info({ epoch, pid, config: configFile }, 'Envoy epoch started');
    this.#o.hook?.('after-spawn-before-live');

    const live = await this.#waitLive(pid, epoch);
    if (live.ok) {
      await this.#promote({ ...record, pid });
      return { ok: true, epoch, pid, coldStart: false };
    }
    // Never LIVE: the child goes, the parent (if any) keeps serving.
    await this.#procs.stop(pid, 0);
    const parentAdmin = await this.#adminAnswers();
    const serving = this.#state.serving;
    this.#state = {
      ...this.#state,
      pending: undefined,
      serving: serving && !parentAdmin ? { ...serving, adminLost: true } : serving,
    };
    await this.#persist();
    return {
      ok: false,
      epoch,
      stage: live.exited ? 'apply' : 'verify',
      error: live.error,
      stuck: /still initializing/.test(live.error),
    };
  }

  /** The new epoch is LIVE: it serves, the old one drains until LIVE + parent shutdown time. */
  async #promote(record: EpochRecord): Promise<void> {
    const now = this.#now();
    const old = this.#state.serving;
    const draining = [...this.#state.draining];
    if (old !== undefined && old.pid !== record.pid) {
      draining.push({
        ...old,
        drainDeadline: new Date(now.getTime() + this.#o.parentShutdownTimeMs).toISOString(),
      });
    }
    this.#state = {
      ...this.#state,
      baseId: this.#o.baseId,
      binaryPath: this.#o.binaryPath,
      serving: { ...record, liveAt: now.toISOString() },
      hash: record.hash,
      pending: undefined,
      draining,
    };
    await this.#persist();
    await this.#writePidFile();
    this.#o.logger.info({ epoch: record.epoch, pid: record.pid }, 'Envoy epoch is LIVE');
  }

  async #waitLive(
    pid: number,
    epoch: number,
  ): Promise<{ ok: true } | { ok: false; exited: boolean; error: string }> {
    const deadline = Date.now() + this.#o.verifyTimeoutMs;
    let last = 'no answer from admin';
    while (Date.now() < deadline) {
      const info = await this.#procs.info(pid);
      if (info?.exited) {
        const detail =
          lastLines(info.outputTail) || `exit code ${String(info.code)}, signal ${String(info.signal)}`;
        return { ok: false, exited: true, error: describeStartFailure(epoch, this.#o.baseId, detail) };
      }
      if (info === undefined && !pidAlive(pid)) {
        return { ok: false, exited: true, error: `Envoy epoch ${epoch} (pid ${pid}) exited before LIVE` };
      }
      try {
        const si = await this.#probe.serverInfo();
        if (si.restartEpoch === epoch) {
          const ready = await this.#probe.ready();
          if (ready.live) return { ok: true };
          last = `epoch ${epoch} is ${ready.state}`;
        } else last = `admin still answered by epoch ${si.restartEpoch}`;
      } catch (err) {
        last = errorMessage(err);
      }
      await sleep(POLL_MS);
    }
    return {
      ok: false,
      exited: false,
      error: `Envoy epoch ${epoch} did not become LIVE within ${this.#o.verifyTimeoutMs} ms (${last})`,
    };
  }

  /** Never start N+2 while N drains: wait for every draining epoch's deadline, then for it to be gone. */
  async #waitForDrains(): Promise<void> {
    for (const d of this.#state.draining) {
      const deadline = d.drainDeadline === undefined ? Date.now() : Date.parse(d.drainDeadline);
      const wait = deadline - Date.now();
      if (wait > 0) {
        this.#o.logger.debug({ epoch: d.epoch, waitMs: wait }, 'waiting for the draining epoch to finish');
        await sleep(wait);
      }
      if (d.pid !== undefined) await this.#procs.stop(d.pid, STOP_GRACE_MS, true);
    }
    if (this.#state.draining.length > 0) {
      this.#state = { ...this.#state, draining: [] };
      await this.#persist();
    }
  }

  // ---- recovery ----------------------------------------------------------------------------------------------

  async #settlePending(): Promise<void> {
    const pending = this.#state.pending;
    if (pending === undefined) return;
    const pid = pending.pid ?? (await this.#procs.findEpoch(pending.epoch));
    if (pid !== undefined && (await this.#procs.running(pid))) {
      this.#o.logger.warn(
        { epoch: pending.epoch, pid },
        'an Envoy epoch was starting when the agent stopped: waiting for it',
      );
      const live = await this.#waitLive(pid, pending.epoch);
      if (live.ok) {
        await this.#promote({ ...pending, pid });
        return;
      }
      await this.#procs.stop(pid, 0);
    }
    this.#state = { ...this.#state, pending: undefined };
    await this.#persist();
  }

  /** The admin endpoint is the truth about the epoch number: never skip, never reuse. */
  async #checkServingEpoch(): Promise<void> {
    const serving = this.#state.serving;
    if (serving?.pid === undefined || !(await this.#procs.running(serving.pid))) return;
    try {
      const si = await this.#probe.serverInfo();
      if (si.restartEpoch !== serving.epoch) {
        this.#o.logger.warn(
          { recorded: serving.epoch, admin: si.restartEpoch },
          'epoch from admin differs from envoy.json; using admin',
        );
        const pid = (await this.#procs.findEpoch(si.restartEpoch)) ?? serving.pid;
        this.#state = {
          ...this.#state,
          serving: { ...serving, epoch: si.restartEpoch, pid, adminLost: false },
        };
      } else if (serving.adminLost) {
        this.#state = { ...this.#state, serving: { ...serving, adminLost: false } };
      }
    } catch {
      if (serving.adminLost !== true)
        this.#state = { ...this.#state, serving: { ...serving, adminLost: true } };
    }
    await this.#persist();
  }

  /** Our Envoys (same binary and base id) that are neither serving nor draining. */
  async #stopStrays(): Promise<void> {
    const known = new Set(
      [this.#state.serving?.pid, ...this.#state.draining.map((d) => d.pid)].filter((p) => p !== undefined),
    );
    for (const p of await this.#procs.ours()) {
      if (!known.has(p.pid)) {
        this.#o.logger.warn({ pid: p.pid, args: p.args.join(' ') }, 'stopping a stray Envoy process');
        await this.#procs.stop(p.pid, STOP_GRACE_MS);
      }
    }
  }

  // ---- crashes -----------------------------------------------------------------------------------------------

  #onExit(info: ProcessInfo): void {
    if (this.#closed || this.#procs.expected.has(info.pid)) return;
    if (info.pid !== this.#state.serving?.pid) return;
    this.#o.logger.error(
      { pid: info.pid, code: info.code, signal: info.signal, output: lastLines(info.outputTail) },
      'Envoy exited unexpectedly',
    );
    this.#crashed(info.pid);
  }

  #crashed(pid: number): void {
    const now = this.#now().getTime();
    const windowMs = this.#o.crashLoop?.windowMs ?? 300_000;
    const limit = this.#o.crashLoop?.count ?? 5;
    this.#crashes = [...this.#crashes.filter((t) => t > now - windowMs), now];
    if (this.#crashes.length >= limit) {
      if (this.#crashLoop) return;
      this.#crashLoop = true;
      this.#o.logger.error({ exits: this.#crashes.length, windowMs }, 'Envoy crash loop: not restarting');
      this.#o.onEvent?.(
        'critical_failure',
        `Envoy crash loop: ${this.#crashes.length} unexpected exits within ${Math.round(windowMs / 1000)}s; not restarting it`,
        { exits: this.#crashes.length, window_ms: windowMs, pid },
      );
      return;
    }
    const backoff = this.#o.backoff ?? { initialMs: 1000, maxMs: 30_000 };
    const delay = Math.min(backoff.maxMs, backoff.initialMs * 2 ** (this.#crashes.length - 1));
    this.#restartTimer = setTimeout(() => {
      void this.exclusive(() => this.#restartAfterCrash(pid));
    }, delay);
    this.#restartTimer.unref();
  }

  async #restartAfterCrash(pid: number): Promise<void> {
    const serving = this.#state.serving;
    // A transaction may have replaced or restarted it meanwhile.
    if (this.#closed || serving === undefined || serving.pid !== pid || (await this.servingRunning())) return;
    const hash = this.#state.hash ?? serving.hash;
    this.#o.logger.warn(
      { epoch: 0, config: serving.configFile },
      'restarting Envoy from the last good configuration',
    );
    try {
      await this.#o.restoreCommittedFiles?.();
    } catch (err) {
      this.#o.logger.error({ error: errorMessage(err) }, 'cannot put the committed files back');
    }
    const outcome = await this.#coldStart(serving.configFile, hash);
    if (!outcome.ok) {
      this.#o.logger.error({ error: outcome.error }, 'restarting Envoy failed');
      // Keep what to restart from: the failed start counts as one more exit.
      this.#state = { ...this.#state, serving: { ...serving, pid: -1 } };
      await this.#persist();
      this.#crashed(-1);
    }
  }

  // ---- state ---------------------------------------------------------------------------------------------------

  async #stopAll(): Promise<void> {
    const pids = new Set<number>();
    for (const r of [this.#state.serving, this.#state.pending, ...this.#state.draining]) {
      if (r?.pid !== undefined && r.pid > 0) pids.add(r.pid);
    }
    for (const p of await this.#procs.ours()) pids.add(p.pid);
    await Promise.all([...pids].map((pid) => this.#procs.stop(pid, 0)));
    this.#state = { ...this.#state, serving: undefined, pending: undefined, draining: [] };
    await this.#persist();
  }

  /** The new binary's `--hot-restart-version` against the serving epoch's (admin, else its binary's). */
  async #hotRestartCompatible(): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
    const wanted = await binaryHotRestartVersion(this.#o.binaryPath, this.#o.env);
    if (!wanted.ok) return { ok: false, reason: wanted.error };
    let running: string | undefined;
    try {
      running = (await this.#probe.serverInfo()).hotRestartVersion || undefined;
    } catch {
      const old = await binaryHotRestartVersion(this.#state.binaryPath, this.#o.env);
      running = old.ok ? old.version : undefined;
    }
    if (running === undefined)
      return { ok: false, reason: 'the hot-restart version of the serving epoch is unknown' };
    if (running === 'disabled' || wanted.version !== running) {
      return { ok: false, reason: `hot-restart version ${running} → ${wanted.version}` };
    }
    return { ok: true, version: running };
  }

  async #adminAnswers(): Promise<boolean> {
    try {
      await this.#probe.serverInfo();
      return true;
    } catch {
      return false;
    }
  }

  #fresh(): EnvoyState {
    return {
      baseId: this.#o.baseId,
      binaryPath: this.#o.binaryPath,
      draining: [],
      updatedAt: this.#now().toISOString(),
    };
  }

  async #persist(): Promise<void> {
    this.#state = { ...this.#state, updatedAt: this.#now().toISOString() };
    await writeEnvoyState(this.#o.stateDir, this.#state);
  }

  async #writePidFile(): Promise<void> {
    const pid = this.#state.serving?.pid;
    if (pid === undefined) return;
    try {
      await writeFileAtomic(this.#o.pidFile, `${pid}\n`, { mode: 0o644 });
    } catch (err) {
      this.#o.logger.warn(
        { pidFile: this.#o.pidFile, error: errorMessage(err) },
        'cannot write the Envoy pid file',
      );
    }
  }
}

function describeStartFailure(epoch: number, baseId: number, detail: string): string {
  if (/unable to bind domain socket/.test(detail)) {
    return `Envoy epoch ${epoch} could not start: base id ${baseId} collides with another Envoy on this host (${detail}); set envoy.base_id to a free value`;
  }
  if (/still initializing/.test(detail)) {
    return `Envoy epoch ${epoch} could not start: previous envoy process is still initializing (${detail})`;
  }
  return `Envoy epoch ${epoch} exited before LIVE: ${detail}`;
}
