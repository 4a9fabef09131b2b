/** A small valid Bootstrap to break one thing at a time, and problem assertions. */
import assert from 'node:assert/strict';
import { formatProblem, type Problem } from '../../../src/util/result.ts';

type Json = Record<string, unknown>;

export const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

export function hcm(extra: Json = {}): Json {
  return {
    '@type': HCM_TYPE,
    stat_prefix: 'ingress',
    route_config: {
      name: 'local',
      virtual_hosts: [
        { name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }] },
      ],
    },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
    ...extra,
  };
}

export function cluster(extra: Json = {}): Json {
  return {
    name: 'backend',
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: 'backend',
      endpoints: [
        {
          lb_endpoints: [
            { endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 8080 } } } },
          ],
        },
      ],
    },
    ...extra,
  };
}

export function bootstrap(opts: { hcm?: Json; cluster?: Json; extra?: Json } = {}): Json {
  return {
    static_resources: {
      listeners: [
        {
          name: 'http',
          address: { socket_address: { address: '0.0.0.0', port_value: 8080 } },
          filter_chains: [
            {
              filters: [
                { name: 'envoy.filters.network.http_connection_manager', typed_config: opts.hcm ?? hcm() },
              ],
            },
          ],
        },
      ],
      clusters: [opts.cluster ?? cluster()],
    },
    ...opts.extra,
  };
}

export const L0 = 'static_resources.listeners[0]';
export const HCM = `${L0}.filter_chains[0].filters[0].typed_config`;
export const C0 = 'static_resources.clusters[0]';

export function assertClean(problems: Problem[]): void {
  assert.deepEqual(problems.map(formatProblem), []);
}

export function assertProblem(problems: Problem[], path: string, fragment: string): void {
  const hit = problems.find((p) => p.path === path && p.message.includes(fragment));
  assert.ok(
    hit,
    `expected ${path}: …${fragment}… among:\n${problems.map(formatProblem).join('\n') || '(none)'}`,
  );
}
