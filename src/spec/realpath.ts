import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { posix } from 'node:path';

const MAX_SYMLINK_HOPS = 40; // Linux's MAXSYMLINKS

/**
 * Like realpath(3), but a missing tail is tolerated: components that do not exist are appended as written
 * (with `.`/`..` applied). Resolution goes component by component, in kernel order: a symlink is replaced by
 * its target before a later `..` is applied, so `certs/link/../x` resolves where the kernel would open it. A
 * dangling symlink is followed to its (missing) target too. Throws (with the fs error code) on a symlink loop
 * or on an error other than "does not exist"; callers treat that as "cannot be resolved".
 */
export function resolvePathOnDisk(p: string): string {
  // Not posix.resolve/normalize: they apply `..` lexically, before the symlinks it must come after.
  const absolute = p.startsWith('/') ? p : `${process.cwd()}/${p}`;
  const pending = absolute
    .split('/')
    .filter((c) => c !== '')
    .reverse();
  let current = '/';
  let hops = 0;
  for (;;) {
    const component = pending.pop();
    if (component === undefined) return current;
    if (component === '.') continue;
    if (component === '..') {
      current = posix.dirname(current);
      continue;
    }
    const candidate = posix.join(current, component);
    const stat = lstatOrMissing(candidate);
    if (stat === 'missing' || !stat.isSymbolicLink()) {
      current = candidate;
      continue;
    }
    hops++;
    if (hops > MAX_SYMLINK_HOPS) {
      throw Object.assign(new Error(`too many symbolic links: ${candidate}`), { code: 'ELOOP' });
    }
    const target = readlinkSync(candidate, 'utf8');
    for (const c of target.split('/').reverse()) if (c !== '') pending.push(c);
    // A relative target is read from the link's directory, which is `current`.
    if (target.startsWith('/')) current = '/';
  }
}

function lstatOrMissing(path: string): Stats | 'missing' {
  try {
    const stat = lstatSync(path, { throwIfNoEntry: false });
    return stat ?? 'missing';
  } catch (err) {
    // Below a regular file: nothing there can exist, so the rest is a missing tail.
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return 'missing';
    throw err;
  }
}
