import type { Logger } from '../log/logger.ts';
import type { FileOwner } from '../util/atomic.ts';
import { errorMessage } from '../util/errors.ts';
import { type AppliedState, readAppliedState, writeAppliedState } from './applied-state.ts';
import { type GenerationMeta, GenerationStore } from './generations.ts';
import { installFiles, isInstalled, removeStaleResourceFiles } from './install.ts';
import type { Applier, ApplyOutcome, Generation } from './types.ts';

export interface FileApplierOptions {
  readonly stateDir: string;
  readonly now?: () => Date;
  readonly keepGenerations?: number;
  /** Envoy's user: certificate and key files are chowned to it (keys are 0600). */
  readonly certificateOwner?: FileOwner;
  /** The per-resource directories (routes/, endpoints/, secrets/): after a commit, files no longer used go. */
  readonly resourceDirectories?: readonly string[];
  /** Where a failed cleanup is reported (it never fails a commit: the stale files serve nothing). */
  readonly logger?: Logger;
}

/**
 * Writes the runtime layout (bootstrap + dynamic resource files) atomically and keeps the previous generations so a
 * failed install can be undone. It does not talk to Envoy: Envoy picks the files up by itself (file-based xDS), and
 * the Envoy applier builds verification and hot restart on top of the same steps.
 */
export class FileApplier implements Applier {
  readonly strategy: string = 'files';
  protected readonly store: GenerationStore;
  protected readonly stateDir: string;
  protected readonly now: () => Date;
  protected applied: AppliedState | undefined;
  readonly #certificateOwner: FileOwner | undefined;
  readonly #resourceDirectories: readonly string[];
  readonly #logger: Logger | undefined;

  constructor(options: FileApplierOptions) {
    this.stateDir = options.stateDir;
    this.now = options.now ?? (() => new Date());
    this.store = new GenerationStore(options.stateDir, options.keepGenerations ?? 5);
    this.#certificateOwner = options.certificateOwner;
    this.#resourceDirectories = options.resourceDirectories ?? [];
    this.#logger = options.logger;
  }

  /** Installs a generation's files (see installFiles), certificates owned by Envoy's user. */
  protected install(files: Generation['files']): Promise<string[]> {
    return installFiles(files, { certificateOwner: this.#certificateOwner });
  }

  /** True when these files are live exactly as planned (certificates: with Envoy's user as owner). */
  protected installed(files: Generation['files']): Promise<boolean> {
    return isInstalled(files, { certificateOwner: this.#certificateOwner });
  }

  committedHash(): string | undefined {
    return this.applied?.hash;
  }

  committedGeneration(): number | undefined {
    return this.applied?.generation;
  }

  generations(): Promise<GenerationMeta[]> {
    return this.store.list();
  }

  loadGeneration(seq: number): Promise<Generation | undefined> {
    return this.store.load(seq);
  }

  /** After a crash the live files may be half-way between two generations: put the committed one back. */
  async recover(): Promise<void> {
    this.applied = await readAppliedState(this.stateDir);
    if (!this.applied) return;
    await this.reinstallCommitted();
    await this.store.prune(new Set([this.applied.generation]));
  }

  /** The committed generation's files, byte for byte, wherever the live ones differ (crash, corruption, edits). */
  protected async reinstallCommitted(): Promise<void> {
    if (!this.applied) return;
    const committed = await this.store.load(this.applied.generation);
    if (committed && !(await isInstalled(committed.files, { certificateOwner: this.#certificateOwner }))) {
      await this.install(committed.files);
    }
    // A crash between a commit and its cleanup leaves the files of removed resources: they go now.
    if (committed) await this.#removeStale(committed.files);
  }

  async #removeStale(files: Generation['files']): Promise<void> {
    if (this.#resourceDirectories.length === 0) return;
    try {
      const removed = await removeStaleResourceFiles(files, this.#resourceDirectories);
      if (removed.length > 0)
        this.#logger?.debug({ removed }, 'removed the files of resources no longer configured');
    } catch (err) {
      this.#logger?.warn(
        { err: errorMessage(err) },
        'could not remove the files of resources no longer configured',
      );
    }
  }

  async apply(generation: Generation, _transactionId: string): Promise<ApplyOutcome> {
    let saved: Awaited<ReturnType<GenerationStore['save']>>;
    try {
      saved = await this.store.save(generation, this.now());
    } catch (err) {
      return { ok: false, stage: 'backup', error: errorMessage(err), restored: true };
    }
    try {
      await this.install(generation.files);
    } catch (err) {
      return { ok: false, stage: 'apply', error: errorMessage(err), ...(await this.restore()) };
    }
    await this.commit(saved.meta.seq, generation);
    return { ok: true };
  }

  protected async commit(seq: number, generation: Generation, epoch?: number): Promise<void> {
    this.applied = { hash: generation.hash, generation: seq, committedAt: this.now().toISOString(), epoch };
    await writeAppliedState(this.stateDir, this.applied);
    await this.store.prune(new Set([seq]));
    await this.#removeStale(generation.files);
  }

  /** Puts the committed generation's files back. */
  protected async restore(): Promise<{ restored: boolean; restoreError?: string }> {
    if (!this.applied) return { restored: false, restoreError: 'no previous generation to restore' };
    try {
      const previous = await this.store.load(this.applied.generation);
      if (!previous)
        return { restored: false, restoreError: `generation ${this.applied.generation} is missing` };
      await this.install(previous.files);
      await this.#removeStale(previous.files);
      return { restored: true };
    } catch (err) {
      return { restored: false, restoreError: errorMessage(err) };
    }
  }
}
