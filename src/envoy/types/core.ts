/** envoy.config.core.v3 and google.protobuf pieces, in proto3 JSON form (snake_case names, as Envoy's YAML reads them). */

/** google.protobuf.Duration as proto3 JSON: seconds with an `s` suffix (`"5s"`, `"0.25s"`). */
export type Duration = `${number}s`;

/** google.protobuf.Struct / Value. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };
export type Struct = { readonly [key: string]: JsonValue };

export interface SocketAddress {
  readonly address: string;
  readonly port_value: number;
  readonly ipv4_compat?: boolean;
}

export interface Address {
  readonly socket_address: SocketAddress;
}

export interface WatchedDirectory {
  readonly path: string;
}

export interface PathConfigSource {
  readonly path: string;
  readonly watched_directory?: WatchedDirectory;
}

export type ApiVersion = 'V3';

export interface ConfigSource {
  readonly resource_api_version: ApiVersion;
  readonly path_config_source: PathConfigSource;
}

/** DataSource: we only ever reference files (never inline secrets into Envoy config). */
export interface DataSource {
  readonly filename: string;
}

export interface HeaderValue {
  readonly key: string;
  readonly value: string;
}

export type HeaderAppendAction =
  | 'APPEND_IF_EXISTS_OR_ADD'
  | 'ADD_IF_ABSENT'
  | 'OVERWRITE_IF_EXISTS_OR_ADD'
  | 'OVERWRITE_IF_EXISTS';

export interface HeaderValueOption {
  readonly header: HeaderValue;
  readonly append_action?: HeaderAppendAction;
}

export type HeadersWithUnderscoresAction = 'ALLOW' | 'REJECT_REQUEST' | 'DROP_HEADER';

/** core.v3.HttpProtocolOptions (the subset we set). */
export interface HttpProtocolOptions {
  readonly idle_timeout?: Duration;
  readonly headers_with_underscores_action?: HeadersWithUnderscoresAction;
}

/** core.v3.Http2ProtocolOptions; the UInt32Value wrappers are plain numbers in JSON. */
export interface Http2ProtocolOptions {
  readonly max_concurrent_streams?: number;
  readonly initial_stream_window_size?: number;
  readonly initial_connection_window_size?: number;
}

export interface Node {
  readonly id: string;
  readonly cluster: string;
}

export type RoutingPriority = 'DEFAULT' | 'HIGH';

/** type.v3.Int64Range: half-open [start, end). */
export interface Int64Range {
  readonly start: number;
  readonly end: number;
}
