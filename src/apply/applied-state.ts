import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';

/** What is committed and live: the single source of truth an agent restart resumes from. */
export interface AppliedState {
  readonly hash: string;
  readonly generation: number;
  readonly committedAt: string;
  readonly epoch?: number;
}

export async function readAppliedState(stateDir: string): Promise<AppliedState | undefined> {
  try {
    const parsed = JSON.parse(
      await readFile(join(stateDir, 'applied.json'), 'utf8'),
    ) as Partial<AppliedState>;
    if (typeof parsed.hash !== 'string' || typeof parsed.generation !== 'number') return undefined;
    return parsed as AppliedState;
  } catch {
    return undefined;
  }
}

export async function writeAppliedState(stateDir: string, state: AppliedState): Promise<void> {
  await writeFileAtomic(join(stateDir, 'applied.json'), `${JSON.stringify(state, null, 2)}\n`, {
    mode: 0o640,
  });
}
