import type { Timers } from '../../src/util/timers.ts';

/** A manual clock: timers fire only when the test says so. */
export class ManualTimers implements Timers {
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  #next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** The delays of what is scheduled, oldest first. */
  delays(): number[] {
    return [...this.pending.values()].map((t) => t.ms);
  }
  /** Runs the oldest pending timer; throws when none is. */
  fire(): void {
    const [id, t] = [...this.pending][0] ?? [];
    if (id === undefined || t === undefined) throw new Error('no timer pending');
    this.pending.delete(id);
    t.fn();
  }
  /** Runs every pending timer once (those they set stay pending). */
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const t of due) t.fn();
  }
}
