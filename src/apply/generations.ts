import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';
import type { FileRole, Generation, PlannedFile } from './types.ts';

export interface GenerationMeta {
  readonly seq: number;
  readonly hash: string;
  readonly createdAt: string;
  readonly epoch?: number;
  readonly files: readonly { role: FileRole; path: string; mode: number; name: string; resource?: string }[];
}

export interface StoredGeneration extends Generation {
  readonly meta: GenerationMeta;
}

const META = 'meta.json';
const BACKUP_WRITERS = 8;

/**
 * Keeps the last `keep` committed generations under `<stateDir>/generations/<seq>/` so any of them can be put back.
 * A generation directory is complete only once its meta.json exists (written last, atomically).
 */
export class GenerationStore {
  readonly #dir: string;
  readonly #keep: number;

  constructor(stateDir: string, keep = 5) {
    this.#dir = join(stateDir, 'generations');
    this.#keep = keep;
  }

  async save(generation: Generation, now: Date, epoch?: number): Promise<StoredGeneration> {
    await mkdir(this.#dir, { recursive: true, mode: 0o750 });
    const seq = (await this.#sequences()).reduce((max, s) => Math.max(max, s), 0) + 1;
    const dir = join(this.#dir, String(seq).padStart(8, '0'));
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const files = generation.files.map((f, i) => ({
      role: f.role,
      path: f.path,
      mode: f.mode,
      name: `${i}-${f.role}`,
      ...(f.resource === undefined ? {} : { resource: f.resource }),
    }));
    // Several at a time: the directory counts only once meta.json exists, so the order of these writes does not
    // matter, and their fsyncs overlap (one after another was most of the agent's time per change at 10,000
    // backends). Bounded: a 64-rule balancer has about a thousand files.
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < generation.files.length; i = next++) {
        const f = generation.files[i]!;
        await writeFileAtomic(join(dir, files[i]!.name), f.content, {
          mode: f.mode === 0o600 ? 0o600 : 0o640,
        });
      }
    };
    await Promise.all(Array.from({ length: BACKUP_WRITERS }, worker));
    const meta: GenerationMeta = { seq, hash: generation.hash, createdAt: now.toISOString(), epoch, files };
    await writeFileAtomic(join(dir, META), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o640 });
    return { ...generation, meta };
  }

  async load(seq: number): Promise<StoredGeneration | undefined> {
    const dir = join(this.#dir, String(seq).padStart(8, '0'));
    let meta: GenerationMeta;
    try {
      meta = JSON.parse(await readFile(join(dir, META), 'utf8')) as GenerationMeta;
    } catch {
      return undefined;
    }
    const files: PlannedFile[] = [];
    for (const f of meta.files) {
      files.push({
        role: f.role,
        path: f.path,
        mode: f.mode,
        ...(f.resource === undefined ? {} : { resource: f.resource }),
        content: await readFile(join(dir, f.name), 'utf8'),
      });
    }
    return { hash: meta.hash, files, meta };
  }

  /** Newest first. Incomplete directories (no meta.json: a crash mid-save) are skipped. */
  async list(): Promise<GenerationMeta[]> {
    const metas: GenerationMeta[] = [];
    for (const seq of (await this.#sequences()).sort((a, b) => b - a)) {
      try {
        const text = await readFile(join(this.#dir, String(seq).padStart(8, '0'), META), 'utf8');
        metas.push(JSON.parse(text) as GenerationMeta);
      } catch {
        // incomplete generation; pruned below
      }
    }
    return metas;
  }

  /** Keeps the newest `keep` complete generations plus `pinned`; removes the rest and any incomplete ones. */
  async prune(pinned: ReadonlySet<number> = new Set()): Promise<void> {
    const complete = new Set((await this.list()).slice(0, this.#keep).map((m) => m.seq));
    for (const seq of await this.#sequences()) {
      if (!complete.has(seq) && !pinned.has(seq)) {
        await rm(join(this.#dir, String(seq).padStart(8, '0')), { recursive: true, force: true });
      }
    }
  }

  async #sequences(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return [];
    }
    return names.filter((n) => /^\d{8}$/.test(n)).map(Number);
  }
}
