/** The LB's health check as the cluster's active health check. */
import type { HealthCheck as SpecHealthCheck } from '../../spec/types.ts';
import type {
  HealthCheck,
  HealthCheckCommon,
  HeaderValueOption,
  Int64Range,
  Struct,
} from '../types/index.ts';
import { seconds } from './duration.ts';
import { prune } from './prune.ts';

/** Distinct statuses as Envoy's half-open ranges, consecutive ones merged: [200,201,202,204] → [200,203) [204,205). */
export function statusRanges(statuses: readonly number[]): Int64Range[] {
  const sorted = [...new Set(statuses)].sort((a, b) => a - b);
  const ranges: Int64Range[] = [];
  for (const status of sorted) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.end === status)
      ranges[ranges.length - 1] = { start: last.start, end: status + 1 };
    else ranges.push({ start: status, end: status + 1 });
  }
  return ranges;
}

export interface HealthCheckOptions {
  /** When set, health-check connections pick the cluster's transport_socket_matches entry matching these criteria. */
  readonly transportSocketMatch?: Struct;
}

export function buildHealthCheck(hc: SpecHealthCheck, options: HealthCheckOptions = {}): HealthCheck {
  const common: HealthCheckCommon = {
    timeout: seconds(hc.timeoutSeconds),
    interval: seconds(hc.intervalSeconds),
    // Envoy checks idle clusters only every 60 s by default; backend status should not depend on traffic.
    no_traffic_interval: seconds(hc.intervalSeconds),
    unhealthy_threshold: hc.unhealthyThreshold,
    healthy_threshold: hc.healthyThreshold,
    transport_socket_match_criteria: options.transportSocketMatch,
  };
  if (hc.type === 'tcp') return prune<HealthCheck>({ ...common, tcp_health_check: {} });

  // Envoy refuses Host in request_headers_to_add; it is the check's `host` (the :authority) instead.
  const host = hc.headers.find((h) => h.name.toLowerCase() === 'host');
  const headers = hc.headers
    .filter((h) => h.name.toLowerCase() !== 'host')
    // Sorted: the order of keys in the spec's headers object must not change the configuration.
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
      // Validation guarantees a path for http/https checks.
      path: hc.path ?? '/',
      host: host?.value,
      request_headers_to_add: headers.length === 0 ? undefined : headers,
      expected_statuses: statusRanges(hc.expectedStatus),
    },
  });
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
