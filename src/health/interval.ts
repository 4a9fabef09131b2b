/**
 * Runs an async task every `intervalMs`, never overlapping: the next run is scheduled when the previous one ends,
 * so a slow Envoy or API cannot pile up requests. Timers are unref'd (they never keep the process alive) and
 * injectable so tests drive the schedule by hand.
 */
import { realTimers, type Timers } from '../util/timers.ts';

export { realTimers, type Timers } from '../util/timers.ts';

export class IntervalDriver {
  readonly #task: () => Promise<void>;
  readonly #intervalMs: number;
  readonly #timers: Timers;
  readonly #onError: (err: unknown) => void;
  #handle: unknown;
  #running: Promise<void> | undefined;
  #stopped = true;
  /** A run was asked for while one was in progress: the next starts as soon as it ends. */
  #soon = false;

  constructor(
    task: () => Promise<void>,
    intervalMs: number,
    opts: { timers?: Timers; onError?: (err: unknown) => void } = {},
  ) {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new Error(`interval must be a positive number of milliseconds, got ${intervalMs}`);
    }
    this.#task = task;
    this.#intervalMs = intervalMs;
    this.#timers = opts.timers ?? realTimers;
    this.#onError = opts.onError ?? (() => {});
  }

  /**
   * Runs the task now, then every interval after each run ends. Calling it twice is harmless. Resolves when the
   * first run has ended (callers that need its result before going on await it; the others need not).
   */
  start(): Promise<void> {
    if (this.#stopped) {
      this.#stopped = false;
      this.#run();
    }
    return this.#running ?? Promise.resolve();
  }

  /** Runs the task as soon as possible (now, or right after the run in progress), then on the usual interval. */
  runSoon(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#soon = true;
      return;
    }
    if (this.#handle !== undefined) this.#timers.clearTimeout(this.#handle);
    this.#run();
  }

  /** Stops scheduling and waits for a run in progress to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#handle !== undefined) this.#timers.clearTimeout(this.#handle);
    this.#handle = undefined;
    await this.#running;
  }

  #run(): void {
    this.#handle = undefined;
    if (this.#stopped) return;
    this.#running = (async () => {
      try {
        await this.#task();
      } catch (err) {
        this.#onError(err);
      }
    })().finally(() => {
      this.#running = undefined;
      const delay = this.#soon ? 0 : this.#intervalMs;
      this.#soon = false;
      if (!this.#stopped) this.#handle = this.#timers.setTimeout(() => this.#run(), delay);
    });
  }
}
