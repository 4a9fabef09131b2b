/**
 * The agent's certificate housekeeping around reconciles: watches the spec's certificate files (a change asks
 * for a reconcile), removes the agent's inline copies once a configuration that no longer uses them is
 * committed, and warns before the committed certificate expires (after each reconcile and at least hourly).
 * Call afterReconcile from the reconcile loop itself, so cleanup never overlaps an apply.
 */
import type { Logger } from '../log/logger.ts';
import type { ReconcileReport } from '../reconcile/reconciler.ts';
import type { LoadBalancerModel } from '../model/types.ts';
import { errorMessage } from '../util/errors.ts';
import type { CertificateInfo } from './check.ts';
import { type ExpiringEvent, ExpiryNotifier } from './expiry-notifier.ts';
import { AcceptedTlsFiles } from './sources.ts';
import { INLINE_PREFIX, removeUnreferenced } from './store.ts';
import { CertificateWatcher, watchedCertificateFiles } from './watch.ts';

export interface CertificateManagerOptions {
  readonly certDir: string;
  readonly stateDir: string;
  readonly logger: Logger;
  /** The certificate_expiring event. */
  readonly emitExpiring: ExpiringEvent;
  /** A watched certificate file changed: the agent triggers a reconcile. */
  readonly onFilesChanged: () => void;
  /** The hash of the generation that is committed (the applier's view). */
  readonly committedHash: () => string | undefined;
  readonly checkIntervalMs?: number;
  readonly debounceMs?: number;
  readonly now?: () => Date;
}

/** What the manager needs from a prepared generation. */
export interface PreparedCertificates {
  readonly generation: { readonly hash: string };
  /** The certificate files the generation names (not generation.files: that would serialise every file). */
  readonly rendered: { readonly files: { readonly inline: readonly { readonly path: string }[] } };
  readonly certificate?: CertificateInfo;
  /** Every certificate, by the domain (served host, or LB id) it is for. */
  readonly certificates?: readonly DomainCertificate[];
}

export interface DomainCertificate {
  readonly label: string;
  readonly info: CertificateInfo;
}

interface Known {
  readonly hash: string;
  readonly files: ReadonlySet<string>;
  readonly certificate?: CertificateInfo;
  readonly certificates: readonly DomainCertificate[];
}

export class CertificateManager {
  /** Pass to prepareGeneration so a bad replacement of a certificate file is reported as one. */
  readonly acceptedTlsFiles = new AcceptedTlsFiles();
  readonly watcher: CertificateWatcher;
  readonly expiry: ExpiryNotifier;
  readonly #o: CertificateManagerOptions;
  readonly #now: () => Date;
  #prepared: Known | undefined;
  #committed: Known | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: CertificateManagerOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.watcher = new CertificateWatcher({
      // A renewal writes the certificate and the key one after the other; a pair caught half-way would be
      // rejected (key does not match) and reported, so wait for a quiet second.
      debounceMs: options.debounceMs ?? 1000,
      onChange: (files) => {
        options.logger.info({ files }, 'certificate files changed: reconciling');
        options.onFilesChanged();
      },
      onError: (dir, err) =>
        options.logger.warn(
          { dir, error: errorMessage(err) },
          'cannot watch the certificate directory; changes are noticed at the next poll',
        ),
    });
    this.expiry = new ExpiryNotifier({
      stateDir: options.stateDir,
      emit: options.emitExpiring,
      onStateError: (err) =>
        options.logger.warn(
          { error: errorMessage(err) },
          'certificate expiry state unreadable; expiry warnings may repeat once',
        ),
    });
  }

  /** The certificate of the committed generation, once a reconcile has confirmed one. */
  get committedCertificate(): CertificateInfo | undefined {
    return this.#committed?.certificate;
  }

  /** Every certificate of the committed generation, by domain. */
  get committedCertificates(): readonly DomainCertificate[] {
    return this.#committed?.certificates ?? [];
  }

  /** Note every successfully prepared generation (the reconciler may then commit it). */
  prepared(p: PreparedCertificates): void {
    this.#prepared = {
      hash: p.generation.hash,
      files: new Set(p.rendered.files.inline.map((f) => f.path)),
      ...(p.certificate ? { certificate: p.certificate } : {}),
      certificates:
        p.certificates ?? (p.certificate === undefined ? [] : [{ label: '', info: p.certificate }]),
    };
  }

  /** Hourly expiry check (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.#checkExpiry(), this.#o.checkIntervalMs ?? 3_600_000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.watcher.close();
  }

  async afterReconcile(report: ReconcileReport, spec: LoadBalancerModel | undefined): Promise<void> {
    this.watcher.update(spec?.certificates.map((c) => c.tls));
    const prepared = this.#prepared;
    const confirmed =
      (report.result === 'applied' || report.result === 'unchanged') &&
      prepared !== undefined &&
      report.hash === prepared.hash &&
      this.#o.committedHash() === prepared.hash;
    if (confirmed) {
      this.#committed = prepared;
      await this.#removeUnreferenced(prepared, spec);
    }
    await this.#checkExpiry();
  }

  /** Only after commit: the previous generation's copies stay until the new one is live and committed. */
  async #removeUnreferenced(committed: Known, spec: LoadBalancerModel | undefined): Promise<void> {
    // The operator's own files never go, even one that happens to be named like ours.
    const keep = new Set([
      ...committed.files,
      ...watchedCertificateFiles(spec?.certificates.map((c) => c.tls)),
    ]);
    try {
      const removed = await removeUnreferenced(this.#o.certDir, keep, INLINE_PREFIX);
      if (removed.length > 0) this.#o.logger.info({ removed }, 'removed unreferenced certificate files');
    } catch (err) {
      this.#o.logger.warn({ error: errorMessage(err) }, 'could not remove unreferenced certificate files');
    }
  }

  async #checkExpiry(): Promise<void> {
    try {
      // Each domain's certificate once (a certificate shared by several domains is warned about once).
      const seen = new Set<string>();
      for (const c of this.#committed?.certificates ?? []) {
        if (seen.has(c.info.fingerprint256)) continue;
        seen.add(c.info.fingerprint256);
        await this.expiry.check(c.info, this.#now(), c.label);
      }
    } catch (err) {
      this.#o.logger.warn({ error: errorMessage(err) }, 'certificate expiry check failed');
    }
  }
}
