/**
 * The agent's own Prometheus metrics, in a registry of their own (the global one is left alone so tests and
 * embedders can run several agents in one process). Names follow Prometheus conventions: `vpsie_lb_agent_` prefix,
 * base units in the name, `_total` for counters.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ReconcileReport, ReconcileResult } from '../reconcile/reconciler.ts';

const PREFIX = 'vpsie_lb_agent_';

const RECONCILE_RESULTS: readonly ReconcileResult[] = [
  'applied',
  'unchanged',
  'rejected',
  'failed',
  'source_error',
  'held',
];

/** Reconciles span a cheap hash compare (ms) to a hot restart with verification (tens of seconds). */
const RECONCILE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const API_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * `endpoint` must be a fixed operation name (`get_loadbalancer`, `put_backend_health`), never a URL with ids in it:
 * every distinct value is a new time series.
 */
export type ApiStatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'error' | 'timeout' | (string & {});

export class AgentMetrics {
  readonly registry = new Registry();
  readonly #reconciles: Counter<'result'>;
  readonly #reconcileDuration: Histogram<string>;
  readonly #lastSuccess: Gauge<string>;
  readonly #configInfo: Gauge<'hash'>;
  readonly #epoch: Gauge<string>;
  readonly #envoyRestarts: Counter<string>;
  readonly #rollbacks: Counter<string>;
  readonly #apiDuration: Histogram<'endpoint' | 'status_class'>;
  readonly #apiFailures: Counter<'endpoint' | 'status_class'>;
  readonly #queueDepth: Gauge<string>;
  readonly #queueDropped: Counter<string>;
  readonly #specRejections: Counter<string>;
  readonly #certExpiry: Gauge<'name' | 'domain'>;
  readonly #hold: Gauge<string>;
  readonly #operatorRollbacks: Counter<string>;
  readonly #converged: Gauge<string>;
  #droppedSeen = 0;
  #configHash: string | undefined;

  constructor() {
    const registers = [this.registry];
    // The event-loop lag histogram samples on a libuv timer: prom-client's default (10 ms) woke the idle agent 100
    // times a second, most of its idle CPU (strace: ~200 epoll_pwait/s). 100 ms still sees every stall that matters
    // to a reconcile (they are tens of ms and more) in nodejs_eventloop_lag_*.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    this.#reconciles = new Counter({
      name: `${PREFIX}reconciles_total`,
      help: 'Reconciles by result (applied, unchanged, rejected, failed, source_error, held).',
      labelNames: ['result'],
      registers,
    });
    // Every result is visible from the start, so rate() and alerts work before the first failure happens.
    for (const result of RECONCILE_RESULTS) this.#reconciles.labels(result).inc(0);
    this.#reconcileDuration = new Histogram({
      name: `${PREFIX}reconcile_duration_seconds`,
      help: 'Duration of one reconcile, fetch to report.',
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.#lastSuccess = new Gauge({
      name: `${PREFIX}last_successful_reconcile_timestamp_seconds`,
      help: 'Unix time at which the last reconcile that ended converged (applied or unchanged) finished.',
      registers,
    });
    this.#configInfo = new Gauge({
      name: `${PREFIX}config_info`,
      help: 'Always 1; the hash label is the configuration hash currently applied.',
      labelNames: ['hash'],
      registers,
    });
    this.#epoch = new Gauge({
      name: `${PREFIX}envoy_epoch`,
      help: 'Hot-restart epoch of the Envoy process currently serving.',
      registers,
    });
    this.#envoyRestarts = new Counter({
      name: `${PREFIX}envoy_restarts_total`,
      help: 'Envoy processes started after the first one (hot restarts and crash restarts).',
      registers,
    });
    this.#rollbacks = new Counter({
      name: `${PREFIX}rollbacks_total`,
      help: 'Applies that failed and were rolled back to the previous configuration.',
      registers,
    });
    this.#apiDuration = new Histogram({
      name: `${PREFIX}api_request_duration_seconds`,
      help: 'Duration of VPSie API requests by endpoint and status class.',
      labelNames: ['endpoint', 'status_class'],
      buckets: API_BUCKETS,
      registers,
    });
    this.#apiFailures = new Counter({
      name: `${PREFIX}api_request_failures_total`,
      help: 'VPSie API requests that did not end in a 2xx, by endpoint and status class.',
      labelNames: ['endpoint', 'status_class'],
      registers,
    });
    this.#queueDepth = new Gauge({
      name: `${PREFIX}event_queue_depth`,
      help: 'Events waiting to be delivered to the VPSie API.',
      registers,
    });
    this.#queueDropped = new Counter({
      name: `${PREFIX}event_queue_dropped_total`,
      help: 'Events dropped because the queue was full or an event could never be delivered.',
      registers,
    });
    this.#specRejections = new Counter({
      name: `${PREFIX}spec_rejections_total`,
      help: 'Reconciles whose load balancer spec was rejected (invalid, or failed rendering or schema checks).',
      registers,
    });
    this.#certExpiry = new Gauge({
      name: `${PREFIX}certificate_expiry_seconds`,
      help: 'Seconds until the named certificate (subject) of a domain expires (negative once expired).',
      labelNames: ['name', 'domain'],
      registers,
    });
    this.#hold = new Gauge({
      name: `${PREFIX}hold_active`,
      help: "1 while an operator's rollback holds the configuration (specs asking for the one rolled back from are not applied).",
      registers,
    });
    this.#hold.set(0);
    this.#operatorRollbacks = new Counter({
      name: `${PREFIX}operator_rollbacks_total`,
      help: 'Rollbacks an operator ran with `vpsie-lb-agent rollback` that were applied.',
      registers,
    });
    this.#converged = new Gauge({
      name: `${PREFIX}converged`,
      help: '1 when the configuration the spec asks for is the one committed and live, else 0.',
      registers,
    });
    this.#converged.set(0);
  }

  setHold(active: boolean): void {
    this.#hold.set(active ? 1 : 0);
  }

  incOperatorRollback(): void {
    this.#operatorRollbacks.inc();
  }

  setConverged(converged: boolean): void {
    this.#converged.set(converged ? 1 : 0);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  observeReconcile(report: ReconcileReport): void {
    this.#reconciles.labels(report.result).inc();
    this.#reconcileDuration.observe(Math.max(0, report.durationMs) / 1000);
    if (report.result === 'rejected') this.#specRejections.inc();
    if (report.result === 'applied' || report.result === 'unchanged') {
      const started = Date.parse(report.at);
      if (Number.isFinite(started)) this.#lastSuccess.set((started + report.durationMs) / 1000);
      // A failed report's hash is the one that was attempted, not the one serving: only converged ones count.
      if (report.hash !== undefined) this.setConfigHash(report.hash);
    }
  }

  /** Only the current hash is exported; the previous label disappears. */
  setConfigHash(hash: string): void {
    if (hash === this.#configHash) return;
    this.#configInfo.reset();
    this.#configInfo.labels(hash).set(1);
    this.#configHash = hash;
  }

  setEpoch(epoch: number): void {
    this.#epoch.set(epoch);
  }

  incEnvoyRestart(): void {
    this.#envoyRestarts.inc();
  }

  incRollback(): void {
    this.#rollbacks.inc();
  }

  /** `statusClass`: `2xx`…`5xx`, or `error`/`timeout` when no response came. Anything but `2xx` is a failure. */
  observeApiRequest(endpoint: string, statusClass: ApiStatusClass, durationMs: number): void {
    this.#apiDuration.labels(endpoint, statusClass).observe(Math.max(0, durationMs) / 1000);
    if (statusClass !== '2xx') this.#apiFailures.labels(endpoint, statusClass).inc();
  }

  /** `droppedTotal` is the queue's own running total; the counter follows it (it never goes down). */
  setEventQueue(depth: number, droppedTotal: number): void {
    this.#queueDepth.set(depth);
    if (droppedTotal > this.#droppedSeen) {
      this.#queueDropped.inc(droppedTotal - this.#droppedSeen);
      this.#droppedSeen = droppedTotal;
    } else if (droppedTotal < this.#droppedSeen) {
      // The queue's total restarted (a new queue instance): follow it from here without going backwards.
      this.#droppedSeen = droppedTotal;
    }
  }

  /** `domain`: the served host the certificate is for (the LB id for a flat document). */
  setCertificateExpiry(name: string, secondsToExpiry: number, domain = ''): void {
    this.#certExpiry.labels({ name, domain }).set(secondsToExpiry);
  }

  clearCertificateExpiry(name: string, domain = ''): void {
    this.#certExpiry.remove({ name, domain });
  }
}

/** `200` → `2xx`; for callers that have a status code. */
export function statusClassOf(status: number): ApiStatusClass {
  if (!Number.isInteger(status) || status < 100 || status > 599) return 'error';
  return `${Math.floor(status / 100)}xx`;
}
