/**
 * Envoy's own word on its state (admin `/ready`): what `/readyz`, `/status`, the LB status and the epoch/restart
 * metrics rest on. Readers call `fresh()`, which probes first when the last answer is older than `freshMs`; the
 * timer alone probes every `idleMs`. So the state a reader sees is never more than 2 s old, and an idle agent does
 * not open a connection to Envoy every 2 s for nobody.
 */
import { IntervalDriver, type Timers } from './interval.ts';

/** What the process supervisor knows without asking Envoy. */
export interface ProbedProcess {
  readonly running: boolean;
  readonly epoch: number | null;
  readonly pid: number | null;
}

export interface EnvoyProbeOptions {
  /** The managed process now; undefined when the agent runs no Envoy. */
  readonly process: () => ProbedProcess | undefined;
  /** Admin `/ready`: LIVE, DRAINING, PRE_INITIALIZING, INITIALIZING; throws when Envoy does not answer. */
  readonly ready: () => Promise<string>;
  readonly onEpoch?: (epoch: number) => void;
  /** A different pid than the last probe saw: Envoy was restarted (crash recovery, cold start). */
  readonly onRestart?: () => void;
  readonly freshMs?: number;
  readonly idleMs?: number;
  readonly now?: () => number;
  readonly timers?: Timers;
}

export class EnvoyProbe {
  readonly #o: EnvoyProbeOptions;
  #state = 'unknown';
  #lastPid: number | null = null;
  #probedAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  #driver: IntervalDriver | undefined;

  constructor(options: EnvoyProbeOptions) {
    this.#o = options;
  }

  /** LIVE, DRAINING, …, `stopped` (no process), `unreachable` (no answer) or `unknown` (not probed yet). */
  get state(): string {
    return this.#state;
  }

  /** Probes unless an answer younger than `freshMs` is at hand (one probe at a time however many readers ask). */
  async fresh(): Promise<void> {
    if (this.#o.process() === undefined) return;
    if (this.#now() - this.#probedAt <= (this.#o.freshMs ?? 2_000)) return;
    this.#inFlight ??= this.#probe().finally(() => {
      this.#inFlight = undefined;
    });
    await this.#inFlight;
  }

  /** A probe that starts now, not one that began before a change the caller just made. */
  probeNow(): Promise<void> {
    return this.#probe();
  }

  /** The first probe now (resolved when it answered), then one every `idleMs` after the previous ends. */
  start(): Promise<void> {
    this.#driver ??= new IntervalDriver(
      () => this.#probe(),
      this.#o.idleMs ?? 10_000,
      this.#o.timers === undefined ? {} : { timers: this.#o.timers },
    );
    return this.#driver.start();
  }

  async stop(): Promise<void> {
    await this.#driver?.stop();
  }

  async #probe(): Promise<void> {
    const view = this.#o.process();
    if (view === undefined) return;
    if (view.pid !== null && this.#lastPid !== null && view.pid !== this.#lastPid) this.#o.onRestart?.();
    if (view.pid !== null) this.#lastPid = view.pid;
    if (view.epoch !== null) this.#o.onEpoch?.(view.epoch);
    if (!view.running) this.#state = 'stopped';
    else {
      try {
        this.#state = await this.#o.ready();
      } catch {
        this.#state = 'unreachable';
      }
    }
    this.#probedAt = this.#now();
  }

  #now(): number {
    return (this.#o.now ?? Date.now)();
  }
}
