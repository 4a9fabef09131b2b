import type { Dirent, Stats } from 'node:fs';
import { constants } from 'node:fs';
import { type FileHandle, open, readdir, unlink } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { TlsConfig, TlsSource } from '../spec/types.ts';
import { fsyncDir, isInPlace, writeFileAtomic } from '../util/atomic.ts';
import { errorCode } from '../util/errors.ts';
import { fail, ok, type Problem, type Result } from '../util/result.ts';
import type { TlsMaterial, TlsMaterialPaths } from './check.ts';

export { EXPIRY_THRESHOLDS_DAYS, expiryThresholdsCrossed, secondsToExpiry } from './expiry.ts';

/** Largest certificate, key or CA file read (a CA bundle of a few hundred roots fits easily). */
export const MAX_TLS_FILE_BYTES = 1024 * 1024;
export const KEY_FILE_MODE = 0o600;
export const CERT_FILE_MODE = 0o644;
export const INLINE_PREFIX = 'inline-';

/** The spec paths of a TLS config's items, for problems: `tls_config.certificate_path` or `…_pem`. */
export function tlsSpecPaths(tls: TlsConfig, base = 'tls_config'): TlsMaterialPaths {
  const name = (item: string, src: TlsSource | undefined) =>
    `${base}.${item}_${src?.kind === 'inline' ? 'pem' : 'path'}`;
  return {
    certificate: name('certificate', tls.certificate),
    privateKey: name('private_key', tls.privateKey),
    ca: name('ca_cert', tls.ca),
  };
}

/** Reads the path items (inline ones pass through). All items are read, so every problem shows at once. */
export async function readTlsSources(tls: TlsConfig, base?: string): Promise<Result<TlsMaterial>> {
  const paths = tlsSpecPaths(tls, base);
  const [cert, key, ca] = await Promise.all([
    readSource(tls.certificate, paths.certificate),
    readSource(tls.privateKey, paths.privateKey),
    tls.ca ? readSource(tls.ca, paths.ca) : Promise.resolve(undefined),
  ]);
  if (!cert.ok || !key.ok || (ca && !ca.ok)) {
    const problems: Problem[] = [cert, key, ca].flatMap((r) => (r && !r.ok ? r.problems : []));
    return fail(problems);
  }
  return ok({
    certificatePem: cert.value,
    privateKeyPem: key.value,
    ...(ca?.ok ? { caPem: ca.value } : {}),
  });
}

function readSource(src: TlsSource, specPath: string): Promise<Result<string>> {
  return src.kind === 'inline' ? Promise.resolve(ok(src.pem)) : readPemFile(src.path, specPath);
}

async function readPemFile(file: string, specPath: string): Promise<Result<string>> {
  const problem = (message: string) => fail<string>([{ path: specPath, message: `file ${file} ${message}` }]);
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: validation resolved the path; a symlink appearing since is not followed.
    // O_NONBLOCK: opening a FIFO must not hang the agent (fstat rejects it next).
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    return problem(openFailure(err));
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return problem(`is not a regular file (${fileKind(st)})`);
    if (st.size > MAX_TLS_FILE_BYTES) return problem(`is too big (${st.size} bytes; at most 1 MiB)`);
    // Read at most one byte past the limit: the file may have grown since fstat.
    const buf = Buffer.alloc(MAX_TLS_FILE_BYTES + 1);
    let total = 0;
    for (let round = 0; round < 1024 && total < buf.length; round++) {
      const { bytesRead } = await handle.read(buf, total, buf.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total > MAX_TLS_FILE_BYTES) return problem('is too big (more than 1 MiB)');
    if (total === 0) return problem('is empty');
    const data = buf.subarray(0, total);
    if (data[0] === 0x30 && !data.includes('-----BEGIN ')) {
      return problem('holds binary data (DER?); PEM text is expected');
    }
    return ok(data.toString('utf8'));
  } catch (err) {
    return problem(`could not be read (${errorCode(err)})`);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function openFailure(err: unknown): string {
  switch (errorCode(err)) {
    case 'ENOENT':
      return 'does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'is not readable (permission denied)';
    case 'ELOOP':
      return 'is a symbolic link (not followed)';
    case 'ENOTDIR':
      return 'does not exist (a parent is not a directory)';
    case 'ENXIO':
      return 'is not a regular file (socket)';
    default:
      return `could not be opened (${errorCode(err)})`;
  }
}

function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'named pipe';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  return 'special file';
}

export interface InlineFile {
  /** Absolute path inside the certificate directory. */
  readonly path: string;
  readonly pem: string;
  /** KEY_FILE_MODE for keys, CERT_FILE_MODE for certificates and CA bundles. */
  readonly mode: number;
}

export interface WriteInlineOptions {
  /** The Envoy user: files are chowned to it before they appear under their final name. */
  readonly owner?: { readonly uid: number; readonly gid: number };
}

/**
 * Writes each file atomically unless it is already there with the same content, mode and owner (so Envoy's
 * directory watch sees no event for an unchanged file). The temp file is created with the final mode (the
 * umask can only narrow it) and chowned before any byte is written, so a key is never readable more widely,
 * not even for a moment. Throws on I/O errors (whose messages name paths, never contents).
 */
export async function writeInlineCertificates(
  files: readonly InlineFile[],
  opts: WriteInlineOptions = {},
): Promise<void> {
  for (const f of files) {
    if (!isAbsolute(f.path)) throw new RangeError(`inline TLS file path must be absolute: ${f.path}`);
    if ((f.mode & ~0o777) !== 0) throw new RangeError(`inline TLS file mode must be permission bits only`);
  }
  for (const f of files) {
    const data = Buffer.from(f.pem, 'utf8');
    // Names are content-addressed, so a key already handed to Envoy's user (unreadable to us) counts as in place.
    if (await isInPlace(f.path, data, { mode: f.mode, owner: opts.owner, contentAddressed: true })) continue;
    await writeFileAtomic(f.path, data, { mode: f.mode, owner: opts.owner });
  }
}

/**
 * Removes the agent's own inline files (names starting with `prefix`) that `keep` does not hold, plus temp
 * files a crashed write left behind (`.<prefix>…tmp`). `keep` holds absolute paths (basenames work too).
 * Only regular files are touched. Call after commit, with no write in flight (the apply loop is serialized).
 * Returns the removed paths.
 */
export async function removeUnreferenced(
  certDir: string,
  keep: ReadonlySet<string>,
  prefix = INLINE_PREFIX,
): Promise<string[]> {
  if (prefix === '' || prefix.includes('/') || prefix.startsWith('.')) {
    throw new RangeError(`removeUnreferenced: unsafe prefix ${JSON.stringify(prefix)}`);
  }
  let entries: Dirent[];
  try {
    entries = await readdir(certDir, { withFileTypes: true });
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = join(certDir, e.name);
    const ours = e.name.startsWith(prefix) && !keep.has(full) && !keep.has(e.name);
    const staleTemp = e.name.startsWith(`.${prefix}`) && e.name.endsWith('.tmp');
    if (!ours && !staleTemp) continue;
    try {
      await unlink(full);
      removed.push(full);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
    }
  }
  if (removed.length > 0) await fsyncDir(certDir);
  return removed;
}
