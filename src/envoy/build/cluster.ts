/** The LB's single cluster: policy, endpoints, health check, limits. */
import type { AgentConfig } from '../../config/types.ts';
import type { Algorithm, Backend, LoadBalancerSpec } from '../../spec/types.ts';
import type {
  CircuitBreakers,
  Cluster,
  ClusterLoadAssignment,
  LbEndpoint,
  LbPolicy,
  Struct,
  TransportSocketMatch,
} from '../types/index.ts';
import { seconds } from './duration.ts';
import { buildHealthCheck } from './healthCheck.ts';
import { CIRCUIT_BREAKER_MAX_RETRIES, CONNECTION_BUFFER_LIMIT_BYTES } from './limits.ts';
import { names } from './names.ts';
import { prune } from './prune.ts';
import { buildUpstreamTls } from './tls.ts';

/**
 * The `lb_policy` enum rather than `load_balancing_policy`: it is not deprecated in the v3 proto, every Envoy we
 * target understands it, it needs no extension to be compiled in, and it keeps the config readable. RING_HASH
 * only works with a hash policy on the route / TCP proxy, which the listener builder adds.
 */
export const LB_POLICY: Record<Algorithm, LbPolicy> = {
  round_robin: 'ROUND_ROBIN',
  least_request: 'LEAST_REQUEST',
  random: 'RANDOM',
  ring_hash: 'RING_HASH',
};

/** Health-check connections of a tcp LB with an https check pick this transport socket by these criteria. */
export const HEALTH_CHECK_TLS_MATCH: Struct = { 'vpsie-lb/health-check-tls': true };

/** Enabled backends only, in a canonical order so the API's array order does not change the configuration. */
export function enabledBackends(backends: readonly Backend[]): Backend[] {
  return backends
    .filter((b) => b.enabled)
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
}

/** STATIC when every enabled address is an IP literal (vacuously so when none is enabled), else STRICT_DNS. */
export function needsDns(backends: readonly Backend[]): boolean {
  return backends.some((b) => b.enabled && b.addressKind === 'hostname');
}

export function buildLoadAssignment(
  clusterName: string,
  backends: readonly Backend[],
): ClusterLoadAssignment {
  const lbEndpoints = enabledBackends(backends).map(
    (b): LbEndpoint => ({
      endpoint: { address: { socket_address: { address: b.address, port_value: b.port } } },
      load_balancing_weight: b.weight,
    }),
  );
  return {
    cluster_name: clusterName,
    endpoints: lbEndpoints.length === 0 ? [] : [{ lb_endpoints: lbEndpoints }],
  };
}

/**
 * Envoy's defaults (1024 connections/requests) would cap a busy LB far below the agent-wide connection limit,
 * so the thresholds follow that limit explicitly.
 */
export function buildCircuitBreakers(config: AgentConfig): CircuitBreakers {
  const limit = config.envoy.maxConnections;
  return {
    thresholds: [
      {
        priority: 'DEFAULT',
        max_connections: limit,
        max_pending_requests: limit,
        max_requests: limit,
        max_retries: CIRCUIT_BREAKER_MAX_RETRIES,
      },
    ],
  };
}

export function buildCluster(spec: LoadBalancerSpec, config: AgentConfig): Cluster {
  const name = names.cluster(spec.id);
  const dns = needsDns(spec.backends);
  const hc = spec.healthCheck;
  const httpsCheck = hc?.type === 'https';
  // An https check means the backends speak TLS on their port. For http/https LBs the proxied requests must then
  // be TLS too (re-encryption), so the cluster's transport socket is TLS. A tcp LB passes bytes through untouched
  // (often TLS already), so only the health-check connections use TLS, chosen by a transport socket match.
  const upstreamTls = httpsCheck && spec.protocol !== 'tcp';
  const checkOnlyTls = httpsCheck && spec.protocol === 'tcp';
  const matches: TransportSocketMatch[] | undefined = checkOnlyTls
    ? [{ name: 'health-check-tls', match: HEALTH_CHECK_TLS_MATCH, transport_socket: buildUpstreamTls() }]
    : undefined;

  return prune<Cluster>({
    name,
    type: dns ? 'STRICT_DNS' : 'STATIC',
    // V4_PREFERRED: one address family per name. ALL would turn dual-stack names into twice the hosts, each with
    // the endpoint's full weight, skewing weights against IPv4-only names.
    dns_lookup_family: dns ? 'V4_PREFERRED' : undefined,
    connect_timeout: seconds(spec.timeouts.connectSeconds),
    lb_policy: LB_POLICY[spec.algorithm],
    per_connection_buffer_limit_bytes: CONNECTION_BUFFER_LIMIT_BYTES,
    circuit_breakers: buildCircuitBreakers(config),
    transport_socket: upstreamTls ? buildUpstreamTls() : undefined,
    transport_socket_matches: matches,
    health_checks:
      hc === undefined
        ? undefined
        : [buildHealthCheck(hc, checkOnlyTls ? { transportSocketMatch: HEALTH_CHECK_TLS_MATCH } : {})],
    load_assignment: buildLoadAssignment(name, spec.backends),
  });
}
