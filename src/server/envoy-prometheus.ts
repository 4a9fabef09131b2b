/** `EnvoyPrometheusSource` over the admin listener, for when the admin client is not wired in. */
import type { HostPort } from '../config/types.ts';
import { adminGet } from './admin-get.ts';
import type { EnvoyPrometheusSource } from './server.ts';

export function adminPrometheusSource(admin: HostPort, timeoutMs = 5_000): EnvoyPrometheusSource {
  return {
    prometheusText(maxBytes, signal) {
      return adminGet(admin, '/stats/prometheus', {
        timeoutMs,
        maxBytes,
        ...(signal === undefined ? {} : { signal }),
      });
    },
  };
}
