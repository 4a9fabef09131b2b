import { createHash } from 'node:crypto';
import type { Applier, Generation } from '../apply/types.ts';
import type { Logger } from '../log/logger.ts';
import type { TransactionLog } from '../apply/history.ts';
import type { SpecSource } from '../source/types.ts';
import type { LoadBalancerModel } from '../model/types.ts';
import { type Problem, formatProblem } from '../util/result.ts';
import { errorMessage } from '../util/errors.ts';
import type { EventType } from '../events/types.ts';
import type { HoldStore } from '../apply/hold.ts';
import type { SpecArchive } from '../apply/spec-archive.ts';
import { type OperatorResult, operatorRollback } from './rollback.ts';
import { HoldKeeper } from './hold-keeper.ts';
import { applyInTransaction } from './apply-transaction.ts';

/** The event types live with the event queue; the reconciler speaks of them as kinds. */
export type EventKind = EventType;

export interface EventSink {
  enqueue(type: EventKind, message: string, metadata?: Record<string, unknown>): Promise<void>;
}

/** Kept as an alias so observers can depend on the reconciler's view of logging. */
export type LogSink = Logger;

/** Untrusted text → a validated spec, or the problems that make it unusable. */
export type ParseOutcome =
  | { ok: true; spec: LoadBalancerModel; warnings: readonly Problem[]; ignored: readonly string[] }
  | { ok: false; problems: readonly Problem[]; apiError?: string };

/** A validated spec → a checked generation ready to apply, or the stage and problems that stopped it. */
export type PrepareOutcome =
  | { ok: true; generation: Generation }
  | { ok: false; stage: string; problems: readonly Problem[] };

/** `held`: the spec asks for the configuration an operator rolled back from; it is not applied while held. */
export type ReconcileResult = 'applied' | 'unchanged' | 'rejected' | 'failed' | 'source_error' | 'held';

export interface ReconcileReport {
  readonly result: ReconcileResult;
  readonly trigger: string;
  readonly at: string;
  readonly durationMs: number;
  readonly hash?: string;
  readonly error?: string;
  readonly problems?: readonly string[];
  readonly transactionId?: string;
  /** For a failed apply: whether the previous generation was put back. */
  readonly rolledBack?: boolean;
}

export interface ReconcilerDeps {
  readonly source: SpecSource;
  readonly parse: (text: string) => ParseOutcome;
  readonly prepare: (spec: LoadBalancerModel) => Promise<PrepareOutcome>;
  readonly applier: Applier;
  readonly history: TransactionLog;
  readonly events: EventSink;
  readonly logger: LogSink;
  readonly now?: () => Date;
  /** An operator's hold (rollback); absent: specs are always applied. */
  readonly hold?: HoldStore;
  /** Spec texts of committed configurations (what a hold serves is described from it). */
  readonly specs?: SpecArchive;
  /** Called after every reconcile (metrics, status). */
  readonly onReport?: (report: ReconcileReport, spec: LoadBalancerModel | undefined) => void;
}

const MAX_PROBLEM_LINES = 50;
/** Retrying a configuration that failed to apply: after 1 min, doubling up to 30 min. */
const RETRY_BACKOFF_MS = 60_000;
const RETRY_BACKOFF_MAX_MS = 30 * 60_000;
/** Every so many polls that bring the settled text again, it is re-checked anyway (the certificate watch's net). */
const FULL_CHECK_EVERY_POLLS = 10;

/**
 * One reconcile: fetch → validate → render → schema check → compare hash → apply → report.
 * Whatever goes wrong, what is serving keeps serving; every outcome is one report and at most one event.
 */
export class Reconciler {
  readonly #deps: ReconcilerDeps;
  readonly #now: () => Date;
  /** Bad documents (and why) already reported since the last good one, so a bad spec yields one event, not one per poll. */
  readonly #rejected = new Set<string>();
  #lastText: string | undefined;
  #spec: LoadBalancerModel | undefined;
  #lastReport: ReconcileReport | undefined;
  /** The configuration the spec asked for at the last reconcile that got that far. */
  #desiredHash: string | undefined;
  readonly #holds: HoldKeeper;
  /** The configuration whose apply failed last, and when it may be tried again. */
  #failed: { hash: string; stage: string; attempts: number; retryAt: number } | undefined;
  /** The text whose configuration is the committed one, and how many polls skipped its re-check since. */
  #settled: { text: string; hash: string; skipped: number } | undefined;

  constructor(deps: ReconcilerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#holds = new HoldKeeper(deps);
  }

  get lastReport(): ReconcileReport | undefined {
    return this.#lastReport;
  }

  /** The spec most recently accepted (validated), if any; while held, the spec of what serves. */
  get spec(): LoadBalancerModel | undefined {
    return this.#holds.heldSpec ?? this.#spec;
  }

  get desiredHash(): string | undefined {
    return this.#desiredHash;
  }

  /** Puts a kept generation back and holds it (see rollback.ts). The caller keeps it apart from reconciles. */
  async rollback(to: number | undefined): Promise<OperatorResult> {
    const hold = this.#deps.hold;
    if (hold === undefined) return { ok: false, message: 'holds are not available here' };
    const result = await operatorRollback(
      { ...this.#deps, hold, now: this.#now },
      this.#desiredHash ?? hold.current?.fromHash,
      to,
    );
    if (result.ok) {
      this.#failed = undefined;
      await this.#holds.loadHeldSpec();
    }
    return result;
  }

  /** Ends a hold; the next reconcile applies the spec as usual. */
  release(reason: string): Promise<OperatorResult> {
    return this.#holds.release(reason);
  }

  /** Settles transactions a crash left open, after the applier put the committed generation back. */
  async recover(): Promise<void> {
    await this.#holds.load();
    await this.#deps.applier.recover();
    for (const open of this.#deps.history.open()) {
      await this.#deps.history.update(open.id, 'rolled_back', {
        stage: open.stage ?? 'apply',
        error:
          'interrupted: the agent stopped during this transaction; the committed generation was restored',
      });
    }
  }

  /**
   * `retryFailed` lifts the backoff on a configuration that just failed to apply: an operator's SIGHUP means
   * "try now".
   */
  async reconcile(trigger: string, options: { retryFailed?: boolean } = {}): Promise<ReconcileReport> {
    const started = this.#now();
    if (options.retryFailed) this.#failed = this.#failed && { ...this.#failed, retryAt: 0 };
    const report = await this.#reconcile(trigger, started);
    this.#lastReport = report;
    this.#deps.onReport?.(report, this.#spec);
    return report;
  }

  async #reconcile(trigger: string, started: Date): Promise<ReconcileReport> {
    const base = { trigger, at: started.toISOString() };
    const done = (fields: Omit<ReconcileReport, 'trigger' | 'at' | 'durationMs'>): ReconcileReport => ({
      ...base,
      ...fields,
      durationMs: this.#now().getTime() - started.getTime(),
    });
    const { logger, events, applier, history } = this.#deps;

    const fetched = await this.#deps.source.fetch();
    if (fetched.kind === 'error') {
      logger.warn(
        { source: this.#deps.source.description, error: fetched.message },
        'spec source unavailable',
      );
      return done({ result: 'source_error', error: fetched.message });
    }
    let text: string;
    if (fetched.kind === 'unchanged') {
      if (this.#lastText === undefined) return done({ result: 'unchanged', hash: applier.committedHash() });
      text = this.#lastText;
    } else {
      text = fetched.text;
      this.#lastText = text;
    }

    // Idle work that repeats what has not changed: a poll bringing the text whose configuration is already
    // committed is done (50 ms of validation and rendering at 10,000 backends, every poll). Certificate files
    // have their own watch (trigger certificate-changed, which does the full check), and every tenth such poll
    // is checked in full anyway.
    const settled = this.#settled;
    if (
      trigger === 'poll' &&
      settled !== undefined &&
      settled.text === text &&
      settled.hash === applier.committedHash() &&
      settled.skipped < FULL_CHECK_EVERY_POLLS - 1
    ) {
      this.#settled = { ...settled, skipped: settled.skipped + 1 };
      return done({ result: 'unchanged', hash: settled.hash });
    }
    this.#settled = undefined;

    const parsed = this.#deps.parse(text);
    if (!parsed.ok) {
      const lines = parsed.problems.map(formatProblem);
      const error =
        parsed.apiError !== undefined ? `API error: ${parsed.apiError}` : 'invalid load balancer spec';
      await this.#rejectOnce(text, error, lines);
      return done({ result: 'rejected', error, problems: lines });
    }
    this.#spec = parsed.spec;
    for (const path of parsed.ignored) logger.debug({ path }, 'ignored unknown spec field');
    for (const warning of parsed.warnings) logger.warn({ path: warning.path }, warning.message);

    const prepared = await this.#deps.prepare(parsed.spec);
    if (!prepared.ok) {
      const lines = prepared.problems.map(formatProblem);
      const error = `spec rejected at ${prepared.stage}`;
      await this.#rejectOnce(text, error, lines);
      return done({ result: 'rejected', error, problems: lines });
    }

    // A usable spec ends the incident: if it breaks again later (a certificate file replaced a second time), that
    // is news and gets its own config_rejected event, even for a spec text seen before.
    this.#rejected.clear();
    const { generation } = prepared;
    this.#desiredHash = generation.hash;
    const heldBy = await this.#holds.check(generation.hash);
    if (heldBy !== undefined) return done({ result: 'held', hash: generation.hash, error: heldBy });
    const previousHash = applier.committedHash();
    if (previousHash === generation.hash) {
      this.#failed = undefined;
      this.#settled = { text, hash: generation.hash, skipped: 0 };
      return done({ result: 'unchanged', hash: generation.hash });
    }
    // A configuration that just failed to apply is not tried again on every poll (each try is a transaction, maybe
    // a hot restart, and two events): it waits out a backoff unless the spec changes.
    const held = this.#failed;
    if (held !== undefined && held.hash === generation.hash && started.getTime() < held.retryAt) {
      const error = `not retried yet: applying ${short(held.hash)} failed at ${held.stage}; next try after ${new Date(held.retryAt).toISOString()}`;
      return done({ result: 'failed', hash: generation.hash, error });
    }

    // No transaction without its record (crash consistency): a state directory that cannot be written (full disk)
    // fails the reconcile here, before anything is touched (only recording throws out of applyInTransaction).
    let applied: Awaited<ReturnType<typeof applyInTransaction>>;
    try {
      applied = await applyInTransaction(history, applier, generation, previousHash, applier.strategy);
    } catch (err) {
      const error = `cannot record the transaction: ${errorMessage(err)}`;
      logger.error({ hash: generation.hash, error }, 'configuration not applied');
      return done({ result: 'failed', hash: generation.hash, error });
    }
    const { tx, outcome } = applied;
    const durationMs = this.#now().getTime() - started.getTime();
    if (outcome.ok) {
      this.#failed = undefined;
      await history.update(tx.id, 'committed', { stage: 'commit', epoch: outcome.epoch });
      await this.#holds.archive(generation.hash, text);
      logger.info(
        {
          hash: generation.hash,
          previousHash,
          epoch: outcome.epoch,
          durationMs,
          transaction: tx.id,
          outcome: 'committed',
        },
        'configuration applied',
      );
      await events.enqueue('config_updated', `configuration ${short(generation.hash)} applied`, {
        transaction_id: tx.id,
        hash: generation.hash,
        previous_hash: previousHash ?? null,
        epoch: outcome.epoch ?? null,
        backends: parsed.spec.pools.reduce((n, p) => n + p.backends.length, 0),
      });
      this.#settled = { text, hash: generation.hash, skipped: 0 };
      return done({ result: 'applied', hash: generation.hash, transactionId: tx.id });
    }

    const attempts = held?.hash === generation.hash ? held.attempts + 1 : 1;
    const backoffMs = Math.min(RETRY_BACKOFF_MAX_MS, RETRY_BACKOFF_MS * 2 ** (attempts - 1));
    this.#failed = {
      hash: generation.hash,
      stage: outcome.stage,
      attempts,
      retryAt: this.#now().getTime() + backoffMs,
    };
    const metadata = {
      transaction_id: tx.id,
      stage: outcome.stage,
      epoch: outcome.epoch ?? null,
      error: outcome.error,
      hash: generation.hash,
      previous_hash: previousHash ?? null,
    };
    await history.update(tx.id, outcome.restored ? 'rolled_back' : 'failed', {
      stage: outcome.stage,
      error: outcome.restoreError
        ? `${outcome.error}; restore failed: ${outcome.restoreError}`
        : outcome.error,
      epoch: outcome.epoch,
    });
    logger.error(
      { ...metadata, durationMs, outcome: outcome.restored ? 'rolled_back' : 'failed' },
      'apply failed',
    );
    await events.enqueue(
      'reload_failed',
      `applying ${short(generation.hash)} failed at ${outcome.stage}: ${outcome.error}`,
      metadata,
    );
    if (outcome.restored) {
      await events.enqueue('rollback', `restored configuration ${short(previousHash ?? '')}`, metadata);
    } else if (previousHash !== undefined) {
      await events.enqueue(
        'critical_failure',
        `could not restore the previous configuration: ${outcome.restoreError}`,
        {
          ...metadata,
          restore_error: outcome.restoreError ?? null,
        },
      );
    }
    return done({
      result: 'failed',
      hash: generation.hash,
      error: outcome.error,
      transactionId: tx.id,
      rolledBack: outcome.restored,
    });
  }

  async #rejectOnce(text: string, error: string, lines: readonly string[]): Promise<void> {
    const digest = createHash('sha256').update(text).digest('hex');
    // The same text can be bad for new reasons (a certificate file it names was replaced): key on both.
    const incident = createHash('sha256').update(digest).update(lines.join('\n')).digest('hex');
    this.#deps.logger.warn({ problems: lines.slice(0, MAX_PROBLEM_LINES), document: short(digest) }, error);
    if (this.#rejected.has(incident)) return;
    this.#rejected.add(incident);
    // Bounded: a flapping API must not grow this set without end.
    if (this.#rejected.size > 100) this.#rejected.delete(this.#rejected.values().next().value as string);
    const shown = lines.slice(0, MAX_PROBLEM_LINES);
    const more = lines.length > shown.length ? `\n(${lines.length - shown.length} more)` : '';
    await this.#deps.events.enqueue('config_rejected', `${error}:\n${shown.join('\n')}${more}`, {
      document_sha256: digest,
      problems: shown,
      problem_count: lines.length,
    });
  }
}

const short = (hash: string): string => hash.slice(0, 12);
