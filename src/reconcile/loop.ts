import { realTimers, type Timers } from '../util/timers.ts';

export type { Timers };

export interface ReconcileLoopOptions {
  readonly intervalMs: number;
  /** ±fraction of the interval, so a fleet of agents does not poll in lock-step (0.1 = ±10 %). */
  readonly jitter?: number;
  readonly run: (trigger: string) => Promise<void>;
  readonly random?: () => number;
  readonly timers?: Timers;
  readonly onError?: (err: unknown) => void;
  /** Quiet time a burst of `triggerSoon` calls must leave before the reconcile runs (default 1 s). */
  readonly holdoffMs?: number;
  /** A burst never delays the reconcile by more than this after its first trigger (default 10 s). */
  readonly maxHoldoffMs?: number;
}

/**
 * Runs one reconcile at a time, never overlapping: on a timer with jitter, and at once when triggered (SIGHUP, a
 * file change). A trigger that arrives during a run makes exactly one more run follow it.
 */
export class ReconcileLoop {
  readonly #options: ReconcileLoopOptions;
  #intervalMs: number;
  readonly #timers: Timers;
  readonly #random: () => number;
  #timer: unknown;
  #running: Promise<void> | undefined;
  #pending: string | undefined;
  #stopped = true;
  #holdoffTimer: unknown;
  #burstStarted: number | undefined;
  #burstReason = '';

  constructor(options: ReconcileLoopOptions) {
    this.#options = options;
    this.#intervalMs = options.intervalMs;
    this.#timers = options.timers ?? realTimers;
    this.#random = options.random ?? Math.random;
  }

  /** Starts polling; the first reconcile runs at once. */
  start(): void {
    this.#stopped = false;
    this.trigger('start');
  }

  trigger(reason: string): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#pending = reason;
      return;
    }
    this.#cancelTimer();
    this.#running = this.#runOnce(reason);
  }

  /**
   * Coalesces bursts (an editor writing a file several times, a certificate and its key replaced one after the other)
   * into one reconcile: it runs once the triggers have been quiet for the holdoff, or at the latest `maxHoldoffMs`
   * after the first of them.
   */
  triggerSoon(reason: string, now: number = Date.now()): void {
    if (this.#stopped) return;
    const holdoff = this.#options.holdoffMs ?? 1_000;
    const maxHoldoff = this.#options.maxHoldoffMs ?? 10_000;
    this.#burstStarted ??= now;
    this.#burstReason = reason;
    if (this.#holdoffTimer !== undefined) this.#timers.clearTimeout(this.#holdoffTimer);
    const delay = Math.max(0, Math.min(holdoff, this.#burstStarted + maxHoldoff - now));
    this.#holdoffTimer = this.#timers.setTimeout(() => {
      this.#holdoffTimer = undefined;
      this.#burstStarted = undefined;
      this.trigger(this.#burstReason);
    }, delay);
  }

  /** The delay before the next poll: the interval ± jitter. */
  nextDelay(): number {
    const jitter = this.#options.jitter ?? 0.1;
    const factor = 1 + jitter * (2 * this.#random() - 1);
    return Math.max(0, Math.round(this.#intervalMs * factor));
  }

  /** A reloaded poll interval; takes effect from the next scheduled poll. */
  setIntervalMs(ms: number): void {
    this.#intervalMs = ms;
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Stops scheduling and waits (at most `timeoutMs`) for the reconcile in flight. True if it finished. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.#stopped = true;
    this.#pending = undefined;
    this.#cancelTimer();
    if (this.#holdoffTimer !== undefined) this.#timers.clearTimeout(this.#holdoffTimer);
    this.#holdoffTimer = undefined;
    const inFlight = this.#running;
    if (!inFlight) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const finished = await Promise.race([inFlight.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return finished;
  }

  async #runOnce(reason: string): Promise<void> {
    try {
      await this.#options.run(reason);
    } catch (err) {
      this.#options.onError?.(err);
    } finally {
      this.#running = undefined;
    }
    if (this.#stopped) return;
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) {
      this.#running = this.#runOnce(pending);
      return;
    }
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.trigger('poll');
    }, this.nextDelay());
  }

  #cancelTimer(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
