/** The HTTP connection manager for http/https LBs, hardened per Envoy's edge-proxy best practices. */
import type { LoadBalancerSpec } from '../../spec/types.ts';
import type { HttpConnectionManagerFilter } from '../types/index.ts';
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
import { names } from './names.ts';
import { buildRouteConfiguration, requestTimeoutSeconds } from './route.ts';

export function buildHttpConnectionManager(spec: LoadBalancerSpec): HttpConnectionManagerFilter {
  return {
    name: EXTENSION.httpConnectionManager,
    typed_config: {
      '@type': TYPE_URL.httpConnectionManager,
      stat_prefix: names.statPrefix(spec.id),
      codec_type: 'AUTO',
      // We are the edge: X-Forwarded-For from clients is not trusted, the peer address is.
      use_remote_address: true,
      normalize_path: true,
      merge_slashes: true,
      path_with_escaped_slashes_action: 'UNESCAPE_AND_REDIRECT',
      common_http_protocol_options: {
        idle_timeout: seconds(spec.timeouts.idleSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS),
        headers_with_underscores_action: 'REJECT_REQUEST',
      },
      http2_protocol_options: {
        max_concurrent_streams: HTTP2_MAX_CONCURRENT_STREAMS,
        initial_stream_window_size: HTTP2_INITIAL_STREAM_WINDOW_SIZE,
        initial_connection_window_size: HTTP2_INITIAL_CONNECTION_WINDOW_SIZE,
      },
      stream_idle_timeout: seconds(STREAM_IDLE_TIMEOUT_SECONDS),
      request_timeout: seconds(requestTimeoutSeconds(spec)),
      request_headers_timeout: seconds(REQUEST_HEADERS_TIMEOUT_SECONDS),
      route_config: buildRouteConfiguration(spec),
      // The router is terminal and must stay last.
      http_filters: [{ name: EXTENSION.router, typed_config: { '@type': TYPE_URL.router } }],
    },
  };
}
