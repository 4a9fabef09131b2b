/**
 * The flat form (loadbalancer-spec.md) as the model: one listener, one pool, one virtual host for every host.
 * Names are the ones a flat document always had (`lb-{id}`, `lb-{id}-v4`, `lb-{id}-cert`), so a flat load
 * balancer's running configuration does not change when the agent is upgraded.
 */
import type { HealthCheck, LoadBalancerSpec } from '../spec/types.ts';
import type {
  CertificateItem,
  ListenerModel,
  LoadBalancerModel,
  ModelHealthCheck,
  Pool,
  StatusRange,
} from './types.ts';

/** Distinct statuses as half-open ranges, consecutive ones merged: [200,201,202,204] → [200,203) [204,205). */
export function statusRanges(statuses: readonly number[]): StatusRange[] {
  const sorted = [...new Set(statuses)].sort((a, b) => a - b);
  const ranges: StatusRange[] = [];
  for (const status of sorted) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.end === status)
      ranges[ranges.length - 1] = { start: last.start, end: status + 1 };
    else ranges.push({ start: status, end: status + 1 });
  }
  return ranges;
}

export function flatHealthCheck(hc: HealthCheck): ModelHealthCheck {
  const host = hc.headers.find((h) => h.name.toLowerCase() === 'host');
  return {
    protocol: hc.type === 'tcp' ? 'tcp' : 'http',
    tls: hc.type === 'https',
    intervalMs: hc.intervalSeconds * 1000,
    timeoutMs: hc.timeoutSeconds * 1000,
    unhealthyThreshold: hc.unhealthyThreshold,
    healthyThreshold: hc.healthyThreshold,
    ...(hc.type === 'tcp' ? {} : { path: hc.path ?? '/' }),
    ...(hc.type !== 'tcp' && host !== undefined ? { host: host.value } : {}),
    expectedStatuses: statusRanges(hc.expectedStatus),
    // Envoy refuses Host in request_headers_to_add; it is the check's `host` instead.
    headers: hc.headers.filter((h) => h.name.toLowerCase() !== 'host'),
  };
}

export function fromFlat(spec: LoadBalancerSpec): LoadBalancerModel {
  const base = `lb-${spec.id}`;
  const hc = spec.healthCheck;
  const pool: Pool = {
    name: base,
    origin: 'backends',
    algorithm: spec.algorithm,
    backends: spec.backends,
    connectTimeoutSeconds: spec.timeouts.connectSeconds,
    ...(hc === undefined ? {} : { healthCheck: flatHealthCheck(hc) }),
    // An https check means the backends speak TLS on their port: http/https LBs then re-encrypt; a tcp LB passes
    // bytes through (often TLS already), so only its checks use TLS.
    upstreamTls: hc?.type === 'https' && spec.protocol !== 'tcp',
  };
  const https = spec.protocol === 'https' && spec.tls !== undefined;
  const certificates: CertificateItem[] =
    spec.tls === undefined
      ? []
      : [
          {
            secretName: `${base}-cert`,
            caSecretName: `${base}-ca`,
            path: 'tls_config',
            label: spec.id,
            tls: spec.tls,
          },
        ];
  const ringHash = spec.algorithm === 'ring_hash';
  const listener: ListenerModel = {
    name: base,
    kind: spec.protocol,
    port: spec.port,
    statPrefix: `lb_${spec.id}`,
    ...(spec.protocol === 'tcp' ? { tcpPool: base, tcpHashSourceIp: ringHash } : { routeName: base }),
    virtualHosts:
      spec.protocol === 'tcp'
        ? []
        : [{ name: base, hosts: ['*'], action: { kind: 'pool', pool: base, hashSourceIp: ringHash } }],
    tlsChains: https ? [{ certificate: `${base}-cert`, serverNames: [] }] : [],
    ...(spec.timeouts.idleSeconds === undefined ? {} : { idleSeconds: spec.timeouts.idleSeconds }),
    ...(spec.timeouts.requestSeconds === undefined ? {} : { requestSeconds: spec.timeouts.requestSeconds }),
    ...(spec.maxConnections === undefined ? {} : { maxConnections: spec.maxConnections }),
  };
  // A tls_config on an http/tcp LB is validated and kept (it is checked like any other), but serves nothing.
  return { id: spec.id, name: spec.name, listeners: [listener], pools: [pool], certificates };
}
