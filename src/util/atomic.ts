import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o644). Secrets pass 0o600. */
  readonly mode?: number;
  /** Owner of the new file (needs CAP_CHOWN): a key for Envoy's user is 0600 and owned by that user. */
  readonly owner?: FileOwner;
}

export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

/** fsync a directory so a rename inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` to `path` so that readers see either the old or the new file, never a torn one:
 * temp file in the same directory, fsync, rename, fsync the directory.
 * The rename is also the IN_MOVED_TO event that Envoy's file-based xDS watches for.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  try {
    await writeAtomic(path, data, options);
  } catch (err) {
    // A full disk says only "ENOSPC: no space left on device, write": the error names the file (code kept).
    const e = err as NodeJS.ErrnoException;
    throw Object.assign(new Error(`cannot write ${path}: ${e.message}`, { cause: err }), { code: e.code });
  }
}

async function writeAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions,
): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = options.mode ?? 0o644;
  const handle = await open(tmp, 'wx', mode);
  try {
    // Owner and mode are final before the first byte is written: a key is never readable more widely, even briefly.
    if (options.owner) await handle.chown(options.owner.uid, options.owner.gid);
    // open() honours the umask; chmod makes the mode exactly what was asked.
    await handle.chmod(mode);
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

/**
 * True when `path` is a regular file with exactly this content, mode and owner, so writing it again would change
 * nothing. A file handed to another user (a 0600 key owned by Envoy's user) cannot be read back without
 * CAP_DAC_OVERRIDE; callers whose file names are content-addressed pass `contentAddressed`, and then matching size,
 * mode and owner are taken as the same content.
 */
export async function isInPlace(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions & { contentAddressed?: boolean } = {},
): Promise<boolean> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(path);
  } catch {
    return false;
  }
  if (!info.isFile() || info.size !== bytes.length) return false;
  if ((info.mode & 0o777) !== (options.mode ?? 0o644)) return false;
  if (options.owner && (info.uid !== options.owner.uid || info.gid !== options.owner.gid)) return false;
  try {
    return (await readFile(path)).equals(bytes);
  } catch (err) {
    return options.contentAddressed === true && (err as NodeJS.ErrnoException).code === 'EACCES';
  }
}
