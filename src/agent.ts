// The one place that knows the order of stages and wires the agent together.
import { access, constants, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EnvoyApplier } from './apply/envoy-applier.ts';
import { FileApplier } from './apply/file-applier.ts';
import { TransactionLog } from './apply/history.ts';
import { HoldStore } from './apply/hold.ts';
import { SpecArchive } from './apply/spec-archive.ts';
import type { Applier } from './apply/types.ts';
import type { ConfigResult } from './config/load.ts';
import type { AgentConfig } from './config/types.ts';
import { controlSocketPath } from './control/protocol.ts';
import { startControlServer } from './control/server.ts';
import { resourceDirectories } from './envoy/build/names.ts';
import { LocalProcessHost, type ProcessHost } from './envoy/process/host.ts';
import { LauncherClient } from './envoy/process/launcher.ts';
import type { Logger } from './log/logger.ts';
import { parseDocumentText } from './model/read.ts';
import {
  createObservability,
  type EnvoyView,
  type Observability,
  type ObservabilityDeps,
} from './observability.ts';
import { prepareGeneration } from './pipeline.ts';
import { ReconcileLoop } from './reconcile/loop.ts';
import { type EventSink, type ParseOutcome, Reconciler } from './reconcile/reconciler.ts';
import { reloadConfig } from './reload.ts';
import { connectSource, reportingApi } from './source/connect.ts';
import type { SpecSource } from './source/types.ts';
import { specContextFromConfig } from './spec/context.ts';
import { CertificateManager } from './tls/manager.ts';
import type { FileOwner } from './util/atomic.ts';
import { serial } from './util/serial.ts';
import { lookupUser } from './util/users.ts';

export interface AgentHandle {
  readonly reconciler: Reconciler;
  readonly loop: ReconcileLoop;
  readonly observability: Observability;
  /** How changes reach Envoy here: files only (no Envoy binary), dynamic or hot_restart. */
  readonly applierStrategy: string;
  /** Stops polling, finishes the reconcile in flight and flushes events, each within a bound. */
  stop(): Promise<void>;
  /** SIGHUP: a re-read agent.yaml (or why it could not be used), then a reconcile at once. */
  reload(loaded: ConfigResult, file: string): Promise<void>;
}

export interface AgentParts {
  readonly source: SpecSource;
  readonly events: EventSink & { flush?(timeoutMs: number): Promise<boolean>; stop?(): void };
  readonly applier: Applier;
  /** What the Envoy applier knows about the running Envoy (absent when the agent does not run Envoy). */
  readonly envoy?: () => EnvoyView;
  readonly eventQueue?: { depth(): number; dropped(): number };
  /** The VPSie API for health, status and metrics reports (absent with the file source). */
  readonly api?: ObservabilityDeps['api'];
  /** Envoy's user, owner of the certificate and key copies the agent writes. */
  readonly certificateOwner?: FileOwner;
  /** startAgent points `observe` at the metrics once they exist. */
  readonly apiMetrics?: { observe?: (endpoint: string, statusClass: string, durationMs: number) => void };
}

async function envoyBinaryPresent(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves envoy.user; a configured user that does not exist stops the start with a clear error. */
async function envoyUser(config: AgentConfig): Promise<FileOwner | undefined> {
  if (config.envoy.user === '') return undefined;
  const owner = await lookupUser(config.envoy.user);
  if (owner === undefined) throw new Error(`envoy.user: no such user "${config.envoy.user}" in /etc/passwd`);
  return owner;
}

export function parseWith(config: AgentConfig): (text: string) => ParseOutcome {
  const ctx = specContextFromConfig(config);
  return (text) => {
    const result = parseDocumentText(text, ctx);
    if (!result.ok) return { ok: false, problems: result.problems, apiError: result.apiError };
    return { ok: true, spec: result.value, warnings: result.warnings, ignored: result.ignored };
  };
}

/** Builds the parts that depend on the source type and on whether Envoy is installed. */
export async function defaultParts(config: AgentConfig, logger: Logger): Promise<AgentParts> {
  const apiMetrics: NonNullable<AgentParts['apiMetrics']> = {};
  const connected = await connectSource(config, logger, (endpoint, statusClass, ms) =>
    apiMetrics.observe?.(endpoint, statusClass, ms),
  );
  const { source, events } = connected;
  const certificateOwner = await envoyUser(config);
  const shared = {
    certificateOwner,
    eventQueue: connected.eventQueue,
    api: connected.client ? reportingApi(connected.client) : undefined,
    apiMetrics,
  };
  if (!(await envoyBinaryPresent(config.envoy.binaryPath))) {
    logger.warn(
      { binary: config.envoy.binaryPath },
      `no Envoy binary found at ${config.envoy.binaryPath}: rendering and checking every change and writing the files, but not running Envoy`,
    );
    return {
      source,
      events,
      ...shared,
      applier: new FileApplier({
        stateDir: config.stateDir,
        certificateOwner,
        resourceDirectories: resourceDirectories(config),
        logger,
      }),
    };
  }
  // The launcher service owns Envoy so it outlives agent restarts; without it Envoy dies with the agent.
  const socket = config.envoy.launcherSocket;
  let host: ProcessHost;
  if (await LauncherClient.available(socket)) host = new LauncherClient(socket);
  else {
    logger.warn(
      { socket },
      `no Envoy launcher at ${socket}: the agent spawns Envoy itself, and Envoy stops when the agent stops (start vpsie-lb-envoy.service to avoid that)`,
    );
    host = new LocalProcessHost({ logDir: join(config.stateDir, 'envoy-logs') });
  }
  // Test seam for crash-consistency tests: SIGKILL ourselves at a named step of a transaction.
  const killAt = process.env.VPSIE_LB_AGENT_TEST_KILL_AT;
  const applier = new EnvoyApplier({
    config,
    certificateOwner,
    host,
    logger,
    onEvent: (type, message, metadata) => void events.enqueue(type, message, metadata),
    hook: killAt ? (step) => step === killAt && process.kill(process.pid, 'SIGKILL') : undefined,
  });
  return {
    source,
    events,
    ...shared,
    applier,
    envoy: () => {
      const s = applier.envoyStatus();
      return {
        running: s.running,
        epoch: s.epoch ?? null,
        pid: s.pid ?? null,
        baseId: s.baseId ?? null,
        criticalFailure:
          s.restoreFailed ??
          (s.crashLoop ? 'Envoy is in a crash loop; the agent stopped restarting it' : undefined),
      };
    },
  };
}

export async function startAgent(
  config: AgentConfig,
  logger: Logger,
  parts: AgentParts,
): Promise<AgentHandle> {
  await mkdir(config.stateDir, { recursive: true, mode: 0o750 });
  await mkdir(config.envoy.configPath, { recursive: true, mode: 0o755 });
  await mkdir(join(config.stateDir, 'events'), { recursive: true, mode: 0o750 });

  const history = new TransactionLog(config.stateDir);
  await history.load();
  const hold = new HoldStore(config.stateDir);
  // What reload may change: rendering and spec checks read the current value at every reconcile.
  let current = config;
  let parse = parseWith(current);
  // Reconciles and operator rollbacks never overlap.
  const exclusive = serial();
  let observability: Observability | undefined;
  // Certificate files: a change to the spec's files reconciles; old inline copies go after commit; expiry warned.
  const certificates = new CertificateManager({
    certDir: config.tls.certDir,
    stateDir: config.stateDir,
    logger,
    emitExpiring: (message, metadata) => parts.events.enqueue('certificate_expiring', message, metadata),
    onFilesChanged: () => loop.trigger('certificate-changed'),
    committedHash: () => parts.applier.committedHash(),
  });
  const reconciler = new Reconciler({
    source: parts.source,
    parse: (text) => parse(text),
    hold,
    specs: new SpecArchive(config.stateDir),
    prepare: async (spec) => {
      const prepared = await prepareGeneration(spec, current, new Date(), {
        acceptedTlsFiles: certificates.acceptedTlsFiles,
        certificateOwner: parts.certificateOwner,
      });
      if (prepared.ok) certificates.prepared(prepared);
      return prepared;
    },
    applier: parts.applier,
    history,
    events: parts.events,
    logger,
    onReport: (report) => {
      const line = {
        result: report.result,
        trigger: report.trigger,
        hash: report.hash,
        durationMs: report.durationMs,
      };
      if (report.result === 'source_error' || report.result === 'failed')
        logger.warn({ ...line, error: report.error }, 'reconcile');
      else logger.info(line, 'reconcile');
      observability?.onReport(report);
    },
  });
  await reconciler.recover();
  observability = createObservability({
    config,
    logger,
    reconciler,
    applier: parts.applier,
    history,
    sourceDescription: parts.source.description,
    envoy: parts.envoy,
    eventQueue: parts.eventQueue,
    api: parts.api,
    healthIntervalMs: config.vpsie.healthIntervalMs,
    metricsIntervalMs: config.vpsie.metricsIntervalMs,
    hold: () => hold.current,
  });
  if (parts.apiMetrics) {
    const metrics = observability.metrics;
    parts.apiMetrics.observe = (endpoint, statusClass, ms) =>
      metrics.observeApiRequest(endpoint, statusClass, ms);
  }
  // A port in use is fatal and said clearly, before the first reconcile touches anything.
  const endpoint = await observability.start();
  logger.info(
    { listen: `${endpoint.host}:${endpoint.port}` },
    'agent endpoint listening (/metrics /healthz /readyz /status)',
  );
  const obs = observability;

  const loop = new ReconcileLoop({
    intervalMs: config.vpsie.pollIntervalMs,
    run: (trigger) =>
      exclusive(async () => {
        const report = await reconciler.reconcile(trigger, { retryFailed: trigger === 'sighup' });
        await certificates.afterReconcile(report, reconciler.spec);
        // /status and the expiry gauge show the certificate Envoy serves, not one prepared and rolled back.
        obs.onCertificates(certificates.committedCertificates);
      }),
    onError: (err) => logger.error({ err }, 'reconcile crashed'),
  });
  const unwatch = parts.source.watch?.(() => loop.triggerSoon('source-changed'));
  await parts.events.enqueue('agent_started', `agent started (source: ${parts.source.description})`, {
    strategy: parts.applier.strategy,
    committed_hash: parts.applier.committedHash() ?? null,
  });
  const control = await startControlServer(
    controlSocketPath(config.stateDir),
    async (request) => {
      const result = await exclusive(() =>
        request.op === 'rollback'
          ? reconciler.rollback(request.to)
          : reconciler.release('released by an operator (vpsie-lb-agent release)'),
      );
      if (result.ok) {
        obs.onOperator(request.op);
        loop.trigger(request.op);
      }
      return { ok: result.ok, message: result.message };
    },
    logger,
  );
  loop.start();
  certificates.start();

  return {
    reconciler,
    loop,
    observability: obs,
    applierStrategy: parts.applier.strategy,
    async reload(loaded, file) {
      const next = await reloadConfig(current, loaded, file, { logger, events: parts.events });
      if (next !== undefined) {
        current = next;
        parse = parseWith(current);
        loop.setIntervalMs(current.vpsie.pollIntervalMs);
        if (logger.level !== undefined) logger.level = current.logging.level;
      }
      loop.trigger('sighup');
    },
    async stop() {
      unwatch?.();
      await control.close();
      certificates.stop();
      const finished = await loop.stop(30_000);
      if (!finished) logger.warn({}, 'the reconcile in flight did not finish within 30s; stopping anyway');
      // An operator's rollback that was already running finishes before the applier lets go of Envoy.
      else await exclusive(async () => undefined);
      await parts.events.enqueue('agent_stopping', 'agent stopping', {});
      const flushed = (await parts.events.flush?.(5_000)) ?? true;
      if (!flushed)
        logger.warn({}, 'some events are still queued; they are kept on disk and sent after restart');
      parts.events.stop?.();
      // Leaves Envoy serving, or drains and stops it with envoy.stop_on_exit.
      await parts.applier.close?.();
      await obs.stop();
    },
  };
}
