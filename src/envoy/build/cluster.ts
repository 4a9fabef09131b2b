/** One cluster per pool: policy, endpoints (inline or by EDS), health check, limits, upstream TLS. */
import type { AgentConfig } from '../../config/types.ts';
import type { ModelBackend, Pool } from '../../model/types.ts';
import type { Algorithm } from '../../spec/types.ts';
import type {
  CircuitBreakers,
  Cluster,
  ConfigSource,
  LbPolicy,
  Struct,
  TransportSocketMatch,
} from '../types/index.ts';
import { seconds } from './duration.ts';
import { buildLoadAssignment } from './endpoints.ts';
import { buildHealthCheck } from './healthCheck.ts';
import { CIRCUIT_BREAKER_MAX_RETRIES, CONNECTION_BUFFER_LIMIT_BYTES } from './limits.ts';
import { compact } from './prune.ts';
import { buildUpstreamTls } from './tls.ts';

export { buildLoadAssignment, enabledBackends } from './endpoints.ts';

/**
 * The `lb_policy` enum rather than `load_balancing_policy`: it is not deprecated in the v3 proto, every Envoy we
 * target understands it, it needs no extension to be compiled in, and it keeps the config readable. RING_HASH
 * only works with a hash policy on the route / TCP proxy, which the listener builders add.
 */
export const LB_POLICY: Record<Algorithm, LbPolicy> = {
  round_robin: 'ROUND_ROBIN',
  least_request: 'LEAST_REQUEST',
  random: 'RANDOM',
  ring_hash: 'RING_HASH',
};

/** Health-check connections of a pool whose traffic is not TLS but whose check is pick this transport socket. */
export const HEALTH_CHECK_TLS_MATCH: Struct = { 'vpsie-lb/health-check-tls': true };

/** DNS names need STRICT_DNS (inline endpoints; EDS carries addresses only). */
export function needsDns(backends: readonly ModelBackend[]): boolean {
  return backends.some((b) => b.enabled && b.addressKind === 'hostname');
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

/**
 * `eds` given (runtime layout): IP-only pools are EDS clusters, so a backend change replaces endpoints only and
 * leaves the cluster (and the other hosts' health-check state) alone. Without it (static packaging), STATIC.
 */
export function buildCluster(pool: Pool, config: AgentConfig, eds?: ConfigSource): Cluster {
  const dns = needsDns(pool.backends);
  const hc = pool.healthCheck;
  const checkOnlyTls = hc?.tls === true && !pool.upstreamTls;
  const matches: TransportSocketMatch[] | undefined = checkOnlyTls
    ? [{ name: 'health-check-tls', match: HEALTH_CHECK_TLS_MATCH, transport_socket: buildUpstreamTls() }]
    : undefined;
  const viaEds = eds !== undefined && !dns;
  return compact<Cluster>({
    name: pool.name,
    type: dns ? 'STRICT_DNS' : viaEds ? 'EDS' : 'STATIC',
    // V4_PREFERRED: one address family per name. ALL would turn dual-stack names into twice the hosts, each with
    // the endpoint's full weight, skewing weights against IPv4-only names.
    dns_lookup_family: dns ? 'V4_PREFERRED' : undefined,
    connect_timeout: seconds(pool.connectTimeoutSeconds),
    lb_policy: LB_POLICY[pool.algorithm],
    per_connection_buffer_limit_bytes: CONNECTION_BUFFER_LIMIT_BYTES,
    circuit_breakers: buildCircuitBreakers(config),
    transport_socket: pool.upstreamTls ? buildUpstreamTls() : undefined,
    transport_socket_matches: matches,
    health_checks:
      hc === undefined
        ? undefined
        : [buildHealthCheck(hc, checkOnlyTls ? { transportSocketMatch: HEALTH_CHECK_TLS_MATCH } : {})],
    eds_cluster_config: viaEds ? { eds_config: eds } : undefined,
    // A backend removed from the spec stops getting requests at once. Without this, real Envoy keeps routing to
    // a removed EDS host while it passes its health checks (pending_dynamic_removal; measured on 1.40).
    ignore_health_on_host_removal: viaEds && hc !== undefined ? true : undefined,
    load_assignment: viaEds ? undefined : buildLoadAssignment(pool),
  });
}
