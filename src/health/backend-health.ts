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
import type { Backend, LoadBalancerSpec } from '../spec/types.ts';
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
}

/** The hosts of the load balancer's cluster (only that cluster: the admin cluster and others must be left out). */
export interface ClusterHostSource {
  hosts(): Promise<readonly ClusterHost[]>;
}

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
}

/** Pure: the health of every enabled backend of `backends`, given Envoy's hosts. */
export function deriveBackendHealth(
  backends: readonly Backend[],
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

function aggregate(hosts: readonly ClusterHost[]): BackendHealth {
  const judged = hosts.filter((h) => h.pending !== true);
  if (judged.length === 0) return 'unknown';
  return judged.some((h) => h.healthy) ? 'healthy' : 'unhealthy';
}

export interface BackendHealthReporterOptions {
  readonly source: ClusterHostSource;
  readonly api: BackendHealthApi;
  /** The current (last accepted) spec; undefined before the first one. */
  readonly spec: () => LoadBalancerSpec | undefined;
  readonly logger?: LogSink;
  /** For `start()`; default 10 s. */
  readonly intervalMs?: number;
  readonly timers?: Timers;
}

export class BackendHealthReporter {
  readonly #opts: BackendHealthReporterOptions;
  /** What the API last acknowledged, per backend id. */
  readonly #reported = new Map<string, ReportedHealth>();
  #current = new Map<string, BackendHealth>();
  #driver: IntervalDriver | undefined;

  constructor(opts: BackendHealthReporterOptions) {
    this.#opts = opts;
  }

  /** One round: read Envoy, derive, PUT what changed (or was never acknowledged). Never throws. */
  async tick(): Promise<void> {
    const { source, api, logger } = this.#opts;
    const spec = this.#opts.spec();
    const backends = spec?.backends ?? [];
    let hosts: readonly ClusterHost[];
    try {
      hosts = await source.hosts();
    } catch (err) {
      // Envoy's view is unavailable: health is unknown, and nothing is reported (no guessing).
      logger?.warn({ error: errorMessage(err) }, 'backend health: cannot read Envoy cluster hosts');
      this.#current = new Map(backends.filter((b) => b.enabled).map((b) => [b.id, 'unknown']));
      this.#forgetGone();
      return;
    }
    this.#current = deriveBackendHealth(backends, hosts);
    this.#forgetGone();

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
    const enabled = (this.#opts.spec()?.backends ?? []).filter((b) => b.enabled);
    if (enabled.every((b) => this.#current.has(b.id)) && enabled.length === this.#current.size) {
      return this.#current;
    }
    return new Map(enabled.map((b) => [b.id, this.#current.get(b.id) ?? 'unknown']));
  }

  /** Every backend of the current spec, for /status (disabled backends show `unknown`). */
  backends(): BackendStatusEntry[] {
    const spec = this.#opts.spec();
    return (spec?.backends ?? []).map((b) => ({
      id: b.id,
      address: b.address,
      port: b.port,
      enabled: b.enabled,
      health: (b.enabled ? this.#current.get(b.id) : undefined) ?? 'unknown',
    }));
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
