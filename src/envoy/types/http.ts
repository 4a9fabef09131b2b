/** HTTP connection manager, its route configuration and HTTP filters. */
import type { ConfigSource, Duration, Http2ProtocolOptions, HttpProtocolOptions } from './core.ts';
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

export interface RedirectAction {
  readonly https_redirect: true;
  readonly host_redirect?: string;
  readonly port_redirect?: number;
  readonly response_code: 'MOVED_PERMANENTLY';
}

export interface DirectResponseAction {
  readonly status: number;
}

export type Route = { readonly name?: string; readonly match: RouteMatch } & (
  | { readonly route: RouteAction }
  | { readonly redirect: RedirectAction }
  | { readonly direct_response: DirectResponseAction }
);

/** envoy.extensions.http.stateful_session.cookie.v3.CookieBasedSessionState. */
export interface CookieSessionState {
  readonly '@type': TypeUrls['cookieSessionState'];
  /** No ttl: a session cookie. */
  readonly cookie: { readonly name: string; readonly path: string };
}

export interface StatefulSession {
  readonly '@type': TypeUrls['statefulSession'];
  readonly session_state?: {
    readonly name: 'envoy.http.stateful_session.cookie';
    readonly typed_config: CookieSessionState;
  };
}

export interface StatefulSessionPerRoute {
  readonly '@type': TypeUrls['statefulSessionPerRoute'];
  readonly stateful_session: Omit<StatefulSession, '@type'>;
}

export interface VirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly Route[];
  readonly typed_per_filter_config?: {
    readonly 'envoy.filters.http.stateful_session': StatefulSessionPerRoute;
  };
}

export interface RouteConfiguration {
  readonly name: string;
  readonly virtual_hosts: readonly VirtualHost[];
}

export interface Router {
  readonly '@type': TypeUrls['router'];
}

export type HttpFilter =
  | { readonly name: 'envoy.filters.http.router'; readonly typed_config: Router }
  | { readonly name: 'envoy.filters.http.stateful_session'; readonly typed_config: StatefulSession };

export interface Rds {
  readonly route_config_name: string;
  readonly config_source: ConfigSource;
}

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
  /** Inline (static packaging) or by RDS (runtime layout): exactly one. */
  readonly route_config?: RouteConfiguration;
  readonly rds?: Rds;
  readonly http_filters: readonly HttpFilter[];
  readonly use_remote_address?: boolean;
  readonly strip_matching_host_port?: boolean;
  readonly normalize_path?: boolean;
  readonly merge_slashes?: boolean;
  readonly path_with_escaped_slashes_action?: PathWithEscapedSlashesAction;
  readonly common_http_protocol_options?: HttpProtocolOptions;
  readonly http2_protocol_options?: Http2ProtocolOptions;
  readonly stream_idle_timeout?: Duration;
  readonly request_timeout?: Duration;
  readonly request_headers_timeout?: Duration;
}
