// envoy.json: what the agent knows about the Envoy processes, persisted atomically on every change so a restarted
// agent re-adopts them (and never skips or reuses an epoch number).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../util/atomic.ts';

const EpochRecord = z.object({
  epoch: z.number().int().nonnegative(),
  pid: z.number().int().positive().optional(),
  /** The configuration hash this epoch was started with (later dynamic updates move `EnvoyState.hash`). */
  hash: z.string(),
  /** sha256 of the bootstrap file content the epoch was started with. */
  bootstrapSha: z.string(),
  configFile: z.string(),
  startedAt: z.string(),
  liveAt: z.string().optional(),
  /** When this epoch is gone for sure: the LIVE time of the next epoch + parent shutdown time. */
  drainDeadline: z.string().optional(),
  /** A later child got past ShutdownAdmin and then failed: this epoch serves but has no admin endpoint. */
  adminLost: z.boolean().optional(),
});
export type EpochRecord = z.infer<typeof EpochRecord>;

const EnvoyStateSchema = z.object({
  baseId: z.number().int().nonnegative(),
  binaryPath: z.string(),
  /** The serving epoch (absent: Envoy never started, or stopped). */
  serving: EpochRecord.optional(),
  /** The configuration hash the serving epoch runs now (dynamic updates included). */
  hash: z.string().optional(),
  /** An epoch being started by a transaction; a crash leaves it here for recovery to settle. */
  pending: EpochRecord.optional(),
  /** Earlier epochs that may still be draining. */
  draining: z.array(EpochRecord),
  updatedAt: z.string(),
});
export type EnvoyState = z.infer<typeof EnvoyStateSchema>;

export const ENVOY_STATE_FILE = 'envoy.json';

export async function readEnvoyState(stateDir: string): Promise<EnvoyState | undefined> {
  try {
    const parsed = EnvoyStateSchema.safeParse(
      JSON.parse(await readFile(join(stateDir, ENVOY_STATE_FILE), 'utf8')),
    );
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function writeEnvoyState(stateDir: string, state: EnvoyState): Promise<void> {
  await writeFileAtomic(join(stateDir, ENVOY_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, {
    mode: 0o640,
  });
}
