// Durable, ordered, bounded event queue. One file per event, named by a zero-padded sequence number and written
// atomically (fsync'd) before enqueue resolves; delivered head first, one at a time; deleted (and the directory
// fsync'd) only after the API took it. A crash can therefore re-send at most the event that was in flight.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { MinimalLogger } from '../source/vpsie/logger.ts';
import { silentLogger } from '../source/vpsie/logger.ts';
import { backoffDelay, type BackoffPolicy } from '../source/vpsie/retry.ts';
import { fsyncDir, writeFileAtomic } from '../util/atomic.ts';
import type { Secret } from '../util/secret.ts';
import { scrubMetadata, scrubText } from './scrub.ts';
import { type AgentEvent, EVENT_TYPES, type EventType, type JsonValue, type SendOutcome } from './types.ts';

export type DropReason = 'overflow' | 'rejected' | 'corrupt';

export interface EventQueueOptions {
  readonly dir: string;
  readonly send: (event: AgentEvent) => Promise<SendOutcome>;
  /** Oldest events are dropped past this many (default 1000). */
  readonly maxEvents?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly logger?: MinimalLogger;
  readonly onDrop?: (event: AgentEvent | undefined, reason: DropReason) => void;
  /** Scrubbed from message and metadata before anything is written (the API key). */
  readonly secrets?: readonly Secret[];
  /** Retry backoff for a failing head (default 1 s doubling to 60 s, full jitter). */
  readonly backoff?: BackoffPolicy;
  readonly newId?: () => string;
}

export interface EventQueue {
  /** Resolves once the event is durably on disk. */
  enqueue(type: EventType, message: string, metadata?: Readonly<Record<string, JsonValue>>): Promise<void>;
  /** Reloads what a previous run left and starts delivering. */
  start(): Promise<void>;
  /** Stops delivering after the event in flight (if any) settles; queued events stay on disk. */
  stop(): Promise<void>;
  /** True once the queue is empty, false if `timeoutMs` passed first. */
  flush(timeoutMs: number): Promise<boolean>;
  depth(): number;
  dropped(): number;
}

interface Entry {
  readonly seq: number;
  readonly file: string;
  readonly event: AgentEvent;
}

const NAME = /^(\d{16})\.event\.json$/;
const TEMP = /^\..*\.tmp$/;
const fileName = (seq: number): string => `${String(seq).padStart(16, '0')}.event.json`;
const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function parseEvent(text: string): AgentEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  const md = o.metadata;
  if (
    typeof o.id !== 'string' ||
    typeof o.message !== 'string' ||
    typeof o.timestamp !== 'string' ||
    !EVENT_TYPES.includes(o.type as EventType) ||
    typeof md !== 'object' ||
    md === null ||
    Array.isArray(md)
  ) {
    return undefined;
  }
  return {
    id: o.id,
    type: o.type as EventType,
    message: o.message,
    metadata: md as Record<string, JsonValue>,
    timestamp: o.timestamp,
  };
}

export function createEventQueue(opts: EventQueueOptions): EventQueue {
  const { dir, send } = opts;
  const maxEvents = Math.max(1, opts.maxEvents ?? 1000);
  const sleep = opts.sleep ?? defaultSleep;
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const logger = opts.logger ?? silentLogger;
  const secrets = opts.secrets ?? [];
  const backoff = opts.backoff ?? { baseDelayMs: 1_000, maxDelayMs: 60_000 };
  const newId = opts.newId ?? randomUUID;

  const entries: Entry[] = [];
  let nextSeq = 1;
  let droppedCount = 0;
  let inFlight: Entry | undefined;
  let loaded: Promise<void> | undefined;
  let writes: Promise<unknown> = Promise.resolve();
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let stopSignal: { promise: Promise<void>; fire: () => void } | undefined;
  const emptyWaiters = new Set<() => void>();

  const notifyEmpty = (): void => {
    if (entries.length > 0) return;
    for (const w of emptyWaiters) w();
    emptyWaiters.clear();
  };

  const drop = (event: AgentEvent | undefined, reason: DropReason, detail: string): void => {
    droppedCount++;
    logger.warn(
      { eventId: event?.id, eventType: event?.type, reason, dropped: droppedCount },
      `event dropped: ${detail}`,
    );
    opts.onDrop?.(event, reason);
  };

  async function removeFile(file: string): Promise<void> {
    try {
      await unlink(join(dir, file));
      await fsyncDir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT')
        logger.error({ file, code }, 'could not delete a delivered event; it may be sent again');
    }
  }

  async function load(): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      if (TEMP.test(name)) {
        // A write that crashed before its rename: never acknowledged, so never promised.
        await removeFile(name);
        continue;
      }
      const m = NAME.exec(name);
      if (!m) continue;
      const seq = Number(m[1]);
      const event = parseEvent(await readFile(join(dir, name), 'utf8').catch(() => ''));
      if (event === undefined) {
        drop(undefined, 'corrupt', `${name} is not a readable event`);
        await removeFile(name);
        continue;
      }
      entries.push({ seq, file: name, event });
      nextSeq = Math.max(nextSeq, seq + 1);
    }
    if (entries.length > 0) logger.info({ depth: entries.length }, 'reloaded queued events');
    await trim();
  }

  const ensureLoaded = (): Promise<void> => {
    loaded ??= load();
    return loaded;
  };

  /** Drops the oldest events past the bound, never the one in flight. */
  async function trim(): Promise<void> {
    while (entries.length > maxEvents) {
      const i = entries[0] === inFlight ? 1 : 0;
      const [victim] = entries.splice(i, 1);
      if (!victim) return;
      drop(victim.event, 'overflow', `queue holds more than ${maxEvents} events`);
      await removeFile(victim.file);
    }
  }

  /** Serialises disk mutations from enqueue so sequence order is call order. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = writes.then(fn, fn);
    writes = p.catch(() => undefined);
    return p;
  };

  async function deliverLoop(): Promise<void> {
    let failures = 0;
    while (running) {
      const head = entries[0];
      if (head === undefined) {
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
        continue;
      }
      inFlight = head;
      let outcome: SendOutcome;
      try {
        outcome = await send(head.event);
      } catch (err) {
        outcome = {
          kind: 'retry',
          reason: scrubText(err instanceof Error ? err.message : String(err), secrets),
        };
      }
      inFlight = undefined;
      if (outcome.kind === 'retry') {
        failures++;
        const delayMs = backoffDelay(failures, backoff, random);
        logger.warn(
          { eventId: head.event.id, attempt: failures, delayMs, reason: scrubText(outcome.reason, secrets) },
          'event delivery failed; will retry',
        );
        await Promise.race([sleep(delayMs), stopSignal?.promise]);
        continue;
      }
      failures = 0;
      if (outcome.kind === 'drop') drop(head.event, 'rejected', scrubText(outcome.reason, secrets));
      await serial(async () => {
        const i = entries.indexOf(head);
        if (i >= 0) entries.splice(i, 1);
        await removeFile(head.file);
      });
      notifyEmpty();
    }
  }

  return {
    async enqueue(type, message, metadata = {}) {
      await ensureLoaded();
      const event: AgentEvent = {
        id: newId(),
        type,
        message: scrubText(message, secrets),
        metadata: scrubMetadata(metadata, secrets),
        timestamp: new Date(now()).toISOString(),
      };
      await serial(async () => {
        const seq = nextSeq++;
        const file = fileName(seq);
        await writeFileAtomic(join(dir, file), `${JSON.stringify(event)}\n`, { mode: 0o600 });
        entries.push({ seq, file, event });
        await trim();
      });
      wake?.();
    },
    async start() {
      await ensureLoaded();
      if (running) return;
      running = true;
      let fire!: () => void;
      const promise = new Promise<void>((r) => {
        fire = r;
      });
      stopSignal = { promise, fire };
      loop = deliverLoop().catch((err: unknown) => {
        running = false;
        logger.error({ error: scrubText(String(err), secrets) }, 'event delivery stopped');
      });
    },
    async stop() {
      running = false;
      stopSignal?.fire();
      wake?.();
      await loop;
      await writes;
      loop = undefined;
    },
    flush(timeoutMs) {
      if (entries.length === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        const timer = setTimeout(() => {
          emptyWaiters.delete(done);
          resolve(false);
        }, timeoutMs);
        emptyWaiters.add(done);
      });
    },
    depth: () => entries.length,
    dropped: () => droppedCount,
  };
}
