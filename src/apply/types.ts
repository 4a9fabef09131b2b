/** What one configuration generation consists of: every file the agent installs, with its live location. */
import type { RenderedFile as PlannedFile } from '../envoy/build/files.ts';

// The files are rendered by the pure core; the applier installs them as they are.
export type { RenderedFile as PlannedFile, RenderedFileRole as FileRole } from '../envoy/build/files.ts';

export interface Generation {
  /** The configuration hash (64 hex digits). */
  readonly hash: string;
  readonly files: readonly PlannedFile[];
}

export type TransactionState = 'pending' | 'applying' | 'committed' | 'rolled_back' | 'failed';

export interface TransactionRecord {
  readonly id: string;
  readonly hash: string;
  readonly previousHash?: string;
  readonly state: TransactionState;
  readonly strategy: string;
  /** The stage reached or failed at: render, schema, validate, backup, apply, verify, restore, commit. */
  readonly stage?: string;
  readonly error?: string;
  readonly epoch?: number;
  readonly startedAt: string;
  readonly endedAt?: string;
}

export type ApplyOutcome =
  | { readonly ok: true; readonly epoch?: number }
  | {
      readonly ok: false;
      readonly stage: string;
      readonly error: string;
      /** True when the previous generation is back in place (and serving). */
      readonly restored: boolean;
      readonly restoreError?: string;
      readonly epoch?: number;
    };

/** Something that can make a generation live, and put the previous one back when that fails. */
export interface Applier {
  readonly strategy: string;
  /** Brings the applier's view in line with disk/processes after a (possibly unclean) start. */
  recover(): Promise<void>;
  /** The hash of the generation that is committed and live, if any. */
  committedHash(): string | undefined;
  apply(generation: Generation, transactionId: string): Promise<ApplyOutcome>;
  /** The committed generations kept in state_dir, newest first (for an operator's rollback). */
  generations?(): Promise<
    readonly { readonly seq: number; readonly hash: string; readonly createdAt: string }[]
  >;
  /** A kept generation's files, as committed. */
  loadGeneration?(seq: number): Promise<Generation | undefined>;
  /** The sequence number of the committed generation. */
  committedGeneration?(): number | undefined;
  /** Agent exit: release what the applier holds (Envoy keeps serving unless configured otherwise). */
  close?(): Promise<void>;
}
