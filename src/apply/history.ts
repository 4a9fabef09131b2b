import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';
import type { TransactionRecord, TransactionState } from './types.ts';

/**
 * The inspectable history of configuration transactions (newest last), persisted atomically on every state change
 * so that a crash leaves at worst one transaction in `applying`, which recovery then resolves.
 */
export class TransactionLog {
  readonly #file: string;
  readonly #limit: number;
  readonly #now: () => Date;
  #records: TransactionRecord[] = [];

  constructor(stateDir: string, now: () => Date = () => new Date(), limit = 50) {
    this.#file = join(stateDir, 'transactions.json');
    this.#limit = limit;
    this.#now = now;
  }

  async load(): Promise<void> {
    try {
      const parsed: unknown = JSON.parse(await readFile(this.#file, 'utf8'));
      this.#records = Array.isArray(parsed) ? (parsed as TransactionRecord[]) : [];
    } catch {
      this.#records = [];
    }
  }

  list(): readonly TransactionRecord[] {
    return this.#records;
  }

  /** Transactions a crash left open (pending or applying). */
  open(): TransactionRecord[] {
    return this.#records.filter((r) => r.state === 'pending' || r.state === 'applying');
  }

  async begin(hash: string, previousHash: string | undefined, strategy: string): Promise<TransactionRecord> {
    const record: TransactionRecord = {
      id: randomUUID(),
      hash,
      previousHash,
      state: 'pending',
      strategy,
      startedAt: this.#now().toISOString(),
    };
    this.#records.push(record);
    await this.#persist();
    return record;
  }

  async update(
    id: string,
    state: TransactionState,
    fields: { stage?: string; error?: string; epoch?: number } = {},
  ): Promise<TransactionRecord> {
    const index = this.#records.findIndex((r) => r.id === id);
    if (index < 0) throw new Error(`unknown transaction ${id}`);
    const done = state === 'committed' || state === 'rolled_back' || state === 'failed';
    const next: TransactionRecord = {
      ...this.#records[index]!,
      ...fields,
      state,
      ...(done ? { endedAt: this.#now().toISOString() } : {}),
    };
    this.#records[index] = next;
    await this.#persist();
    return next;
  }

  async #persist(): Promise<void> {
    if (this.#records.length > this.#limit) this.#records = this.#records.slice(-this.#limit);
    await writeFileAtomic(this.#file, `${JSON.stringify(this.#records, null, 2)}\n`, { mode: 0o640 });
  }
}
