// Metrics, the agent's HTTP endpoint, backend health and LB status reporting, wired to the reconciler's reports.
import { readFileSync } from 'node:fs';
import type { TransactionLog } from './apply/history.ts';
import type { Hold } from './apply/hold.ts';
import type { Applier } from './apply/types.ts';
import type { AgentConfig } from './config/types.ts';
import { createAdminClient } from './envoy/admin/client.ts';
import { type BackendHealthApi, BackendHealthReporter } from './health/backend-health.ts';
import { EnvoyProbe } from './health/envoy-probe.ts';
import { adminClusterHostSource, adminStatsSource } from './health/envoy-sources.ts';
import {
  computeLbStatus,
  type LbStatusApi,
  type LbStatusInputs,
  LbStatusReporter,
  lastApplyFailed,
} from './health/lb-status.ts';
import { type MetricsSummaryApi, MetricsSummaryReporter } from './health/metrics-summary.ts';
import type { Logger } from './log/logger.ts';
import { AgentMetrics } from './metrics/agent-metrics.ts';
import type { ReconcileReport, Reconciler } from './reconcile/reconciler.ts';
import { adminPrometheusSource } from './server/envoy-prometheus.ts';
import { listenerStatus } from './server/listener-status.ts';
import { createAgentServer } from './server/server.ts';
import { type AgentStatus, lastReconcileOf, secondsToExpiry } from './server/status.ts';
import type { DomainCertificate } from './tls/manager.ts';

/** What the Envoy applier can tell about the process it manages (absent when Envoy is not run by the agent). */
export interface EnvoyView {
  /** Whether the serving Envoy process exists; its admin state (LIVE, …) is probed here. */
  readonly running: boolean;
  readonly epoch: number | null;
  readonly pid: number | null;
  readonly baseId: number | null;
  /** Set when a failed change could not be undone: the agent is not trustworthy until an operator looks. */
  readonly criticalFailure?: string;
}

export interface ObservabilityDeps {
  readonly config: AgentConfig;
  readonly logger: Logger;
  readonly reconciler: Reconciler;
  readonly applier: Applier;
  readonly history: TransactionLog;
  readonly sourceDescription: string;
  /** Present when the agent manages an Envoy process. */
  readonly envoy?: () => EnvoyView;
  readonly eventQueue?: { depth(): number; dropped(): number };
  /** The VPSie API (absent with the local file source: health is then shown on /status only). */
  readonly api?: BackendHealthApi & LbStatusApi & MetricsSummaryApi;
  readonly healthIntervalMs?: number;
  readonly metricsIntervalMs?: number;
  /** An operator's hold, if one is in effect. */
  readonly hold?: () => Hold | undefined;
}

export interface Observability {
  readonly metrics: AgentMetrics;
  /** Feed every reconcile report here. */
  onReport(report: ReconcileReport): void;
  /** The committed certificates, by domain (served host, or LB id). */
  onCertificates(list: readonly DomainCertificate[]): void;
  /** After an operator's rollback or release: the hold gauge and counters follow. */
  onOperator(kind: 'rollback' | 'release'): void;
  readiness(): { ready: boolean; reason?: string };
  status(): AgentStatus;
  start(): Promise<{ host: string; port: number }>;
  stop(): Promise<void>;
}

/** The oldest Envoy state /readyz, /status, /metrics and the LB status may use, and how often an idle agent probes. */
const PROBE_FRESH_MS = 2_000;
const PROBE_IDLE_MS = 10_000;

const noApi: BackendHealthApi & LbStatusApi & MetricsSummaryApi = {
  putBackendHealth: async () => undefined,
  putStatus: async () => undefined,
  postMetrics: async () => undefined,
};

function packageVersion(): string {
  try {
    return (
      JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
}

export function createObservability(deps: ObservabilityDeps): Observability {
  const { config, reconciler, applier } = deps;
  const metrics = new AgentMetrics();
  const started = Date.now();
  const version = packageVersion();
  let desiredHash: string | undefined;
  let applyFailed = false;
  let certificates: readonly DomainCertificate[] = [];
  const api = deps.api ?? noApi;
  // One admin client for the agent's own polling (health, stats, /ready); the Prometheus proxy gets its own with the
  // proxy's longer deadline, so a slow Envoy yields 504, not a client timeout.
  const adminAddress = config.envoy.adminAddress;
  const allowNonLoopback = config.envoy.allowNonLoopbackAdmin;
  const admin = createAdminClient({ ...adminAddress, timeoutMs: 2_000, allowNonLoopback });
  const prometheusAdmin = createAdminClient({ ...adminAddress, timeoutMs: 5_000, allowNonLoopback });
  const hostSources = new Map<string, ReturnType<typeof adminClusterHostSource>>();

  /** The host source of the current spec's cluster, or undefined before a spec (or without Envoy). */
  const currentHostSource = (): ReturnType<typeof adminClusterHostSource> | undefined => {
    const spec = reconciler.spec;
    if (spec === undefined || deps.envoy === undefined) return undefined;
    // Every pool's cluster, as the current model names them.
    const clusters = spec.pools.map((p) => p.name);
    const key = clusters.join('\n');
    let source = hostSources.get(key);
    if (source === undefined) {
      hostSources.clear();
      source = adminClusterHostSource(admin, () => clusters);
      hostSources.set(key, source);
    }
    return source;
  };
  const backendHealth = new BackendHealthReporter({
    source: {
      hosts: async () => (await currentHostSource()?.hosts()) ?? [],
      fingerprint: async () => (await currentHostSource()?.fingerprint?.()) ?? '',
    },
    api,
    spec: () => reconciler.spec,
    logger: deps.logger,
    intervalMs: deps.healthIntervalMs ?? 10_000,
    onRound: (spec) => {
      // The first round for what the first reconcile settled on ends the start-up silence of the LB status.
      if (reconciled && spec === reconciler.spec) healthKnown = true;
      if (healthKnown) lbStatus.refresh();
    },
  });

  const envoyProbe = new EnvoyProbe({
    process: () => deps.envoy?.(),
    ready: async () => (await admin.ready()).state,
    onEpoch: (epoch) => metrics.setEpoch(epoch),
    onRestart: () => metrics.incEnvoyRestart(),
    freshMs: PROBE_FRESH_MS,
    idleMs: PROBE_IDLE_MS,
  });
  const envoyServing = (): boolean => deps.envoy !== undefined && envoyProbe.state === 'LIVE';
  let reconciled = false;
  let healthKnown = false;
  const lbStatusInputs = async (): Promise<LbStatusInputs> => {
    await envoyProbe.fresh();
    return currentLbStatusInputs();
  };
  const currentLbStatusInputs = (): LbStatusInputs => ({
    starting: !healthKnown,
    envoyServing: envoyServing(),
    criticalFailure: deps.envoy?.().criticalFailure,
    lastApplyFailed: applyFailed,
    backends: backendHealth.health(),
  });
  const lbStatus = new LbStatusReporter({
    api,
    logger: deps.logger,
    intervalMs: deps.healthIntervalMs ?? 10_000,
    inputs: lbStatusInputs,
  });
  const summary =
    deps.envoy && deps.api && (deps.metricsIntervalMs ?? 60_000) > 0
      ? new MetricsSummaryReporter({
          stats: adminStatsSource(admin),
          api,
          backends: () => backendHealth.health(),
          intervalMs: deps.metricsIntervalMs ?? 60_000,
          logger: deps.logger,
        })
      : undefined;

  const readiness = (): { ready: boolean; reason?: string } => {
    const envoy = deps.envoy?.();
    if (envoy?.criticalFailure) return { ready: false, reason: `critical failure: ${envoy.criticalFailure}` };
    const report = reconciler.lastReport;
    if (report === undefined) return { ready: false, reason: 'no reconcile has finished yet' };
    if (desiredHash === undefined) {
      return {
        ready: false,
        reason: `no usable spec yet (last reconcile: ${report.result}${report.error ? `: ${report.error}` : ''})`,
      };
    }
    const applied = applier.committedHash();
    const hold = deps.hold?.();
    // Held on purpose: serving the generation the operator chose is ready (the hold alert says why it differs).
    const held = hold !== undefined && applied === hold.toHash;
    if (applied !== desiredHash && !held) {
      return {
        ready: false,
        reason: `desired configuration ${desiredHash.slice(0, 12)} is not applied (applied: ${applied?.slice(0, 12) ?? 'none'})`,
      };
    }
    if (envoy === undefined)
      return {
        ready: false,
        reason:
          'Envoy is not managed by this agent (no Envoy binary): configuration is rendered and written only',
      };
    if (envoyProbe.state !== 'LIVE') return { ready: false, reason: `Envoy is ${envoyProbe.state}` };
    return { ready: true };
  };

  const status = (): AgentStatus => {
    const envoy = deps.envoy?.();
    const spec = reconciler.spec;
    const now = new Date();
    // Computed now rather than the reporter's last tick: /status must not lag Envoy by a health interval.
    const verdict = computeLbStatus(currentLbStatusInputs());
    const hold = deps.hold?.();
    const backends = backendHealth.backends();
    return {
      lb_id: spec?.id ?? null,
      lb_name: spec?.name ?? null,
      source: deps.sourceDescription,
      desired_hash: desiredHash ?? null,
      applied_hash: applier.committedHash() ?? null,
      apply_strategy: applier.strategy,
      lb_status: { status: verdict.status, reason: verdict.reason },
      envoy: {
        state: envoy === undefined ? 'not managed (no Envoy binary)' : envoyProbe.state,
        epoch: envoy?.epoch ?? null,
        pid: envoy?.pid ?? null,
        base_id: envoy?.baseId ?? null,
      },
      last_reconcile: lastReconcileOf(reconciler.lastReport),
      transactions: [...deps.history.list()].reverse().slice(0, 10),
      backends,
      listeners: listenerStatus(spec, backends),
      hold:
        hold === undefined
          ? null
          : {
              since: hold.since,
              from_hash: hold.fromHash,
              to_hash: hold.toHash,
              generation: hold.generation,
              transaction_id: hold.transactionId,
            },
      event_queue: { depth: deps.eventQueue?.depth() ?? 0, dropped: deps.eventQueue?.dropped() ?? 0 },
      certificates: certificates.map((c) => ({
        domain: c.label,
        name: c.info.subject,
        not_after: c.info.notAfter.toISOString(),
        seconds_to_expiry: secondsToExpiry(c.info.notAfter, now),
      })),
      version,
      uptime_seconds: Math.floor((Date.now() - started) / 1000),
    };
  };

  const server = createAgentServer({
    listen: config.server.listen,
    metrics,
    status,
    readiness,
    refresh: () => envoyProbe.fresh(),
    envoyPrometheus: adminPrometheusSource(prometheusAdmin),
    logger: deps.logger,
  });

  return {
    metrics,
    onReport(report) {
      metrics.observeReconcile(report);
      if (report.rolledBack) metrics.incRollback();
      if (report.hash !== undefined && report.result !== 'rejected') desiredHash = report.hash;
      applyFailed = lastApplyFailed(applyFailed, report);
      const first = !reconciled;
      reconciled = true;
      metrics.setHold(deps.hold?.() !== undefined);
      metrics.setConverged(desiredHash !== undefined && desiredHash === applier.committedHash());
      // A fresh probe, not one that may have started before this apply finished.
      void envoyProbe.probeNow();
      // Envoy's hosts changed: read their health now rather than in the next idle interval.
      if (report.result === 'applied' || first) backendHealth.refresh();
      if (deps.eventQueue) metrics.setEventQueue(deps.eventQueue.depth(), deps.eventQueue.dropped());
      for (const c of certificates)
        metrics.setCertificateExpiry(c.info.subject, secondsToExpiry(c.info.notAfter, new Date()), c.label);
    },
    onCertificates(list) {
      const key = (c: DomainCertificate) => `${c.info.subject}\n${c.label}`;
      const next = new Set(list.map(key));
      for (const c of certificates)
        if (!next.has(key(c))) metrics.clearCertificateExpiry(c.info.subject, c.label);
      certificates = list;
      for (const c of list)
        metrics.setCertificateExpiry(c.info.subject, secondsToExpiry(c.info.notAfter, new Date()), c.label);
    },
    readiness,
    status,
    onOperator(kind) {
      if (kind === 'rollback') metrics.incOperatorRollback();
      metrics.setHold(deps.hold?.() !== undefined);
      metrics.setConverged(desiredHash !== undefined && desiredHash === applier.committedHash());
    },
    async start() {
      const address = await server.start();
      if (deps.envoy) {
        await envoyProbe.start();
      }
      backendHealth.start();
      lbStatus.start();
      summary?.start();
      return address;
    },
    async stop() {
      await envoyProbe.stop();
      await backendHealth.stop();
      await lbStatus.stop?.();
      await summary?.stop?.();
      await server.close();
    },
  };
}
