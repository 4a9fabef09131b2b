/**
 * Watches the directories of the spec's path-based certificate files and asks for a reconcile when one of them
 * changes. Directories, not files: certificate tools and editors replace a file by renaming a new one over it,
 * which a watch on the old file (inode) never reports. Events are debounced (a cert + key replacement is several
 * renames). The poll stays the safety net: a watch can fail (inotify limits, the directory replaced).
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { TlsConfig, TlsSource } from '../spec/types.ts';

export interface WatchTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: WatchTimers = {
  setTimeout: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface CertificateWatcherOptions {
  /** Called once per burst of changes (the agent triggers a reconcile). */
  readonly onChange: (files: readonly string[]) => void;
  /** Quiet time after the last event before onChange (default 300 ms). */
  readonly debounceMs?: number;
  /** A steady stream of events still fires after this long (default 10 × debounceMs). */
  readonly maxDelayMs?: number;
  /** A directory could not be watched, or its watch failed (the poll still notices changes). */
  readonly onError?: (dir: string, err: unknown) => void;
  readonly timers?: WatchTimers;
  /** Injected in tests; fs.watch otherwise. */
  readonly watchDir?: (dir: string, listener: (filename: string | null) => void) => FSWatcher;
}

/** The files to watch: the path sources of a TLS config (inline items are the agent's own). */
export function watchedCertificateFiles(tls: TlsConfig | readonly TlsConfig[] | undefined): string[] {
  if (tls === undefined) return [];
  const list: readonly TlsConfig[] = Array.isArray(tls) ? tls : [tls as TlsConfig];
  const sources: (TlsSource | undefined)[] = list.flatMap((t) => [t.certificate, t.privateKey, t.ca]);
  return [...new Set(sources.flatMap((s) => (s?.kind === 'path' ? [s.path] : [])))];
}

export class CertificateWatcher {
  readonly #o: CertificateWatcherOptions;
  readonly #timers: WatchTimers;
  /** dir → its watcher and the basenames in it that matter. */
  readonly #dirs = new Map<string, { watcher: FSWatcher; names: Set<string> }>();
  #files: string[] = [];
  #changed = new Set<string>();
  #timer: unknown;
  #firstEventAt: number | undefined;
  #closed = false;

  constructor(options: CertificateWatcherOptions) {
    this.#o = options;
    this.#timers = options.timers ?? realTimers;
  }

  /** The files being watched now. */
  get files(): readonly string[] {
    return this.#files;
  }

  /** Points the watches at the path sources of `tls` (call after each reconcile; cheap when unchanged). */
  update(tls: TlsConfig | readonly TlsConfig[] | undefined): void {
    if (this.#closed) return;
    const files = watchedCertificateFiles(tls);
    if (files.length === this.#files.length && files.every((f, i) => f === this.#files[i])) return;
    this.#files = files;
    const wanted = new Map<string, Set<string>>();
    for (const f of files) {
      const dir = dirname(f);
      const names = wanted.get(dir) ?? new Set<string>();
      names.add(basename(f));
      wanted.set(dir, names);
    }
    for (const [dir, entry] of this.#dirs) {
      if (!wanted.has(dir)) {
        entry.watcher.close();
        this.#dirs.delete(dir);
      }
    }
    for (const [dir, names] of wanted) {
      const existing = this.#dirs.get(dir);
      if (existing) {
        existing.names = names;
        continue;
      }
      this.#watch(dir, names);
    }
  }

  close(): void {
    this.#closed = true;
    for (const { watcher } of this.#dirs.values()) watcher.close();
    this.#dirs.clear();
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #watch(dir: string, names: Set<string>): void {
    const listener = (filename: string | null) => {
      // No name (some platforms): assume it mattered. Otherwise only the watched files count (the agent's own
      // copies in the same directory, and unrelated files, do not).
      const current = this.#dirs.get(dir)?.names;
      if (current === undefined) return;
      if (filename !== null && !current.has(basename(filename))) return;
      this.#noteChange(filename === null ? dir : `${dir}/${basename(filename)}`);
    };
    let watcher: FSWatcher;
    try {
      watcher = this.#o.watchDir
        ? this.#o.watchDir(dir, listener)
        : watch(dir, { persistent: false }, (_event, filename) => listener(filename));
    } catch (err) {
      this.#o.onError?.(dir, err);
      return;
    }
    watcher.on('error', (err) => {
      this.#o.onError?.(dir, err);
      watcher.close();
      if (this.#dirs.get(dir)?.watcher === watcher) this.#dirs.delete(dir);
      // Forget the file list so the next update() tries again (the directory may be back).
      this.#files = [];
    });
    this.#dirs.set(dir, { watcher, names });
  }

  #noteChange(file: string): void {
    if (this.#closed) return;
    this.#changed.add(file);
    const now = Date.now();
    this.#firstEventAt ??= now;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    const debounce = this.#o.debounceMs ?? 300;
    const maxDelay = this.#o.maxDelayMs ?? debounce * 10;
    const wait = Math.max(0, Math.min(debounce, this.#firstEventAt + maxDelay - now));
    this.#timer = this.#timers.setTimeout(() => this.#fire(), wait);
  }

  #fire(): void {
    this.#timer = undefined;
    this.#firstEventAt = undefined;
    const files = [...this.#changed].sort();
    this.#changed.clear();
    if (!this.#closed) this.#o.onChange(files);
  }
}
