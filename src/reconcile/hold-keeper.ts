// The reconciler's side of an operator's hold: whether a configuration is held, ending the hold, and the spec of
// what serves while held (so health and /status describe the held generation, not the spec that waits).
import type { HoldStore } from '../apply/hold.ts';
import type { SpecArchive } from '../apply/spec-archive.ts';
import type { Logger } from '../log/logger.ts';
import type { LoadBalancerModel } from '../model/types.ts';
import { errorMessage } from '../util/errors.ts';
import type { EventSink, ParseOutcome } from './reconciler.ts';
import type { OperatorResult } from './rollback.ts';

export interface HoldKeeperDeps {
  readonly hold?: HoldStore;
  readonly specs?: SpecArchive;
  readonly parse: (text: string) => ParseOutcome;
  readonly events: EventSink;
  readonly logger: Logger;
}

const short = (hash: string): string => hash.slice(0, 12);

export class HoldKeeper {
  readonly #deps: HoldKeeperDeps;
  #heldSpec: { hash: string; spec: LoadBalancerModel } | undefined;

  constructor(deps: HoldKeeperDeps) {
    this.#deps = deps;
  }

  get store(): HoldStore | undefined {
    return this.#deps.hold;
  }

  /** While held: the spec of the configuration that serves, when the archive has it. */
  get heldSpec(): LoadBalancerModel | undefined {
    const hold = this.#deps.hold?.current;
    return hold !== undefined && this.#heldSpec?.hash === hold.toHash ? this.#heldSpec.spec : undefined;
  }

  async load(): Promise<void> {
    await this.#deps.hold?.load();
  }

  /** Reads the spec behind the held configuration. */
  async loadHeldSpec(): Promise<void> {
    const hold = this.#deps.hold?.current;
    if (hold === undefined || this.#heldSpec?.hash === hold.toHash) return;
    const text = await this.#deps.specs?.load(hold.toHash);
    const parsed = text === undefined ? undefined : this.#deps.parse(text);
    this.#heldSpec = parsed?.ok ? { hash: hold.toHash, spec: parsed.spec } : undefined;
  }

  /**
   * The reason `hash` is not applied, or undefined to go on. A different configuration than the one rolled back
   * from ends the hold.
   */
  async check(hash: string): Promise<string | undefined> {
    const hold = this.#deps.hold?.current;
    if (hold === undefined) return undefined;
    if (hash === hold.fromHash) {
      await this.loadHeldSpec();
      return `held on generation ${hold.generation} (rollback); ${short(hash)} waits: new spec or release`;
    }
    await this.release('the spec changed', hash);
    return undefined;
  }

  /** Ends a hold; the next reconcile applies the spec as usual. */
  async release(reason: string, newHash?: string): Promise<OperatorResult> {
    const held = this.#deps.hold?.current;
    if (held === undefined) return { ok: false, message: 'no hold is in effect' };
    await this.#deps.hold?.clear();
    const message = `hold on ${short(held.toHash)} released: ${reason}`;
    this.#deps.logger.warn({ held_from: held.fromHash, held: held.toHash, new_hash: newHash }, message);
    await this.#deps.events.enqueue('hold_released', message, {
      reason,
      held_from: held.fromHash,
      held: held.toHash,
      generation: held.generation,
      ...(newHash === undefined ? {} : { hash: newHash }),
    });
    return { ok: true, message };
  }

  /** Keeps the text a committed configuration came from (best effort: only the hold's description needs it). */
  async archive(hash: string, text: string): Promise<void> {
    try {
      await this.#deps.specs?.save(hash, text);
    } catch (err) {
      this.#deps.logger.warn({ error: errorMessage(err) }, 'could not archive the applied spec');
    }
  }
}
