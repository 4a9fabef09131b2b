/**
 * Backend health as Envoy sees it, reported to the VPSie API per backend — only when it changes, and once for
 * every backend after start-up.
 *
 * Mapping Envoy hosts to spec backends (only ENABLED backends; disabled ones are not in Envoy's cluster):
 * - IP backends match a host on canonical `address:port` (IPv6 compressed lower-case, IPv4-mapped as IPv4).
 * - Hostname backends (STRICT_DNS clusters) match on the host's `hostname` (Envoy's /clusters reports the DNS
 *   name each resolved host came from) and port. Such a backend is the aggregate of the hosts Envoy resolved:
 *   healthy when at least one of them is healthy (Envoy can route to it), unhealthy when every one has a verdict
 *   and none is healthy, unknown when Envoy resolved none (yet) or the source gives no hostname.
 * - A host still waiting for its first active health check (`pending`) gives no verdict.
 * Unknown is never sent to the API (it only takes healthy|unhealthy); it shows on /status.
 */
import type { LoadBalancerModel, ModelBackend } from '../model/types.ts';
import type { LogSink } from '../reconcile/reconciler.ts';
import { errorMessage } from '../util/errors.ts';
import { canonicalAddress, hostPortKey } from './address.ts';
import { IntervalDriver, type Timers } from './interval.ts';

export type BackendHealth = 'healthy' | 'unhealthy' | 'unknown';
export type ReportedHealth = Exclude<BackendHealth, 'unknown'>;

/** One host of the LB's cluster, as Envoy's admin `/clusters?format=json` shows it. */
export interface ClusterHost {
  readonly address: string;
  readonly port: number;
  readonly healthy: boolean;
  /** STRICT_DNS hosts: the DNS name the address was resolved from. */
  readonly hostname?: string;
  /** True while the host awaits its first active health check (no verdict yet). */
  readonly pending?: boolean;
  /** The cluster the host belongs to; a host without one counts for every pool (single-cluster sources). */
  readonly cluster?: string;
}

/** The hosts of the load balancer's cluster (only that cluster: the admin cluster and others must be left out). */
export interface ClusterHostSource {
  hosts(): Promise<readonly ClusterHost[]>;
  /**
   * Optional and cheap (a few stats instead of every host): a value that changes whenever a host's health may
   * have (the periodic full read is the net under it).
   */
  fingerprint?(): Promise<string>;
}

/** With a fingerprint, the hosts themselves are read only when it changed, or at least every this many ticks. */
const FULL_READ_EVERY_TICKS = 30;

export interface BackendHealthApi {
  putBackendHealth(backendId: string, status: ReportedHealth): Promise<unknown>;
}

/** A backend as /status shows it. */
export interface BackendStatusEntry {
  readonly id: string;
  readonly address: string;
  readonly port: number;
  readonly enabled: boolean;
  readonly health: BackendHealth;
  /** VPSie form: the VM behind the backend (shown only). */
  readonly vm_identifier?: string;
}

/** Pure: the health of every enabled backend of `backends`, given Envoy's hosts. */
export function deriveBackendHealth(
  backends: readonly ModelBackend[],
  hosts: readonly ClusterHost[],
): Map<string, BackendHealth> {
  const byAddress = new Map<string, ClusterHost[]>();
  const byHostname = new Map<string, ClusterHost[]>();
  const push = (map: Map<string, ClusterHost[]>, key: string, host: ClusterHost): void => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [host]);
    else list.push(host);
  };
  for (const host of hosts) {
    push(byAddress, hostPortKey(host.address, host.port), host);
    if (host.hostname !== undefined && host.hostname !== '') {
      push(byHostname, `${canonicalAddress(host.hostname)}:${host.port}`, host);
    }
  }
  const health = new Map<string, BackendHealth>();
  for (const backend of backends) {
    if (!backend.enabled) continue;
    const matched =
      backend.addressKind === 'hostname'
        ? byHostname.get(`${canonicalAddress(backend.address)}:${backend.port}`)
        : byAddress.get(hostPortKey(backend.address, backend.port));
    health.set(backend.id, aggregate(matched ?? []));
  }
  return health;
}

/**
 * Per backend id over every pool (the VPSie form reports per `identifier`, which may sit in several pools):
 * unhealthy when unhealthy in any pool, healthy when healthy in every pool that has a verdict, else unknown.
 */
export function deriveModelHealth(
  model: LoadBalancerModel | undefined,
  hosts: readonly ClusterHost[],
): Map<string, BackendHealth> {
  const out = new Map<string, BackendHealth>();
  for (const pool of model?.pools ?? []) {
    const mine = hosts.filter((h) => h.cluster === undefined || h.cluster === pool.name);
    for (const [id, health] of deriveBackendHealth(pool.backends, mine)) {
      const before = out.get(id);
      if (before === undefined || before === 'unknown' || health === 'unhealthy') out.set(id, health);
    }
  }
  return out;
}

/** Every backend of the model once per id (the first occurrence), for /status. */
export function modelBackends(model: LoadBalancerModel | undefined): ModelBackend[] {
  const seen = new Set<string>();
  const out: ModelBackend[] = [];
  for (const pool of model?.pools ?? []) {
    for (const b of pool.backends) {
      if (seen.has(b.id)) continue;
      seen.add(b.id);
      out.push(b);
    }
  }
  return out;
}

function aggregate(hosts: readonly ClusterHost[]): BackendHealth {
  const judged = hosts.filter((h) => h.pending !== true);
  if (judged.length === 0) return 'unknown';
  return judged.some((h) => h.healthy) ? 'healthy' : 'unhealthy';
}

export interface BackendHealthReporterOptions {
  readonly source: ClusterHostSource;
  readonly api: BackendHealthApi;
  /** The current (last accepted) spec; undefined before the first one. */
  readonly spec: () => LoadBalancerModel | undefined;
  readonly logger?: LogSink;
  /** For `start()`; default 10 s. */
  readonly intervalMs?: number;
  readonly timers?: Timers;
  /** After every round, with the spec that round was computed for. */
  readonly onRound?: (spec: LoadBalancerModel | undefined) => void;
}

export class BackendHealthReporter {
  readonly #opts: BackendHealthReporterOptions;
  /** What the API last acknowledged, per backend id. */
  readonly #reported = new Map<string, ReportedHealth>();
  #current = new Map<string, BackendHealth>();
  #driver: IntervalDriver | undefined;
  /** What the last full read was made for, and the source's fingerprint just before it. */
  #lastRead:
    | { spec: LoadBalancerModel | undefined; fingerprint: string | undefined; ticks: number }
    | undefined;

  constructor(opts: BackendHealthReporterOptions) {
    this.#opts = opts;
  }

  /** One round: read Envoy, derive, PUT what changed (or was never acknowledged). Never throws. */
  async tick(): Promise<void> {
    const spec = this.#opts.spec();
    await this.#round(spec);
    this.#opts.onRound?.(spec);
  }

  async #round(spec: LoadBalancerModel | undefined): Promise<void> {
    const { source, api, logger } = this.#opts;
    const backends = modelBackends(spec);
    let fingerprint: string | undefined;
    let hosts: readonly ClusterHost[] | undefined;
    try {
      // Idle work that repeats what has not changed: at 10,000 backends a full /clusters read and parse is most
      // of the agent's idle CPU, so it is skipped while the cheap fingerprint says nothing moved.
      fingerprint = await source.fingerprint?.();
      const last = this.#lastRead;
      const same =
        last !== undefined &&
        fingerprint !== undefined &&
        last.spec === spec &&
        last.fingerprint === fingerprint &&
        last.ticks < FULL_READ_EVERY_TICKS - 1;
      if (same) last.ticks++;
      else hosts = await source.hosts();
    } catch (err) {
      // Envoy's view is unavailable: health is unknown, and nothing is reported (no guessing).
      logger?.warn({ error: errorMessage(err) }, 'backend health: cannot read Envoy cluster hosts');
      this.#current = new Map(backends.filter((b) => b.enabled).map((b) => [b.id, 'unknown']));
      this.#lastRead = undefined;
      this.#forgetGone();
      return;
    }
    if (hosts !== undefined) {
      this.#current = deriveModelHealth(spec, hosts);
      this.#lastRead = { spec, fingerprint, ticks: 0 };
      this.#forgetGone();
    }

    const changes: [string, ReportedHealth][] = [];
    for (const [id, health] of this.#current) {
      if (health !== 'unknown' && this.#reported.get(id) !== health) changes.push([id, health]);
    }
    await Promise.all(
      changes.map(async ([id, health]) => {
        try {
          await api.putBackendHealth(id, health);
          // Only an acknowledged state counts as reported; a failed PUT is retried at the next tick.
          this.#reported.set(id, health);
          logger?.info({ backend: id, health }, 'backend health changed');
        } catch (err) {
          logger?.warn({ backend: id, health, error: errorMessage(err) }, 'backend health: report failed');
        }
      }),
    );
  }

  /** Current health of each enabled backend of the current spec; `unknown` until a tick has read Envoy. */
  health(): ReadonlyMap<string, BackendHealth> {
    const enabled = modelBackends(this.#opts.spec()).filter((b) => b.enabled);
    if (enabled.every((b) => this.#current.has(b.id)) && enabled.length === this.#current.size) {
      return this.#current;
    }
    return new Map(enabled.map((b) => [b.id, this.#current.get(b.id) ?? 'unknown']));
  }

  /** Every backend of the current spec, for /status (disabled backends show `unknown`). */
  backends(): BackendStatusEntry[] {
    const spec = this.#opts.spec();
    return modelBackends(spec).map((b) => ({
      id: b.id,
      address: b.address,
      port: b.port,
      enabled: b.enabled,
      health: (b.enabled ? this.#current.get(b.id) : undefined) ?? 'unknown',
      ...(b.vmIdentifier === undefined ? {} : { vm_identifier: b.vmIdentifier }),
    }));
  }

  /** A tick as soon as possible (never overlapping one in progress): after an apply, Envoy's hosts changed. */
  refresh(): void {
    this.#driver?.runSoon();
  }

  /** Runs `tick()` now and then every `intervalMs` (unref'd timers). */
  start(): void {
    this.#driver ??= new IntervalDriver(
      () => this.tick(),
      this.#opts.intervalMs ?? 10_000,
      this.#opts.timers === undefined ? {} : { timers: this.#opts.timers },
    );
    this.#driver.start();
  }

  async stop(): Promise<void> {
    await this.#driver?.stop();
  }

  /** Backends removed from the spec (or disabled) are forgotten: re-added ones are reported afresh. */
  #forgetGone(): void {
    for (const id of this.#reported.keys()) {
      if (!this.#current.has(id)) this.#reported.delete(id);
    }
  }
}
