/** `EnvoyPrometheusSource` over the admin client: `/stats/prometheus`, capped and abortable per call. */
import type { HostPort } from '../config/types.ts';
import { type AdminClient, adminClientOf } from '../envoy/admin/client.ts';
import type { EnvoyPrometheusSource } from './server.ts';

/**
 * `admin`: the agent's admin client, or an address for one with `timeoutMs` as its deadline. An address is dialled
 * as given: loading the agent config already refused one off loopback unless envoy.allow_non_loopback_admin.
 */
export function adminPrometheusSource(
  admin: AdminClient | HostPort,
  timeoutMs = 5_000,
): EnvoyPrometheusSource {
  const client = adminClientOf(admin, { timeoutMs, allowNonLoopback: true });
  return {
    prometheusText: (maxBytes, signal) =>
      client.prometheusStats(maxBytes, signal === undefined ? {} : { signal }),
  };
}
