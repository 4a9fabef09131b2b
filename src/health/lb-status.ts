/**
 * The load balancer's overall status as the VPSie API shows it, PUT only when it changes (and once after start).
 *
 * - `error`: Envoy is not serving, a critical failure (the previous configuration could not be restored), or no
 *   enabled backend is healthy while at least one is known unhealthy (or none is enabled): traffic fails.
 * - `degraded`: traffic flows but not as asked: some enabled backend is unhealthy or not yet known, or the last
 *   apply failed / the last spec was rejected while the previous configuration keeps serving.
 * - `active`: Envoy serves, every enabled backend is healthy and the last apply succeeded.
 */
import type { LogSink, ReconcileReport } from '../reconcile/reconciler.ts';
import { errorMessage } from '../util/errors.ts';
import type { BackendHealth } from './backend-health.ts';
import { IntervalDriver, type Timers } from './interval.ts';

export type LbStatus = 'active' | 'degraded' | 'error';

export interface LbStatusInputs {
  /** Envoy answers admin `/ready` with LIVE (or the equivalent from the process supervisor). */
  readonly envoyServing: boolean;
  /** Set when the previous configuration could not be restored, or Envoy cannot be kept running. */
  readonly criticalFailure?: string;
  /** The last apply failed or the last spec was rejected (see `lastApplyFailed`). */
  readonly lastApplyFailed: boolean;
  /** Health of each ENABLED backend. */
  readonly backends: ReadonlyMap<string, BackendHealth>;
  /**
   * The agent has not yet finished its first reconcile and the backend-health round after it: nothing is known, so
   * nothing is reported (an agent restart under a serving Envoy would otherwise flap the status to error).
   */
  readonly starting?: boolean;
}

export interface LbStatusVerdict {
  readonly status: LbStatus;
  readonly reason: string;
}

export function computeLbStatus(inputs: LbStatusInputs): LbStatusVerdict {
  if (!inputs.envoyServing) return { status: 'error', reason: 'envoy is not serving' };
  if (inputs.criticalFailure !== undefined) {
    return { status: 'error', reason: `critical failure: ${inputs.criticalFailure}` };
  }
  const values = [...inputs.backends.values()];
  const healthy = values.filter((h) => h === 'healthy').length;
  const unhealthy = values.filter((h) => h === 'unhealthy').length;
  const unknown = values.length - healthy - unhealthy;
  if (values.length === 0) return { status: 'error', reason: 'no enabled backends' };
  if (healthy === 0 && unhealthy > 0) return { status: 'error', reason: 'no healthy backends' };
  const problems: string[] = [];
  if (inputs.lastApplyFailed) problems.push('the last change failed; the previous configuration serves');
  if (unhealthy > 0) problems.push(`${unhealthy} of ${values.length} backends unhealthy`);
  if (unknown > 0) problems.push(`${unknown} of ${values.length} backends not yet checked`);
  if (problems.length > 0) return { status: 'degraded', reason: problems.join('; ') };
  return { status: 'active', reason: `all ${values.length} backends healthy` };
}

/**
 * Folds reconcile reports into "did the last change fail": `failed` and `rejected` set it, `applied` clears it,
 * `unchanged` and `source_error` say nothing new about the configuration.
 */
export function lastApplyFailed(previous: boolean, report: ReconcileReport): boolean {
  switch (report.result) {
    case 'failed':
    case 'rejected':
      return true;
    case 'applied':
    case 'held':
      return false;
    default:
      return previous;
  }
}

export interface LbStatusApi {
  putStatus(status: LbStatus): Promise<unknown>;
}

export interface LbStatusReporterOptions {
  readonly api: LbStatusApi;
  readonly inputs: () => LbStatusInputs | Promise<LbStatusInputs>;
  readonly logger?: LogSink;
  /** For `start()`; default 10 s. */
  readonly intervalMs?: number;
  readonly timers?: Timers;
}

export class LbStatusReporter {
  readonly #opts: LbStatusReporterOptions;
  #reported: LbStatus | undefined;
  #current: LbStatusVerdict | undefined;
  #driver: IntervalDriver | undefined;

  constructor(opts: LbStatusReporterOptions) {
    this.#opts = opts;
  }

  /** Computes the status and PUTs it if the API has not acknowledged it yet. Never throws. */
  async tick(): Promise<void> {
    const { api, logger } = this.#opts;
    let verdict: LbStatusVerdict;
    try {
      const inputs = await this.#opts.inputs();
      if (inputs.starting === true) return;
      verdict = computeLbStatus(inputs);
    } catch (err) {
      logger?.warn({ error: errorMessage(err) }, 'lb status: cannot gather inputs');
      return;
    }
    this.#current = verdict;
    if (verdict.status === this.#reported) return;
    try {
      await api.putStatus(verdict.status);
      this.#reported = verdict.status;
      logger?.info({ status: verdict.status, reason: verdict.reason }, 'load balancer status changed');
    } catch (err) {
      // Not recorded as reported: the next tick tries again.
      logger?.warn({ status: verdict.status, error: errorMessage(err) }, 'lb status: report failed');
    }
  }

  /** Reports now (or right after the round in progress) rather than at the next interval. */
  refresh(): void {
    this.#driver?.runSoon();
  }

  /** The latest verdict (for /status), undefined before the first tick. */
  current(): LbStatusVerdict | undefined {
    return this.#current;
  }

  start(): void {
    this.#driver ??= new IntervalDriver(
      () => this.tick(),
      this.#opts.intervalMs ?? 10_000,
      this.#opts.timers === undefined ? {} : { timers: this.#opts.timers },
    );
    this.#driver.start();
  }

  async stop(): Promise<void> {
    await this.#driver?.stop();
  }
}
