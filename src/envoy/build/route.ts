/** A listener's route configuration: one virtual host per served host set, redirects, the default (`*`). */
import type { ListenerModel, VirtualHostModel } from '../../model/types.ts';
import type { Route, RouteConfiguration, VirtualHost } from '../types/index.ts';
import { EXTENSION, TYPE_URL } from '../types/index.ts';
import { seconds } from './duration.ts';
import { DEFAULT_REQUEST_TIMEOUT_SECONDS } from './limits.ts';
import { prune } from './prune.ts';

/** The document's request timeout (0 disables), else the agent default; shared by the route and the HCM. */
export function requestTimeoutSeconds(l: ListenerModel): number {
  return l.requestSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS;
}

/** A host as Host/:authority values: bare and with the listener port (clients send either). */
function domainsOf(hosts: readonly string[], port: number): string[] {
  return hosts.flatMap((h) => (h === '*' ? ['*'] : [h, `${h}:${port}`]));
}

function routeOf(l: ListenerModel, vh: VirtualHostModel): Route {
  const match = { prefix: '/' };
  const a = vh.action;
  switch (a.kind) {
    case 'pool':
      return prune<Route>({
        match,
        route: {
          cluster: a.pool,
          // Replaces Envoy's 15 s upstream response default, which would cut off slow but healthy backends.
          timeout: seconds(requestTimeoutSeconds(l)),
          // Without a hash key RING_HASH silently picks a random host; the client address keeps affinity.
          hash_policy: a.hashSourceIp ? [{ connection_properties: { source_ip: true } }] : undefined,
        },
      });
    case 'redirect': {
      const host = vh.hosts[0];
      return prune<Route>({
        match,
        redirect: {
          https_redirect: true,
          // An exact host is named, so a Host header's :port never leaks into the location; a wildcard cannot be.
          host_redirect: host !== undefined && !host.startsWith('*') ? host : undefined,
          // Not for 443: Envoy would write `:443`. The client's own `:port` is gone already (the HCM strips a
          // Host port matching the listener's), else Envoy would keep it in the location (seen on the real binary).
          port_redirect: a.httpsPort === 443 ? undefined : a.httpsPort,
          response_code: 'MOVED_PERMANENTLY',
        },
      });
    }
    case 'notFound':
      return { match, direct_response: { status: 404 } };
  }
}

function virtualHost(l: ListenerModel, vh: VirtualHostModel): VirtualHost {
  const cookie = vh.action.kind === 'pool' ? vh.action.stickyCookie : undefined;
  return prune<VirtualHost>({
    name: vh.name,
    domains: domainsOf(vh.hosts, l.port),
    routes: [routeOf(l, vh)],
    typed_per_filter_config:
      cookie === undefined
        ? undefined
        : {
            [EXTENSION.statefulSession]: {
              '@type': TYPE_URL.statefulSessionPerRoute,
              stateful_session: {
                session_state: {
                  name: EXTENSION.cookieSessionState,
                  typed_config: { '@type': TYPE_URL.cookieSessionState, cookie: { name: cookie, path: '/' } },
                },
              },
            },
          },
  });
}

export function buildRouteConfiguration(l: ListenerModel): RouteConfiguration {
  if (l.routeName === undefined) throw new Error(`bug: listener ${l.name} has no route configuration`);
  return { name: l.routeName, virtual_hosts: l.virtualHosts.map((vh) => virtualHost(l, vh)) };
}
