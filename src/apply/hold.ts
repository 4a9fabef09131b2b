import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';

/**
 * An operator's rollback holds the agent on the generation it put back: specs that render to `fromHash` (the
 * configuration rolled back from) are not applied until the spec changes or the operator releases the hold.
 * Persisted in state_dir so a restart keeps holding.
 */
export interface Hold {
  /** ISO 8601. */
  readonly since: string;
  /** The configuration the spec asked for when the operator rolled back: not applied while held. */
  readonly fromHash: string;
  /** The configuration put back (what serves while held). */
  readonly toHash: string;
  /** The generation put back, as the operator named it (or the one before the committed one). */
  readonly generation: number;
  readonly transactionId: string;
}

export class HoldStore {
  readonly #file: string;
  #hold: Hold | undefined;

  constructor(stateDir: string) {
    this.#file = join(stateDir, 'hold.json');
  }

  async load(): Promise<Hold | undefined> {
    this.#hold = await readHold(this.#file);
    return this.#hold;
  }

  get current(): Hold | undefined {
    return this.#hold;
  }

  async set(hold: Hold): Promise<void> {
    await writeFileAtomic(this.#file, `${JSON.stringify(hold, null, 2)}\n`, { mode: 0o640 });
    this.#hold = hold;
  }

  async clear(): Promise<void> {
    await rm(this.#file, { force: true });
    this.#hold = undefined;
  }
}

/** The hold recorded in a state directory, if any (a damaged file reads as none: the agent then applies specs). */
export async function readHold(file: string): Promise<Hold | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Hold>;
    if (typeof parsed.fromHash !== 'string' || typeof parsed.toHash !== 'string') return undefined;
    if (typeof parsed.since !== 'string' || typeof parsed.generation !== 'number') return undefined;
    return parsed as Hold;
  } catch {
    return undefined;
  }
}
