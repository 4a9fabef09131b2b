import { type FileOwner, isInPlace, writeFileAtomic } from '../util/atomic.ts';
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
