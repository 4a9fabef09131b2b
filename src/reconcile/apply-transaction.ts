// One apply as a recorded transaction: begun in the history, marked applying, and the applier's outcome (a throw
// becomes a failed apply that restored nothing). Only recording the start throws (a state directory that cannot be
// written); the caller records how it ended.
import type { TransactionLog } from '../apply/history.ts';
import type { Applier, ApplyOutcome, Generation, TransactionRecord } from '../apply/types.ts';
import { errorMessage } from '../util/errors.ts';

export async function applyInTransaction(
  history: TransactionLog,
  applier: Applier,
  generation: Generation,
  previousHash: string | undefined,
  strategy: string,
): Promise<{ tx: TransactionRecord; outcome: ApplyOutcome }> {
  const tx = await history.begin(generation.hash, previousHash, strategy);
  await history.update(tx.id, 'applying', { stage: 'apply' });
  try {
    return { tx, outcome: await applier.apply(generation, tx.id) };
  } catch (err) {
    return { tx, outcome: { ok: false, stage: 'apply', error: errorMessage(err), restored: false } };
  }
}
