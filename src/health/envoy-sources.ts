/**
 * Envoy admin → the small sources this folder consumes: cluster hosts (`/clusters?format=json`) and counters and
 * gauges (`/stats?format=json`). Parsing is pure and tolerant of Envoy's proto3 JSON, where false flags and default
 * values are simply absent and 64-bit values may be strings.
 */
import type { HostPort } from '../config/types.ts';
import { adminGet } from '../server/admin-get.ts';
import type { ClusterHost, ClusterHostSource } from './backend-health.ts';
import type { StatsSource } from './metrics-summary.ts';

const UNHEALTHY_FLAGS = [
  'failed_active_health_check',
  'failed_outlier_check',
  'excluded_via_immediate_hc_fail',
  'active_hc_timeout',
] as const;
/** EDS health values under which Envoy does not route to the host (DEGRADED still serves). */
const UNHEALTHY_EDS = new Set(['UNHEALTHY', 'DRAINING', 'TIMEOUT']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The hosts of cluster `clusterName` in an admin `/clusters?format=json` document. */
export function parseClusterHosts(doc: unknown, clusterName: string): ClusterHost[] {
  if (!isRecord(doc) || !Array.isArray(doc.cluster_statuses)) {
    throw new Error('clusters: expected {"cluster_statuses": [...]}');
  }
  const cluster = doc.cluster_statuses.find((c) => isRecord(c) && c.name === clusterName);
  // A warming or absent cluster is not listed: no hosts, so every backend is unknown.
  if (!isRecord(cluster) || !Array.isArray(cluster.host_statuses)) return [];
  const hosts: ClusterHost[] = [];
  for (const status of cluster.host_statuses) {
    if (!isRecord(status) || !isRecord(status.address) || !isRecord(status.address.socket_address)) continue;
    const { address, port_value: portValue } = status.address.socket_address;
    const port = Number(portValue ?? 0);
    if (typeof address !== 'string' || !Number.isInteger(port)) continue;
    const flags = isRecord(status.health_status) ? status.health_status : {};
    const eds = typeof flags.eds_health_status === 'string' ? flags.eds_health_status : 'UNKNOWN';
    const unhealthy = UNHEALTHY_FLAGS.some((f) => flags[f] === true) || UNHEALTHY_EDS.has(eds);
    const host: ClusterHost = {
      address,
      port,
      healthy: !unhealthy,
      ...(flags.pending_active_hc === true ? { pending: true } : {}),
      ...(typeof status.hostname === 'string' && status.hostname !== '' ? { hostname: status.hostname } : {}),
    };
    hosts.push(host);
  }
  return hosts;
}

/** Counters and gauges of an admin `/stats?format=json` document (histograms are skipped). */
export function parseStatsJson(doc: unknown): Map<string, number> {
  if (!isRecord(doc) || !Array.isArray(doc.stats)) throw new Error('stats: expected {"stats": [...]}');
  const stats = new Map<string, number>();
  for (const entry of doc.stats) {
    if (!isRecord(entry) || typeof entry.name !== 'string') continue;
    const value = typeof entry.value === 'string' ? Number(entry.value) : entry.value;
    if (typeof value === 'number' && Number.isFinite(value)) stats.set(entry.name, value);
  }
  return stats;
}

export interface AdminSourceOptions {
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
}

export function adminClusterHostSource(
  admin: HostPort,
  clusterName: string,
  opts: AdminSourceOptions = {},
): ClusterHostSource {
  return {
    async hosts() {
      const text = await adminGet(admin, '/clusters?format=json', {
        timeoutMs: opts.timeoutMs ?? 5_000,
        maxBytes: opts.maxBytes ?? 8 * 1024 * 1024,
      });
      return parseClusterHosts(JSON.parse(text) as unknown, clusterName);
    },
  };
}

/** Only the families the metrics summary reads, so the document stays small. */
const SUMMARY_FILTER = encodeURIComponent('^(http|tcp|listener)\\.');

export function adminStatsSource(admin: HostPort, opts: AdminSourceOptions = {}): StatsSource {
  return {
    async stats() {
      const text = await adminGet(admin, `/stats?format=json&filter=${SUMMARY_FILTER}`, {
        timeoutMs: opts.timeoutMs ?? 5_000,
        maxBytes: opts.maxBytes ?? 8 * 1024 * 1024,
      });
      return parseStatsJson(JSON.parse(text) as unknown);
    },
  };
}
