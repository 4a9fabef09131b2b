/**
 * Emulates inotify IN_MOVED_TO on a directory with fs.watch, which only reports 'rename' (create, delete or move)
 * and 'change'. A 'rename' for a name counts as "moved to" when the name now points at a different inode than
 * before (a rename over an existing entry, as atomic writes and `mv -Tf` symlink swaps do), or at an inode that
 * was last seen under another name of the same directory. Not detected: a move of a file from outside the
 * directory onto a name that did not exist before. Wrongly detected: a delete + create of the same name when
 * both happen before the double handles the first event. Writes in place never trigger (same inode).
 */
import { type FSWatcher, lstatSync, readdirSync, watch } from 'node:fs';
import { join } from 'node:path';

type Listener = (name: string) => void;

class DirWatcher {
  private readonly inodes = new Map<string, number>();
  /** Inodes whose name disappeared (moved away or deleted); a name reappearing with one was moved. */
  private readonly departed = new Set<number>();
  private readonly listeners = new Set<{ readonly file: string | undefined; readonly cb: Listener }>();
  private readonly watcher: FSWatcher;

  constructor(private readonly dir: string) {
    for (const name of readdirSync(dir)) {
      const ino = this.look(name);
      if (ino !== undefined) this.inodes.set(name, ino);
    }
    this.watcher = watch(dir, { persistent: false }, (event, filename) => {
      if (event !== 'rename') return;
      if (filename === null) this.rescan();
      else this.check(filename.toString());
    });
    this.watcher.on('error', () => undefined);
  }

  add(file: string | undefined, cb: Listener): void {
    this.listeners.add({ file, cb });
  }

  close(): void {
    this.watcher.close();
  }

  private look(name: string): number | undefined {
    try {
      return lstatSync(join(this.dir, name)).ino;
    } catch {
      return undefined;
    }
  }

  private rescan(): void {
    const names = new Set([...this.inodes.keys(), ...readdirSync(this.dir)]);
    for (const name of names) this.check(name);
  }

  private check(name: string): void {
    const ino = this.look(name);
    const prev = this.inodes.get(name);
    if (ino === undefined) {
      if (prev !== undefined) {
        this.inodes.delete(name);
        if (this.departed.size > 1000) this.departed.clear();
        this.departed.add(prev);
      }
      return;
    }
    if (prev === ino) return;
    this.inodes.set(name, ino);
    const movedWithin =
      this.departed.delete(ino) || [...this.inodes].some(([n, i]) => n !== name && i === ino);
    if (prev === undefined && !movedWithin) return; // a create, not a move
    for (const l of this.listeners) if (l.file === undefined || l.file === name) l.cb(name);
  }
}

const watchers = new Map<string, DirWatcher>();

/** Calls `cb` on every move into `dir` (file undefined) or onto `dir/file`. */
export function onMovedTo(dir: string, file: string | undefined, cb: Listener): void {
  let w = watchers.get(dir);
  if (w === undefined) {
    w = new DirWatcher(dir);
    watchers.set(dir, w);
  }
  w.add(file, cb);
}

export function closeWatchers(): void {
  for (const w of watchers.values()) w.close();
  watchers.clear();
}
