/** The HTTP connection manager of http/https/http2 listeners, hardened per Envoy's edge-proxy best practices. */
import type { ListenerModel } from '../../model/types.ts';
import type { ConfigSource, HttpConnectionManagerFilter, RouteConfiguration } from '../types/index.ts';
import { EXTENSION, TYPE_URL } from '../types/index.ts';
import { seconds } from './duration.ts';
import {
  DEFAULT_IDLE_TIMEOUT_SECONDS,
  HTTP2_INITIAL_CONNECTION_WINDOW_SIZE,
  HTTP2_INITIAL_STREAM_WINDOW_SIZE,
  HTTP2_MAX_CONCURRENT_STREAMS,
  REQUEST_HEADERS_TIMEOUT_SECONDS,
  STREAM_IDLE_TIMEOUT_SECONDS,
} from './limits.ts';
import { compact } from './prune.ts';
import { requestTimeoutSeconds } from './route.ts';

/** Routes inline (static packaging) or by RDS from a file (runtime layout: domain changes leave the listener alone). */
export type RouteSource = { readonly inline: RouteConfiguration } | { readonly rds: ConfigSource };

export function buildHttpConnectionManager(
  l: ListenerModel,
  routes: RouteSource,
): HttpConnectionManagerFilter {
  if (l.routeName === undefined) throw new Error(`bug: listener ${l.name} has no route configuration`);
  return {
    name: EXTENSION.httpConnectionManager,
    typed_config: compact({
      '@type': TYPE_URL.httpConnectionManager,
      stat_prefix: l.statPrefix,
      // AUTO: HTTP/2 when ALPN says h2 (http2 rules offer it), else HTTP/1.1.
      codec_type: 'AUTO',
      // We are the edge: X-Forwarded-For from clients is not trusted, the peer address is.
      use_remote_address: true,
      // `Host: h:<listener port>` is routed, redirected and forwarded as `h`: a redirect to https must not carry
      // the http port along (Envoy keeps a Host port in a redirect's location unless told one).
      strip_matching_host_port: true,
      normalize_path: true,
      merge_slashes: true,
      path_with_escaped_slashes_action: 'UNESCAPE_AND_REDIRECT',
      common_http_protocol_options: {
        idle_timeout: seconds(l.idleSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS),
        headers_with_underscores_action: 'REJECT_REQUEST',
      },
      http2_protocol_options: {
        max_concurrent_streams: HTTP2_MAX_CONCURRENT_STREAMS,
        initial_stream_window_size: HTTP2_INITIAL_STREAM_WINDOW_SIZE,
        initial_connection_window_size: HTTP2_INITIAL_CONNECTION_WINDOW_SIZE,
      },
      stream_idle_timeout: seconds(STREAM_IDLE_TIMEOUT_SECONDS),
      request_timeout: seconds(requestTimeoutSeconds(l)),
      request_headers_timeout: seconds(REQUEST_HEADERS_TIMEOUT_SECONDS),
      route_config: 'inline' in routes ? routes.inline : undefined,
      rds: 'rds' in routes ? { route_config_name: l.routeName, config_source: routes.rds } : undefined,
      http_filters: [
        // Always present and off here: sticky virtual hosts turn it on per route (typed_per_filter_config), so
        // making a domain sticky changes the route configuration only, never the listener.
        {
          name: EXTENSION.statefulSession,
          typed_config: { '@type': TYPE_URL.statefulSession },
        },
        // The router is terminal and must stay last.
        { name: EXTENSION.router, typed_config: { '@type': TYPE_URL.router } },
      ],
    }),
  };
}
