/** The `@type` URLs of every typed_config and xDS resource we emit: one literal type each, so a typo fails to compile. */
const P = 'type.googleapis.com/';

export const TYPE_URL = {
  listener: `${P}envoy.config.listener.v3.Listener`,
  cluster: `${P}envoy.config.cluster.v3.Cluster`,
  secret: `${P}envoy.extensions.transport_sockets.tls.v3.Secret`,
  routeConfiguration: `${P}envoy.config.route.v3.RouteConfiguration`,
  clusterLoadAssignment: `${P}envoy.config.endpoint.v3.ClusterLoadAssignment`,
  statefulSession: `${P}envoy.extensions.filters.http.stateful_session.v3.StatefulSession`,
  statefulSessionPerRoute: `${P}envoy.extensions.filters.http.stateful_session.v3.StatefulSessionPerRoute`,
  cookieSessionState: `${P}envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState`,
  tlsInspector: `${P}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector`,
  httpConnectionManager: `${P}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
  tcpProxy: `${P}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`,
  connectionLimit: `${P}envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit`,
  router: `${P}envoy.extensions.filters.http.router.v3.Router`,
  downstreamTlsContext: `${P}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`,
  upstreamTlsContext: `${P}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
  fixedHeap: `${P}envoy.extensions.resource_monitors.fixed_heap.v3.FixedHeapConfig`,
  downstreamConnections: `${P}envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig`,
} as const;

export type TypeUrls = typeof TYPE_URL;

/** Well-known extension names (the `name` next to a typed_config). */
export const EXTENSION = {
  httpConnectionManager: 'envoy.filters.network.http_connection_manager',
  tcpProxy: 'envoy.filters.network.tcp_proxy',
  connectionLimit: 'envoy.filters.network.connection_limit',
  router: 'envoy.filters.http.router',
  statefulSession: 'envoy.filters.http.stateful_session',
  cookieSessionState: 'envoy.http.stateful_session.cookie',
  tlsInspector: 'envoy.filters.listener.tls_inspector',
  tlsTransportSocket: 'envoy.transport_sockets.tls',
  fixedHeap: 'envoy.resource_monitors.fixed_heap',
  globalDownstreamMaxConnections: 'envoy.resource_monitors.global_downstream_max_connections',
  shrinkHeap: 'envoy.overload_actions.shrink_heap',
  stopAcceptingRequests: 'envoy.overload_actions.stop_accepting_requests',
} as const;
