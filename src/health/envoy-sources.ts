/**
 * Envoy admin → the small sources this folder consumes: the hosts of the LB's cluster and the counters and gauges
 * of the metrics summary. The admin client fetches and parses; this file only decides what "healthy" means here.
 */
import type { HostPort } from '../config/types.ts';
import {
  type AdminClient,
  adminClientOf,
  type ClusterStatus,
  type HostStatus,
} from '../envoy/admin/client.ts';
import type { ClusterHost, ClusterHostSource } from './backend-health.ts';
import type { StatsSource } from './metrics-summary.ts';

/**
 * Flags under which Envoy does not route to the host. Unlike the admin client's `healthy`, a host awaiting its
 * first check (pending_active_hc) is reported as `pending`, and degraded or pending-removal hosts still serve.
 */
const UNHEALTHY_FLAGS: ReadonlySet<string> = new Set([
  'failed_active_health_check',
  'failed_outlier_check',
  'excluded_via_immediate_hc_fail',
  'active_hc_timeout',
]);
/** EDS health values under which Envoy does not route to the host (DEGRADED still serves). */
const UNHEALTHY_EDS = new Set(['UNHEALTHY', 'DRAINING', 'TIMEOUT']);

function clusterHost(h: HostStatus): ClusterHost {
  const unhealthy =
    h.failureFlags.some((f) => UNHEALTHY_FLAGS.has(f)) || UNHEALTHY_EDS.has(h.edsHealthStatus);
  return {
    address: h.address,
    port: h.port,
    healthy: !unhealthy,
    ...(h.failureFlags.includes('pending_active_hc') ? { pending: true } : {}),
    ...(h.hostname === undefined ? {} : { hostname: h.hostname }),
  };
}

/** The hosts of cluster `clusterName`. A warming or absent cluster is not listed: no hosts, every backend unknown. */
export function clusterHosts(clusters: readonly ClusterStatus[], clusterName: string): ClusterHost[] {
  return (clusters.find((c) => c.name === clusterName)?.hosts ?? []).map(clusterHost);
}

export interface AdminSourceOptions {
  /** Used only when the source is given an address rather than a client. */
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
}

/**
 * `admin`: the agent's admin client, or an address for one. An address is dialled as given: loading the agent
 * config already refused one off loopback unless envoy.allow_non_loopback_admin.
 */
const clientOf = (admin: AdminClient | HostPort, opts: AdminSourceOptions): AdminClient =>
  adminClientOf(admin, {
    timeoutMs: opts.timeoutMs ?? 5_000,
    maxBodyBytes: opts.maxBytes ?? 8 * 1024 * 1024,
    allowNonLoopback: true,
  });

/** The hosts of the named clusters (one name, or the current list), each tagged with its cluster. */
export function adminClusterHostSource(
  admin: AdminClient | HostPort,
  clusterNames: string | (() => readonly string[]),
  opts: AdminSourceOptions = {},
): ClusterHostSource {
  const client = clientOf(admin, opts);
  const wanted = (): readonly string[] =>
    typeof clusterNames === 'string' ? [clusterNames] : clusterNames();
  const escapeRegex = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    hosts: async () => {
      const names = wanted();
      if (names.length === 0) return [];
      const clusters = await client.clusters();
      return names.flatMap((name) => clusterHosts(clusters, name).map((h) => ({ ...h, cluster: name })));
    },
    // The clusters' membership gauges move whenever a host's routing health does; the failure counters move while
    // any host fails its checks, which no host becomes unhealthy (or healthy again) without. All healthy: nothing
    // moves.
    fingerprint: async () => {
      const names = wanted();
      if (names.length === 0) return '';
      const gauges = `^cluster\\.(${names.map(escapeRegex).join('|')})\\.(membership_(healthy|degraded|excluded|total)|health_check\\.(failure|network_failure)|outlier_detection\\.(ejections_active|ejections_enforced_total))$`;
      const stats = await client.statsFiltered(gauges);
      return [...stats]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
    },
  };
}

/** Only the families the metrics summary reads, so the document stays small. */
const SUMMARY_FILTER = '^(http|tcp|listener)\\.';

export function adminStatsSource(admin: AdminClient | HostPort, opts: AdminSourceOptions = {}): StatsSource {
  const client = clientOf(admin, opts);
  return { stats: () => client.statsFiltered(SUMMARY_FILTER) };
}
