/** The route configuration: every request (prefix "/") to the LB's one cluster. */
import type { LoadBalancerSpec } from '../../spec/types.ts';
import type { RouteConfiguration } from '../types/index.ts';
import { seconds } from './duration.ts';
import { DEFAULT_REQUEST_TIMEOUT_SECONDS } from './limits.ts';
import { names } from './names.ts';
import { prune } from './prune.ts';

/** The spec's request timeout (0 disables), else the agent default; shared by the route and the HCM. */
export function requestTimeoutSeconds(spec: LoadBalancerSpec): number {
  return spec.timeouts.requestSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS;
}

export function buildRouteConfiguration(spec: LoadBalancerSpec): RouteConfiguration {
  return prune<RouteConfiguration>({
    name: names.routeConfig(spec.id),
    virtual_hosts: [
      {
        name: names.virtualHost(spec.id),
        domains: ['*'],
        routes: [
          {
            match: { prefix: '/' },
            route: {
              cluster: names.cluster(spec.id),
              // Replaces Envoy's 15 s upstream response default, which would cut off slow but healthy backends.
              timeout: seconds(requestTimeoutSeconds(spec)),
              // Without a hash key RING_HASH silently picks a random host; the client address keeps affinity.
              hash_policy:
                spec.algorithm === 'ring_hash' ? [{ connection_properties: { source_ip: true } }] : undefined,
            },
          },
        ],
      },
    ],
  });
}
