import { type FSWatcher, watch } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { errorMessage } from '../util/errors.ts';
import type { SourceFetch, SpecSource } from './types.ts';

/** Same cap as for the API: a spec is never larger than this. */
export const MAX_SPEC_BYTES = 10 * 1024 * 1024;

/** Reads the spec from a local file; a directory watch reports changes at once, the poll is the safety net. */
export class FileSpecSource implements SpecSource {
  readonly description: string;
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
    this.description = `file ${path}`;
  }

  async fetch(): Promise<SourceFetch> {
    try {
      const handle = await open(this.#path, 'r');
      try {
        const info = await handle.stat();
        if (!info.isFile())
          return { kind: 'error', message: `${this.#path}: not a regular file`, retryable: true };
        if (info.size > MAX_SPEC_BYTES) {
          return {
            kind: 'error',
            message: `${this.#path}: larger than ${MAX_SPEC_BYTES} bytes`,
            retryable: true,
          };
        }
        const buffer = Buffer.alloc(Math.min(info.size, MAX_SPEC_BYTES) + 1);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        if (bytesRead > MAX_SPEC_BYTES) {
          return {
            kind: 'error',
            message: `${this.#path}: larger than ${MAX_SPEC_BYTES} bytes`,
            retryable: true,
          };
        }
        return { kind: 'document', text: buffer.subarray(0, bytesRead).toString('utf8') };
      } finally {
        await handle.close();
      }
    } catch (err) {
      return { kind: 'error', message: `${this.#path}: ${errorMessage(err)}`, retryable: true };
    }
  }

  /** Watches the directory, not the file: editors and `mv` replace the file, which a file watch would lose. */
  watch(listener: () => void): () => void {
    const name = basename(this.#path);
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dirname(this.#path), { persistent: false }, (_event, file) => {
        if (file === null || file === name) listener();
      });
      watcher.on('error', () => watcher?.close());
    } catch {
      // The directory may not exist yet; the poll still notices the file when it appears.
      return () => undefined;
    }
    return () => watcher?.close();
  }
}
