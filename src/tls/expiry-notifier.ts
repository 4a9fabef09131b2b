/**
 * `certificate_expiring` events at 30, 14, 7 and 1 days before notAfter, each once per certificate. Which
 * thresholds were notified is kept per certificate fingerprint in the state directory (written atomically), so
 * an agent restart does not repeat them and a renewed certificate (new fingerprint) starts afresh.
 *
 * Order: the event is enqueued (durably) before the state is written, so a crash in between repeats a warning
 * rather than losing one.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';
import type { CertificateInfo } from './check.ts';
import { EXPIRY_THRESHOLDS_DAYS, expiryThresholdsCrossed, secondsToExpiry } from './expiry.ts';

export const EXPIRY_STATE_FILE = 'certificate-expiry.json';

/** Entries of certificates gone this long past notAfter are dropped; the file stays small. */
const FORGET_AFTER_MS = 90 * 86_400_000;
const MAX_ENTRIES = 50;

interface Entry {
  readonly subject: string;
  readonly notAfter: string;
  readonly notified: number[];
}

interface StateFile {
  readonly version: 1;
  readonly certificates: Record<string, Entry>;
}

export type ExpiringEvent = (message: string, metadata: Record<string, unknown>) => Promise<void>;

export interface ExpiryNotifierOptions {
  readonly stateDir: string;
  readonly emit: ExpiringEvent;
  /** A state file that cannot be read or parsed starts empty (warnings may repeat once); reported here. */
  readonly onStateError?: (err: unknown) => void;
}

const THRESHOLDS: ReadonlySet<number> = new Set(EXPIRY_THRESHOLDS_DAYS);

export class ExpiryNotifier {
  readonly #o: ExpiryNotifierOptions;
  readonly #path: string;
  #state: Map<string, Entry> | undefined;
  /** Serializes checks (after a reconcile and the hourly timer may coincide). */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: ExpiryNotifierOptions) {
    this.#o = options;
    this.#path = join(options.stateDir, EXPIRY_STATE_FILE);
  }

  /** Emits the event for `info` if a threshold was reached and not yet notified. Returns the new thresholds. */
  check(info: CertificateInfo | undefined, now: Date, domain = ''): Promise<number[]> {
    const run = this.#queue.then(() => this.#check(info, now, domain));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #check(info: CertificateInfo | undefined, now: Date, domain: string): Promise<number[]> {
    if (info === undefined) return [];
    const state = await this.#load();
    const key = info.fingerprint256;
    const previous = state.get(key);
    const notified = new Set(previous?.notified ?? []);
    const crossed = expiryThresholdsCrossed(info.notAfter, now, notified);
    if (crossed.length === 0) return [];
    // The most urgent threshold is the one reported; the others are noted as done.
    const threshold = crossed[crossed.length - 1] ?? 0;
    const seconds = secondsToExpiry(info.notAfter, now);
    const days = Math.floor(seconds / 86_400);
    const when =
      seconds < 0
        ? `expired on ${info.notAfter.toISOString()}`
        : `expires on ${info.notAfter.toISOString()} (in ${days === 0 ? 'less than a day' : `${days} day${days === 1 ? '' : 's'}`})`;
    const forDomain = domain === '' ? '' : ` for ${domain}`;
    await this.#o.emit(`certificate ${info.subject}${forDomain} ${when}; renew it`, {
      name: info.subject,
      ...(domain === '' ? {} : { domain }),
      issuer: info.issuer,
      serial_number: info.serialNumber,
      fingerprint_sha256: info.fingerprint256,
      not_after: info.notAfter.toISOString(),
      seconds_to_expiry: seconds,
      threshold_days: threshold,
    });
    for (const d of crossed) notified.add(d);
    state.set(key, {
      subject: info.subject,
      notAfter: info.notAfter.toISOString(),
      notified: [...notified].sort((a, b) => b - a),
    });
    await this.#save(state, now);
    return crossed;
  }

  async #load(): Promise<Map<string, Entry>> {
    if (this.#state !== undefined) return this.#state;
    this.#state = new Map();
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      if (!(err instanceof Error && 'code' in err && err.code === 'ENOENT')) this.#o.onStateError?.(err);
      return this.#state;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      for (const [k, v] of Object.entries(certificatesOf(parsed))) {
        const entry = parseEntry(v);
        if (entry !== undefined) this.#state.set(k, entry);
      }
    } catch (err) {
      this.#o.onStateError?.(err);
    }
    return this.#state;
  }

  async #save(state: Map<string, Entry>, now: Date): Promise<void> {
    for (const [k, e] of state) {
      if (now.getTime() - Date.parse(e.notAfter) > FORGET_AFTER_MS) state.delete(k);
    }
    const kept = [...state].sort(([, a], [, b]) => Date.parse(b.notAfter) - Date.parse(a.notAfter));
    const file: StateFile = { version: 1, certificates: Object.fromEntries(kept.slice(0, MAX_ENTRIES)) };
    await writeFileAtomic(this.#path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o640 });
  }
}

function certificatesOf(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || !('certificates' in v)) return {};
  const c = v.certificates;
  return typeof c === 'object' && c !== null && !Array.isArray(c) ? (c as Record<string, unknown>) : {};
}

function parseEntry(v: unknown): Entry | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const { subject, notAfter, notified } = v as Record<string, unknown>;
  if (typeof subject !== 'string' || typeof notAfter !== 'string' || Number.isNaN(Date.parse(notAfter))) {
    return undefined;
  }
  if (!Array.isArray(notified)) return undefined;
  const days = notified.filter((d): d is number => typeof d === 'number' && THRESHOLDS.has(d));
  return { subject, notAfter, notified: days };
}
