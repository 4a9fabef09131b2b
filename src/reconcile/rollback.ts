// An operator's rollback: a kept generation back through the normal transaction (validate with Envoy, back up,
// install, verify, commit), then a hold so the next poll does not re-apply what was rolled back from.
import type { TransactionLog } from '../apply/history.ts';
import type { HoldStore } from '../apply/hold.ts';
import type { Applier } from '../apply/types.ts';
import type { Logger } from '../log/logger.ts';
import { applyInTransaction } from './apply-transaction.ts';
import type { EventSink } from './reconciler.ts';

export type OperatorResult =
  | { readonly ok: true; readonly message: string; readonly hash?: string; readonly generation?: number }
  | { readonly ok: false; readonly message: string };

export interface RollbackDeps {
  readonly applier: Applier;
  readonly history: TransactionLog;
  readonly events: EventSink;
  readonly logger: Logger;
  readonly hold: HoldStore;
  readonly now: () => Date;
}

const short = (hash: string | undefined): string => (hash === undefined ? 'none' : hash.slice(0, 12));

/**
 * `to`: the generation to put back (default: the newest kept one that differs from the committed one).
 * `desiredHash`: what the spec asks for now; the hold keeps it from being applied until the spec changes.
 */
export async function operatorRollback(
  deps: RollbackDeps,
  desiredHash: string | undefined,
  to: number | undefined,
): Promise<OperatorResult> {
  const { applier, history, events, logger } = deps;
  if (applier.generations === undefined || applier.loadGeneration === undefined)
    return { ok: false, message: 'this agent keeps no generations to roll back to' };
  const committed = applier.committedHash();
  const kept = await applier.generations();
  const current = applier.committedGeneration?.();
  const list = kept.map((g) => `${g.seq}${g.seq === current ? ' (live)' : ''}`).join(', ') || 'none';
  const target =
    to === undefined
      ? kept.find((g) => g.hash !== committed && (current === undefined || g.seq < current))
      : kept.find((g) => g.seq === to);
  if (target === undefined) {
    return {
      ok: false,
      message:
        to === undefined
          ? `no earlier generation differs from the live one (kept: ${list})`
          : `generation ${to} is not kept (kept: ${list})`,
    };
  }
  if (target.hash === committed)
    return { ok: false, message: `generation ${target.seq} is what is live (${short(committed)})` };
  const generation = await applier.loadGeneration(target.seq);
  if (generation === undefined) return { ok: false, message: `generation ${target.seq} could not be read` };

  const { tx, outcome } = await applyInTransaction(
    history,
    applier,
    generation,
    committed,
    `rollback:${applier.strategy}`,
  );
  const metadata = {
    transaction_id: tx.id,
    operator: true,
    generation: target.seq,
    hash: generation.hash,
    previous_hash: committed ?? null,
  };
  if (!outcome.ok) {
    await history.update(tx.id, outcome.restored ? 'rolled_back' : 'failed', {
      stage: outcome.stage,
      error: outcome.error,
      epoch: outcome.epoch,
    });
    logger.error({ ...metadata, stage: outcome.stage, error: outcome.error }, 'operator rollback failed');
    await events.enqueue(
      'reload_failed',
      `operator rollback to generation ${target.seq} failed at ${outcome.stage}: ${outcome.error}`,
      { ...metadata, stage: outcome.stage, error: outcome.error },
    );
    return {
      ok: false,
      message: `rollback to generation ${target.seq} failed at ${outcome.stage}: ${outcome.error}${outcome.restored ? ' (the previous configuration still serves)' : ''}`,
    };
  }
  await history.update(tx.id, 'committed', { stage: 'commit', epoch: outcome.epoch });
  const fromHash = desiredHash ?? committed ?? generation.hash;
  await deps.hold.set({
    since: deps.now().toISOString(),
    fromHash,
    toHash: generation.hash,
    generation: target.seq,
    transactionId: tx.id,
  });
  logger.warn({ ...metadata, held_from: fromHash }, 'operator rollback applied; holding');
  await events.enqueue(
    'rollback',
    `operator rolled back to generation ${target.seq} (${short(generation.hash)})`,
    metadata,
  );
  await events.enqueue(
    'config_held',
    `holding configuration ${short(generation.hash)}: ${short(fromHash)} is not applied until the spec changes or an operator releases the hold`,
    { ...metadata, held_from: fromHash },
  );
  return {
    ok: true,
    message: `rolled back to generation ${target.seq} (${short(generation.hash)}) and holding it\n${short(fromHash)} is not applied until the spec changes or: vpsie-lb-agent release`,
    hash: generation.hash,
    generation: target.seq,
  };
}
