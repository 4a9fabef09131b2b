// The one place that knows the order of stages and wires the agent together.
import { access, constants, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileApplier } from './apply/file-applier.ts';
import { TransactionLog } from './apply/history.ts';
import type { Applier } from './apply/types.ts';
import type { AgentConfig } from './config/types.ts';
import type { Logger } from './log/logger.ts';
import { prepareGeneration } from './pipeline.ts';
import { ReconcileLoop } from './reconcile/loop.ts';
import { type EventKind, type EventSink, type ParseOutcome, Reconciler } from './reconcile/reconciler.ts';
import { FileSpecSource } from './source/file-source.ts';
import type { SpecSource } from './source/types.ts';
import { specContextFromConfig } from './spec/context.ts';
import { parseSpecText } from './spec/validate.ts';

export interface AgentHandle {
  readonly reconciler: Reconciler;
  readonly loop: ReconcileLoop;
  /** Stops polling, finishes the reconcile in flight and flushes events, each within a bound. */
  stop(): Promise<void>;
}

export interface AgentParts {
  readonly source: SpecSource;
  readonly events: EventSink & { flush?(timeoutMs: number): Promise<boolean>; stop?(): void };
  readonly applier: Applier;
}

/** Where events go when there is no API to send them to (local file source): the log. */
export function logEventSink(logger: Logger): EventSink {
  return {
    async enqueue(type: EventKind, message: string, metadata?: Record<string, unknown>) {
      logger.info({ event: type, metadata }, message);
    },
  };
}

async function envoyBinaryPresent(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function parseWith(config: AgentConfig): (text: string) => ParseOutcome {
  const ctx = specContextFromConfig(config);
  return (text) => {
    const result = parseSpecText(text, ctx);
    if (!result.ok) return { ok: false, problems: result.problems, apiError: result.apiError };
    return { ok: true, spec: result.value, warnings: result.warnings, ignored: result.ignored };
  };
}

/** Builds the parts that depend on the source type and on whether Envoy is installed. */
export async function defaultParts(config: AgentConfig, logger: Logger): Promise<AgentParts> {
  if (config.source.type !== 'file' || config.source.path === undefined) {
    throw new Error('the VPSie API source is wired in src/source/vpsie-source.ts');
  }
  const source = new FileSpecSource(config.source.path);
  const events = logEventSink(logger);
  if (!(await envoyBinaryPresent(config.envoy.binaryPath))) {
    logger.warn(
      { binary: config.envoy.binaryPath },
      `no Envoy binary found at ${config.envoy.binaryPath}: rendering and checking every change and writing the files, but not running Envoy`,
    );
  }
  return { source, events, applier: new FileApplier({ stateDir: config.stateDir }) };
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
  const reconciler = new Reconciler({
    source: parts.source,
    parse: parseWith(config),
    prepare: (spec) => prepareGeneration(spec, config, new Date()),
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
    },
  });
  await reconciler.recover();

  const loop = new ReconcileLoop({
    intervalMs: config.vpsie.pollIntervalMs,
    run: async (trigger) => {
      await reconciler.reconcile(trigger);
    },
    onError: (err) => logger.error({ err }, 'reconcile crashed'),
  });
  const unwatch = parts.source.watch?.(() => loop.trigger('source-changed'));
  await parts.events.enqueue('agent_started', `agent started (source: ${parts.source.description})`, {
    strategy: parts.applier.strategy,
    committed_hash: parts.applier.committedHash() ?? null,
  });
  loop.start();

  return {
    reconciler,
    loop,
    async stop() {
      unwatch?.();
      const finished = await loop.stop(30_000);
      if (!finished) logger.warn({}, 'the reconcile in flight did not finish within 30s; stopping anyway');
      await parts.events.enqueue('agent_stopping', 'agent stopping', {});
      const flushed = (await parts.events.flush?.(5_000)) ?? true;
      if (!flushed)
        logger.warn({}, 'some events are still queued; they are kept on disk and sent after restart');
      parts.events.stop?.();
    },
  };
}
