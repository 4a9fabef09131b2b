import type { Dirent } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { type FileOwner, fsyncDir, isInPlace, writeFileAtomic } from '../util/atomic.ts';
import { errorCode } from '../util/errors.ts';
import type { FileRole, PlannedFile } from './types.ts';

/** Make before break: what a resource refers to goes live before the resource that refers to it. */
const ORDER: readonly FileRole[] = [
  'certificate',
  'secrets',
  'endpoints',
  'clusters',
  'routes',
  'listeners',
  'static',
  'bootstrap',
];

export function installOrder(files: readonly PlannedFile[]): PlannedFile[] {
  return [...files].sort((a, b) => ORDER.indexOf(a.role) - ORDER.indexOf(b.role));
}

/**
 * Puts every file in place by atomic rename (the move is what Envoy's file-based xDS watches for).
 * Files whose live content is already identical are left alone, so an unchanged secret does not make Envoy reload.
 * Returns the paths actually replaced.
 */
export async function installFiles(
  files: readonly PlannedFile[],
  options: { certificateOwner?: FileOwner } = {},
): Promise<string[]> {
  const replaced: string[] = [];
  for (const file of installOrder(files)) {
    const owner = file.role === 'certificate' ? options.certificateOwner : undefined;
    if (await isInPlace(file.path, file.content, inPlaceOptions(file, owner))) continue;
    await writeFileAtomic(file.path, file.content, { mode: file.mode, owner });
    replaced.push(file.path);
  }
  return replaced;
}

/** True when every file is live with exactly this content and mode (certificates: and owner). */
export async function isInstalled(
  files: readonly PlannedFile[],
  options: { certificateOwner?: FileOwner } = {},
): Promise<boolean> {
  for (const file of files) {
    const owner = file.role === 'certificate' ? options.certificateOwner : undefined;
    if (!(await isInPlace(file.path, file.content, inPlaceOptions(file, owner)))) return false;
  }
  return true;
}

/** Certificate files are named by their content's digest (see envoy/build/tls.ts). */
const inPlaceOptions = (file: PlannedFile, owner: FileOwner | undefined) => ({
  mode: file.mode,
  owner,
  contentAddressed: file.role === 'certificate',
});

/**
 * Removes what a committed generation no longer holds from the per-resource directories (routes/, endpoints/,
 * secrets/): the file of a removed rule, pool or certificate, and temp files a crashed write left. Envoy never reads
 * them again (no live resource refers to them, and a deletion is not the move its watch reacts to), but an operator
 * reading the directory would take them for live configuration. Only `*.yaml`, `*.json` and the atomic writer's
 * `.….tmp` files are touched; call with no write in flight (the apply loop is serialized). Returns the removed
 * paths.
 */
export async function removeStaleResourceFiles(
  committed: readonly PlannedFile[],
  directories: readonly string[],
): Promise<string[]> {
  const keep = new Set(committed.map((f) => f.path));
  const removed: string[] = [];
  for (const dir of directories) {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errorCode(err) === 'ENOENT') continue;
      throw err;
    }
    const before = removed.length;
    for (const e of entries) {
      const path = join(dir, e.name);
      const stale = e.name.startsWith('.') ? e.name.endsWith('.tmp') : /\.(yaml|json)$/.test(e.name);
      if (!e.isFile() || !stale || keep.has(path)) continue;
      try {
        await unlink(path);
        removed.push(path);
      } catch (err) {
        if (errorCode(err) !== 'ENOENT') throw err;
      }
    }
    if (removed.length > before) await fsyncDir(dir);
  }
  return removed;
}
