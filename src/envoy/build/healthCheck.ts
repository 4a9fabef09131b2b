/** A pool's active health check. */
import type { ModelHealthCheck } from '../../model/types.ts';
import type { HealthCheck, HealthCheckCommon, HeaderValueOption, Struct } from '../types/index.ts';
import { millis } from './duration.ts';
import { prune } from './prune.ts';

export { statusRanges } from '../../model/flat.ts';

export interface HealthCheckOptions {
  /** When set, health-check connections pick the cluster's transport_socket_matches entry matching these criteria. */
  readonly transportSocketMatch?: Struct;
}

export function buildHealthCheck(hc: ModelHealthCheck, options: HealthCheckOptions = {}): HealthCheck {
  const common: HealthCheckCommon = {
    timeout: millis(hc.timeoutMs),
    interval: millis(hc.intervalMs),
    // Envoy checks idle clusters only every 60 s by default; backend status should not depend on traffic.
    no_traffic_interval: millis(hc.intervalMs),
    unhealthy_threshold: hc.unhealthyThreshold,
    healthy_threshold: hc.healthyThreshold,
    transport_socket_match_criteria: options.transportSocketMatch,
  };
  if (hc.protocol === 'tcp') return prune<HealthCheck>({ ...common, tcp_health_check: {} });
  const headers = [...hc.headers]
    // Sorted: the order of keys in the document's headers object must not change the configuration.
    .sort((a, b) => compareText(a.name.toLowerCase(), b.name.toLowerCase()))
    .map(
      (h): HeaderValueOption => ({
        // Envoy reads `%…%` in added header values as formatter commands and refuses the config on an unknown
        // one ("Couldn't find valid command"); `%%` is its literal percent sign.
        header: { key: h.name, value: h.value.replaceAll('%', '%%') },
        append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
      }),
    );
  return prune<HealthCheck>({
    ...common,
    http_health_check: {
      path: hc.path ?? '/',
      host: hc.host === '' ? undefined : hc.host,
      request_headers_to_add: headers.length === 0 ? undefined : headers,
      expected_statuses: hc.expectedStatuses.map((r) => ({ start: r.start, end: r.end })),
    },
  });
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
