/**
 * A periodic traffic summary for the VPSie API, from Envoy's own counters (`/stats?format=json` names):
 * - `requests_total`: Σ `http.<stat_prefix>.downstream_rq_total` + Σ `tcp.<stat_prefix>.downstream_cx_total`
 *   (a TCP load balancer's unit of work is a connection).
 * - `connections_active`: Σ `listener.<address>.downstream_cx_active` — the listener-level gauge covers HTTP and
 *   TCP alike; the per-handler copies (`listener.<address>.worker_N.…`) and the HCM's own gauge would count the
 *   same connections again, so they are left out.
 * - `responses_5xx_total`: Σ `http.<stat_prefix>.downstream_rq_5xx`.
 * The admin listener (`http.admin.`, `listener.admin.`) is never counted: scrapes are not traffic.
 */
import type { LogSink } from '../reconcile/reconciler.ts';
import { errorMessage } from '../util/errors.ts';
import type { BackendHealth } from './backend-health.ts';
import { IntervalDriver, type Timers } from './interval.ts';

export interface StatsSource {
  stats(): Promise<Map<string, number>>;
}

export interface MetricsSummary {
  readonly timestamp: string;
  readonly requests_total: number;
  readonly connections_active: number;
  readonly responses_5xx_total: number;
  readonly backends: readonly { readonly id: string; readonly healthy: boolean }[];
}

export interface MetricsSummaryApi {
  postMetrics(summary: MetricsSummary): Promise<unknown>;
}

const HTTP_STAT = /^http\.([^.]+)\.(downstream_rq_total|downstream_rq_5xx)$/;
const TCP_CX_TOTAL = /^tcp\.([^.]+)\.downstream_cx_total$/;
const LISTENER_CX_ACTIVE = /^listener\.(.+)\.downstream_cx_active$/;
const PER_HANDLER = /\.(worker_\d+|main_thread)$/;
const NOT_TRAFFIC = new Set(['admin', 'async-client']);

/** Pure: the totals of a stats map. */
export function summarizeStats(
  stats: ReadonlyMap<string, number>,
): Pick<MetricsSummary, 'requests_total' | 'connections_active' | 'responses_5xx_total'> {
  let requests = 0;
  let active = 0;
  let fiveXx = 0;
  for (const [name, value] of stats) {
    const http = HTTP_STAT.exec(name);
    if (http !== null) {
      if (NOT_TRAFFIC.has(http[1] ?? '')) continue;
      if (http[2] === 'downstream_rq_total') requests += value;
      else fiveXx += value;
      continue;
    }
    const tcp = TCP_CX_TOTAL.exec(name);
    if (tcp !== null) {
      requests += value;
      continue;
    }
    const listener = LISTENER_CX_ACTIVE.exec(name);
    if (listener !== null) {
      const address = listener[1] ?? '';
      if (address === 'admin' || address.startsWith('admin.') || PER_HANDLER.test(address)) continue;
      active += value;
    }
  }
  return { requests_total: requests, connections_active: active, responses_5xx_total: fiveXx };
}

export interface MetricsSummaryReporterOptions {
  readonly stats: { stats(): Promise<Map<string, number>> };
  readonly api: MetricsSummaryApi;
  /** Health of each enabled backend; backends whose health is unknown are left out of the summary. */
  readonly backends: () => ReadonlyMap<string, BackendHealth>;
  /** 0 turns the summary off. */
  readonly intervalMs: number;
  readonly now?: () => Date;
  readonly logger?: LogSink;
  readonly timers?: Timers;
}

export class MetricsSummaryReporter {
  readonly #opts: MetricsSummaryReporterOptions;
  #driver: IntervalDriver | undefined;

  constructor(opts: MetricsSummaryReporterOptions) {
    this.#opts = opts;
  }

  get enabled(): boolean {
    return this.#opts.intervalMs > 0;
  }

  /** Reads Envoy's stats and posts one summary. Never throws; returns what was posted, if anything. */
  async tick(): Promise<MetricsSummary | undefined> {
    const { logger } = this.#opts;
    let summary: MetricsSummary;
    try {
      const totals = summarizeStats(await this.#opts.stats.stats());
      const backends = [...this.#opts.backends()]
        .filter(([, health]) => health !== 'unknown')
        .map(([id, health]) => ({ id, healthy: health === 'healthy' }));
      summary = { timestamp: (this.#opts.now?.() ?? new Date()).toISOString(), ...totals, backends };
    } catch (err) {
      logger?.warn({ error: errorMessage(err) }, 'metrics summary: cannot read Envoy stats');
      return undefined;
    }
    try {
      await this.#opts.api.postMetrics(summary);
      return summary;
    } catch (err) {
      // A lost summary is superseded by the next one; counters are cumulative, so nothing is lost for good.
      logger?.warn({ error: errorMessage(err) }, 'metrics summary: post failed');
      return undefined;
    }
  }

  /** Starts the periodic summary; does nothing when `intervalMs` is 0. */
  start(): void {
    if (!this.enabled) return;
    this.#driver ??= new IntervalDriver(
      async () => {
        await this.tick();
      },
      this.#opts.intervalMs,
      this.#opts.timers === undefined ? {} : { timers: this.#opts.timers },
    );
    this.#driver.start();
  }

  async stop(): Promise<void> {
    await this.#driver?.stop();
  }
}
