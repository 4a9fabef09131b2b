import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';

/**
 * The spec text each committed configuration came from, by configuration hash, so that while an operator's hold
 * serves an older generation, health and /status describe that generation's backends rather than the spec's.
 * 0600: a spec may carry an inline private key.
 */
export class SpecArchive {
  readonly #dir: string;
  readonly #keep: number;

  constructor(stateDir: string, keep = 10) {
    this.#dir = join(stateDir, 'specs');
    this.#keep = keep;
  }

  async save(hash: string, text: string): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(join(this.#dir, `${hash}.json`), text, { mode: 0o600 });
    const names = (await readdir(this.#dir)).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
    if (names.length <= this.#keep) return;
    const dated = await Promise.all(
      names.map(async (n) => ({ n, t: (await stat(join(this.#dir, n))).mtimeMs })),
    );
    dated.sort((a, b) => b.t - a.t);
    for (const { n } of dated.slice(this.#keep)) await rm(join(this.#dir, n), { force: true });
  }

  async load(hash: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{64}$/.test(hash)) return undefined;
    try {
      return await readFile(join(this.#dir, `${hash}.json`), 'utf8');
    } catch {
      return undefined;
    }
  }
}
