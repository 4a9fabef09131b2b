/** envoy.config.listener.v3 and the network filters we put in its filter chains. */
import type { Address, Duration } from './core.ts';
import type { HttpConnectionManager } from './http.ts';
import type { DownstreamTlsTransportSocket } from './tls.ts';
import type { TypeUrls } from './typeUrls.ts';

/** type.v3.HashPolicy (TCP proxy): only source_ip is used. */
export interface TcpHashPolicy {
  readonly source_ip: Record<string, never>;
}

export interface TcpProxy {
  readonly '@type': TypeUrls['tcpProxy'];
  readonly stat_prefix: string;
  readonly cluster: string;
  /** `0s` disables. */
  readonly idle_timeout?: Duration;
  /** At most one entry. */
  readonly hash_policy?: readonly [TcpHashPolicy];
}

export interface ConnectionLimit {
  readonly '@type': TypeUrls['connectionLimit'];
  readonly stat_prefix: string;
  /** UInt64Value, at least 1. */
  readonly max_connections: number;
  readonly delay?: Duration;
}

export type HttpConnectionManagerFilter = {
  readonly name: 'envoy.filters.network.http_connection_manager';
  readonly typed_config: HttpConnectionManager;
};
export type TcpProxyFilter = {
  readonly name: 'envoy.filters.network.tcp_proxy';
  readonly typed_config: TcpProxy;
};
export type ConnectionLimitFilter = {
  readonly name: 'envoy.filters.network.connection_limit';
  readonly typed_config: ConnectionLimit;
};

export type NetworkFilter = HttpConnectionManagerFilter | TcpProxyFilter | ConnectionLimitFilter;
/** The filter that ends a chain. */
export type TerminalFilter = HttpConnectionManagerFilter | TcpProxyFilter;

export interface FilterChain {
  readonly name?: string;
  /** SNI selection; absent on the default chain. */
  readonly filter_chain_match?: { readonly server_names: readonly string[] };
  /** Non-terminal filters first, exactly one terminal filter last. */
  readonly filters: readonly [...ConnectionLimitFilter[], TerminalFilter];
  readonly transport_socket?: DownstreamTlsTransportSocket;
}

export interface Listener {
  readonly name: string;
  readonly address: Address;
  readonly per_connection_buffer_limit_bytes?: number;
  readonly listener_filters?: readonly {
    readonly name: 'envoy.filters.listener.tls_inspector';
    readonly typed_config: { readonly '@type': TypeUrls['tlsInspector'] };
  }[];
  readonly filter_chains: readonly FilterChain[];
}
