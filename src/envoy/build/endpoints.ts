/** A pool's endpoints: the ClusterLoadAssignment, inline in the cluster or delivered by EDS. */
import type { ModelBackend, Pool } from '../../model/types.ts';
import type { ClusterLoadAssignment, LbEndpoint } from '../types/index.ts';

/** Enabled backends only, in a canonical order so the API's array order does not change the configuration. */
export function enabledBackends(backends: readonly ModelBackend[]): ModelBackend[] {
  return backends
    .filter((b) => b.enabled)
    .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
}

export function buildLoadAssignment(pool: Pool): ClusterLoadAssignment {
  const lbEndpoints = enabledBackends(pool.backends).map(
    (b): LbEndpoint => ({
      endpoint: { address: { socket_address: { address: b.address, port_value: b.port } } },
      load_balancing_weight: b.weight,
    }),
  );
  return {
    cluster_name: pool.name,
    endpoints: lbEndpoints.length === 0 ? [] : [{ lb_endpoints: lbEndpoints }],
  };
}
