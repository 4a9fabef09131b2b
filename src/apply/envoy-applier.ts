// A transaction against a running Envoy: validate → back up → install → (move files | hot restart) → verify →
// commit, and on failure put the previous generation back while the old epoch keeps serving.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentConfig } from '../config/types.ts';
import { type AdminClient, acceptedVersions, createAdminClient } from '../envoy/admin/client.ts';
import { resourceDirectories, xdsFilePaths } from '../envoy/build/names.ts';
import {
  type EnvoyStatus,
  EnvoySupervisor,
  type StartOutcome,
  type SupervisorOptions,
} from '../envoy/process/supervisor.ts';
import type { FileOwner } from '../util/atomic.ts';
import { errorMessage } from '../util/errors.ts';
import { validateWithEnvoy } from './envoy-validate.ts';
import { FileApplier } from './file-applier.ts';
import type { ApplyOutcome, Generation } from './types.ts';

/** The supervisor's process settings come from the agent config; the rest pass through to it. */
export interface EnvoyApplierOptions
  extends Pick<
    SupervisorOptions,
    'host' | 'logger' | 'onEvent' | 'env' | 'hook' | 'now' | 'backoff' | 'crashLoop'
  > {
  readonly config: AgentConfig;
  /** Envoy's user: certificate and key files are chowned to it. */
  readonly certificateOwner?: FileOwner;
}

export interface EnvoyApplierStatus extends EnvoyStatus {
  readonly strategy: string;
  readonly committedHash?: string;
  readonly committedEpoch?: number;
  /** Set when a failed transaction could not put the previous configuration back: /readyz must fail. */
  readonly restoreFailed?: string;
}

/**
 * LDS/CDS, every RDS subscription (`http.<prefix>.rds.<route>.`) and every EDS cluster (`cluster.<name>.`).
 * update_rejected: Envoy refused a resource; update_failure: it could not read the file into a response at all
 * (YAML, an unknown @type, a string where a number goes: shown on the real binary in validate-xds.test.ts).
 */
const STAT_FILTER =
  '^(cluster_manager\\.cds|listener_manager\\.lds|http\\..*\\.rds\\..*|cluster\\..*|sds\\..*)\\.update_(success|rejected|failure)$';

/** The accepted versions of RDS, EDS and SDS subscriptions (text readouts). */
const SUBSCRIPTION_VERSIONS = '^(http\\..*\\.rds\\..*|cluster\\..*|sds\\..*)\\.version_text$';

/** The version_info a DiscoveryResponse file carries (the builders put it first: line 1 of YAML, line 2 of JSON). */
export function fileVersion(content: string): string | undefined {
  const m = /^ *(?:version_info|"version_info"): (['"]?)([^'"\n]+)\1,?$/m.exec(content.slice(0, 512));
  return m?.[2];
}
const KINDS = {
  clusters: { stat: 'cluster_manager.cds', dump: 'clusters' },
  listeners: { stat: 'listener_manager.lds', dump: 'listeners' },
} as const;
type Kind = keyof typeof KINDS;

export class EnvoyApplier extends FileApplier {
  override readonly strategy: string;
  readonly supervisor: EnvoySupervisor;
  readonly #o: EnvoyApplierOptions;
  readonly #admin: AdminClient;
  #restoreFailed: string | undefined;
  /** Envoy runs an interrupted transaction's configuration: nothing counts as committed until the next apply. */
  #uncommitted = false;

  constructor(options: EnvoyApplierOptions) {
    super({
      stateDir: options.config.stateDir,
      now: options.now,
      certificateOwner: options.certificateOwner,
      resourceDirectories: resourceDirectories(options.config),
      logger: options.logger,
    });
    this.#o = options;
    const e = options.config.envoy;
    this.strategy = e.applyStrategy;
    // Verification reads stats; the cap is for the occasional full /config_dump (it grows with the config).
    this.#admin = createAdminClient({
      ...e.adminAddress,
      allowNonLoopback: e.allowNonLoopbackAdmin,
      timeoutMs: 2000,
      maxBodyBytes: 16 * 1024 * 1024,
    });
    this.supervisor = new EnvoySupervisor({
      host: options.host,
      binaryPath: e.binaryPath,
      baseId: e.baseId,
      admin: e.adminAddress,
      allowNonLoopbackAdmin: e.allowNonLoopbackAdmin,
      drainTimeMs: e.drainTimeMs,
      parentShutdownTimeMs: e.parentShutdownTimeMs,
      verifyTimeoutMs: e.verifyTimeoutMs,
      stateDir: options.config.stateDir,
      pidFile: e.pidFile,
      logger: options.logger,
      onEvent: options.onEvent,
      env: options.env,
      hook: options.hook,
      now: options.now,
      backoff: options.backoff,
      crashLoop: options.crashLoop,
      restoreCommittedFiles: () => this.reinstallCommitted(),
    });
  }

  override committedHash(): string | undefined {
    return this.#uncommitted ? undefined : super.committedHash();
  }

  /** What /status and /readyz show about Envoy. */
  envoyStatus(): EnvoyApplierStatus {
    return {
      ...this.supervisor.status(),
      strategy: this.strategy,
      committedHash: this.applied?.hash,
      committedEpoch: this.applied?.epoch,
      ...(this.#restoreFailed === undefined ? {} : { restoreFailed: this.#restoreFailed }),
    };
  }

  /** The committed files back in place (FileApplier), then the Envoy processes re-adopted or (re)started. */
  override async recover(): Promise<void> {
    await this.supervisor.exclusive(async () => {
      await super.recover();
      const committed = this.applied;
      const recovered = await this.supervisor.recover(
        committed === undefined ? undefined : { hash: committed.hash, configFile: this.#configFile() },
      );
      this.#uncommitted = recovered === 'uncommitted';
    });
  }

  override apply(generation: Generation, transactionId: string): Promise<ApplyOutcome> {
    return this.supervisor.exclusive(() => this.#apply(generation, transactionId));
  }

  /** Agent exit: leave Envoy serving, unless envoy.stop_on_exit (then drain and stop it). */
  async close(): Promise<void> {
    await this.supervisor.exclusive(async () => {
      if (this.#o.config.envoy.stopOnExit) await this.supervisor.stop(true);
      this.supervisor.close();
    });
    await this.#o.host.close();
  }

  async #apply(generation: Generation, transactionId: string): Promise<ApplyOutcome> {
    const { logger, hook } = this.#o;
    const e = this.#o.config.envoy;
    const staticFile = generation.files.find((f) => f.role === 'static');
    const configFile = generation.files.find((f) => f.path === this.#configFile());
    if (staticFile === undefined || configFile === undefined) {
      return { ok: false, stage: 'validate', error: 'the generation has no bootstrap file', restored: true };
    }

    // `envoy --mode validate` would be most of the agent's time for a change at 10,000 backends (~0.15 s with the
    // static bootstrap as JSON, ~0.6 s as YAML; its process start alone ~70 ms). A change that moves only EDS files
    // (every other live file stays as it is) skips it: the spec validator and the schema check cover endpoints, and
    // the verify (update_rejected → rollback) still gates what Envoy does with them.
    const endpointsOnly =
      this.strategy === 'dynamic' &&
      this.applied !== undefined &&
      this.supervisor.adminAvailable() &&
      generation.files.some((f) => f.role === 'endpoints') &&
      (await this.installed(generation.files.filter((f) => f.role !== 'endpoints' && f.role !== 'static')));
    if (!endpointsOnly) {
      const validated = await validateWithEnvoy({
        binaryPath: e.binaryPath,
        staticBootstrap: staticFile,
        workDir: join(this.stateDir, 'tmp'),
        name: transactionId,
        env: this.#o.env,
      });
      if (!validated.ok) return { ok: false, stage: 'validate', error: validated.error, restored: true };
    }

    let seq: number;
    try {
      seq = (await this.store.save(generation, this.now(), this.supervisor.state.serving?.epoch)).meta.seq;
    } catch (err) {
      return { ok: false, stage: 'backup', error: errorMessage(err), restored: true };
    }
    hook?.('after-backup');

    const restart =
      this.strategy === 'hot_restart' ||
      this.supervisor.identityChanged() ||
      !this.supervisor.adminAvailable() ||
      !(await this.supervisor.servingRunning()) ||
      !this.supervisor.runsBootstrap(configFile.content);
    let baseline: Map<string, number> | undefined;
    if (!restart) {
      try {
        baseline = await this.#admin.statsFiltered(STAT_FILTER);
      } catch (err) {
        return {
          ok: false,
          stage: 'apply',
          error: `admin unavailable: ${errorMessage(err)}`,
          restored: true,
        };
      }
    }

    let replaced: string[];
    try {
      replaced = await this.install(generation.files);
    } catch (err) {
      return this.#fail('apply', errorMessage(err), restart);
    }
    hook?.('after-install');

    let epoch: number | undefined;
    if (restart) {
      const started: StartOutcome = await this.supervisor.restart(configFile.path, generation.hash);
      if (!started.ok) return this.#fail(started.stage, started.error, true, started.epoch);
      epoch = started.epoch;
    } else {
      const verified = await this.#verifyDynamic(generation, replaced, baseline ?? new Map());
      if (verified !== undefined) return this.#fail('verify', verified, false);
      epoch = this.supervisor.state.serving?.epoch;
      await this.supervisor.noteDynamicHash(generation.hash);
    }
    hook?.('after-live-before-commit');
    try {
      await this.commit(seq, generation, epoch);
    } catch (err) {
      return {
        ok: false,
        stage: 'commit',
        error: errorMessage(err),
        restored: false,
        restoreError: 'commit failed after the new configuration went live',
        epoch,
      };
    }
    this.#restoreFailed = undefined;
    this.#uncommitted = false;
    logger.debug({ hash: generation.hash, epoch, restart }, 'transaction committed');
    return { ok: true, epoch };
  }

  /**
   * Dynamic: the moved DiscoveryResponse files were accepted (update_success advanced, update_rejected and
   * update_failure did not)
   * and the accepted version (version_text) is the new one. Returns the failure, or undefined when verified.
   */
  async #verifyDynamic(
    generation: Generation,
    replaced: readonly string[],
    baseline: ReadonlyMap<string, number>,
  ): Promise<string | undefined> {
    const e = this.#o.config.envoy;
    const paths = xdsFilePaths(this.#o.config);
    const kinds: Kind[] = [];
    if (replaced.includes(paths.clusters)) kinds.push('clusters');
    if (replaced.includes(paths.listeners)) kinds.push('listeners');
    const want: Partial<Record<Kind, string>> = {};
    for (const kind of kinds) {
      const file = generation.files.find((f) => f.role === kind);
      want[kind] = file === undefined ? generation.hash : (fileVersion(file.content) ?? generation.hash);
    }
    // Per-resource files: the subscriptions that read a replaced file must have taken it. Secrets too: a listener
    // whose SDS secret Envoy refused keeps warming (or, new, never serves) while LDS reports success.
    const subscriptions = generation.files
      .filter(
        (f) =>
          (f.role === 'routes' || f.role === 'endpoints' || f.role === 'secrets') &&
          replaced.includes(f.path),
      )
      .flatMap((f) =>
        f.resource === undefined || (f.role !== 'routes' && f.role !== 'endpoints' && f.role !== 'secrets')
          ? []
          : [{ ...subscriptionStats(f.role, f.resource), version: fileVersion(f.content) }],
      );
    const deadline = Date.now() + e.verifyTimeoutMs;
    let last = 'no answer from admin';
    while (Date.now() < deadline) {
      try {
        const stats = await this.#admin.statsFiltered(STAT_FILTER);
        for (const kind of kinds) {
          for (const refused of ['update_rejected', 'update_failure']) {
            const name = `${KINDS[kind].stat}.${refused}`;
            if ((stats.get(name) ?? 0) > (baseline.get(name) ?? 0)) {
              return `Envoy rejected the ${kind} update (${name} ${baseline.get(name) ?? 0} → ${stats.get(name)})`;
            }
          }
        }
        for (const s of subscriptions) {
          for (const [name, value] of stats) {
            if (
              (s.matches(name, 'rejected') || s.matches(name, 'failure')) &&
              value > (baseline.get(name) ?? 0)
            )
              return `Envoy rejected ${s.what} (${name} ${baseline.get(name) ?? 0} → ${value})`;
          }
        }
        const advanced = kinds.every((kind) => {
          const name = `${KINDS[kind].stat}.update_success`;
          return (stats.get(name) ?? 0) > (baseline.get(name) ?? 0);
        });
        // Each subscription that reads a replaced file shows that file's version as its accepted version.
        const texts =
          subscriptions.length === 0
            ? new Map<string, string>()
            : await this.#admin.textReadouts(SUBSCRIPTION_VERSIONS);
        const taken = subscriptions.every((s) =>
          [...texts].some(([name, v]) => s.matches(name, 'version_text') && v === s.version),
        );
        const versions = await acceptedVersions(this.#admin);
        const current = kinds.every((kind) => versions[KINDS[kind].dump] === want[kind]);
        if (advanced && current && taken) return undefined;
        last = `update_success advanced: ${advanced}; routes/endpoints/secrets taken: ${taken}; accepted versions: clusters ${short(versions.clusters)}, listeners ${short(versions.listeners)}`;
      } catch (err) {
        last = errorMessage(err);
      }
      await sleep(100);
    }
    return `Envoy did not confirm the update within ${e.verifyTimeoutMs} ms (${last})`;
  }

  /** Files back; then make sure the previous configuration is what serves. */
  async #fail(stage: string, error: string, restarted: boolean, epoch?: number): Promise<ApplyOutcome> {
    const files = await this.restore();
    let result: { restored: boolean; restoreError?: string } = files;
    if (files.restored && this.applied !== undefined) {
      result = restarted ? await this.#ensureServing() : await this.#confirmDynamic(this.applied.hash);
    }
    if (!result.restored && this.applied !== undefined) {
      this.#restoreFailed = `${stage}: ${error}; restore: ${result.restoreError ?? 'unknown'}`;
    }
    return { ok: false, stage, error, epoch, ...result };
  }

  /** After a failed restart the old epoch normally still serves; if it does not, start it from the restored files. */
  async #ensureServing(): Promise<{ restored: boolean; restoreError?: string }> {
    const applied = this.applied;
    if (applied === undefined) return { restored: false, restoreError: 'no previous generation to restore' };
    if (await this.supervisor.servingRunning()) return { restored: true };
    this.#o.logger.warn(
      { hash: applied.hash },
      'the previous Envoy epoch is gone: starting it from the restored files',
    );
    const started = await this.supervisor.restart(this.#configFile(), applied.hash);
    return started.ok ? { restored: true } : { restored: false, restoreError: started.error };
  }

  async #confirmDynamic(hash: string): Promise<{ restored: boolean; restoreError?: string }> {
    const e = this.#o.config.envoy;
    const paths = xdsFilePaths(this.#o.config);
    // The restored files say which versions Envoy must be back on (each file carries its own).
    const versionIn = async (file: string) => fileVersion((await readIfExists(file)) ?? '') ?? hash;
    const clusters = await versionIn(paths.clusters);
    const listeners = await versionIn(paths.listeners);
    const deadline = Date.now() + e.verifyTimeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const v = await acceptedVersions(this.#admin);
        if (v.clusters === clusters && v.listeners === listeners) return { restored: true };
        last = `accepted versions: clusters ${short(v.clusters)}, listeners ${short(v.listeners)}`;
      } catch (err) {
        last = errorMessage(err);
      }
      await sleep(100);
    }
    return {
      restored: false,
      restoreError: `Envoy did not take the restored files back within ${e.verifyTimeoutMs} ms (${last})`,
    };
  }

  /** The bootstrap Envoy runs: the dynamic one (files) or the fully static one. */
  #configFile(): string {
    const paths = xdsFilePaths(this.#o.config);
    return this.strategy === 'hot_restart' ? paths.static : paths.bootstrap;
  }
}

const short = (hash: string | undefined): string => (hash === undefined ? 'none' : hash.slice(0, 12));

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The stats of the RDS subscription of a route configuration, or of an EDS cluster. */
function subscriptionStats(role: 'routes' | 'endpoints' | 'secrets', resource: string) {
  const stat = (outcome: string) => (outcome === 'version_text' ? outcome : `update_${outcome}`);
  const rds = (name: string, outcome: string) =>
    name.startsWith('http.') && name.endsWith(`.rds.${resource}.${stat(outcome)}`);
  const eds = (name: string, outcome: string) => name === `cluster.${resource}.${stat(outcome)}`;
  const sds = (name: string, outcome: string) => name === `sds.${resource}.${stat(outcome)}`;
  const what = {
    routes: `route configuration ${resource}`,
    endpoints: `the endpoints of ${resource}`,
    secrets: `secret ${resource}`,
  }[role];
  return {
    what,
    matches: (name: string, outcome: 'success' | 'rejected' | 'failure' | 'version_text') =>
      (role === 'routes' ? rds : role === 'endpoints' ? eds : sds)(name, outcome),
  };
}
