/** HTTP connection manager, its route configuration and HTTP filters. */
import type { Duration, Http2ProtocolOptions, HttpProtocolOptions } from './core.ts';
import type { TypeUrls } from './typeUrls.ts';

export interface RouteHashPolicy {
  readonly connection_properties: { readonly source_ip: boolean };
  readonly terminal?: boolean;
}

export interface RouteAction {
  readonly cluster: string;
  /** Upstream response timeout; `0s` disables. */
  readonly timeout?: Duration;
  readonly hash_policy?: readonly RouteHashPolicy[];
}

export interface RouteMatch {
  readonly prefix: string;
}

export interface Route {
  readonly name?: string;
  readonly match: RouteMatch;
  readonly route: RouteAction;
}

export interface VirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly Route[];
}

export interface RouteConfiguration {
  readonly name: string;
  readonly virtual_hosts: readonly VirtualHost[];
}

export interface Router {
  readonly '@type': TypeUrls['router'];
}

export type HttpFilter = { readonly name: 'envoy.filters.http.router'; readonly typed_config: Router };

export type CodecType = 'AUTO' | 'HTTP1' | 'HTTP2';
export type PathWithEscapedSlashesAction =
  | 'IMPLEMENTATION_SPECIFIC_DEFAULT'
  | 'KEEP_UNCHANGED'
  | 'REJECT_REQUEST'
  | 'UNESCAPE_AND_REDIRECT'
  | 'UNESCAPE_AND_FORWARD';

export interface HttpConnectionManager {
  readonly '@type': TypeUrls['httpConnectionManager'];
  readonly stat_prefix: string;
  readonly codec_type?: CodecType;
  readonly route_config: RouteConfiguration;
  readonly http_filters: readonly HttpFilter[];
  readonly use_remote_address?: boolean;
  readonly normalize_path?: boolean;
  readonly merge_slashes?: boolean;
  readonly path_with_escaped_slashes_action?: PathWithEscapedSlashesAction;
  readonly common_http_protocol_options?: HttpProtocolOptions;
  readonly http2_protocol_options?: Http2ProtocolOptions;
  readonly stream_idle_timeout?: Duration;
  readonly request_timeout?: Duration;
  readonly request_headers_timeout?: Duration;
}
