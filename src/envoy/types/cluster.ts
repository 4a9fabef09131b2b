/** envoy.config.cluster.v3, endpoint.v3 and core.v3.HealthCheck. */
import type {
  Address,
  ConfigSource,
  Duration,
  HeaderValueOption,
  Int64Range,
  RoutingPriority,
  Struct,
} from './core.ts';
import type { UpstreamTlsTransportSocket } from './tls.ts';

export interface Endpoint {
  readonly address: Address;
}

export interface LbEndpoint {
  readonly endpoint: Endpoint;
  /** UInt32Value, at least 1. */
  readonly load_balancing_weight?: number;
}

export interface LocalityLbEndpoints {
  readonly lb_endpoints: readonly LbEndpoint[];
}

export interface ClusterLoadAssignment {
  readonly cluster_name: string;
  readonly endpoints: readonly LocalityLbEndpoints[];
}

export interface HttpHealthCheck {
  readonly path: string;
  /** Sent as :authority; request_headers_to_add may not carry Host. */
  readonly host?: string;
  readonly request_headers_to_add?: readonly HeaderValueOption[];
  /** Half-open ranges within [100, 600). */
  readonly expected_statuses?: readonly Int64Range[];
}

/** Empty: a successful connect is healthy. */
export type TcpHealthCheck = Record<string, never>;

export interface HealthCheckCommon {
  readonly timeout: Duration;
  readonly interval: Duration;
  readonly unhealthy_threshold: number;
  readonly healthy_threshold: number;
  readonly no_traffic_interval?: Duration;
  /** Picks a cluster transport_socket_matches entry for health-check connections only. */
  readonly transport_socket_match_criteria?: Struct;
}

export type HealthCheck =
  | (HealthCheckCommon & { readonly http_health_check: HttpHealthCheck })
  | (HealthCheckCommon & { readonly tcp_health_check: TcpHealthCheck });

export interface CircuitBreakerThresholds {
  readonly priority?: RoutingPriority;
  readonly max_connections?: number;
  readonly max_pending_requests?: number;
  readonly max_requests?: number;
  readonly max_retries?: number;
}

export interface CircuitBreakers {
  readonly thresholds: readonly CircuitBreakerThresholds[];
}

export interface TransportSocketMatch {
  readonly name: string;
  /** Must be non-empty here: an empty match would also catch proxied traffic. */
  readonly match: Struct;
  readonly transport_socket: UpstreamTlsTransportSocket;
}

export type DiscoveryType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';
export type LbPolicy =
  | 'ROUND_ROBIN'
  | 'LEAST_REQUEST'
  | 'RING_HASH'
  | 'RANDOM'
  | 'MAGLEV'
  | 'CLUSTER_PROVIDED';
export type DnsLookupFamily = 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';

export interface Cluster {
  readonly name: string;
  readonly type: DiscoveryType;
  readonly connect_timeout: Duration;
  readonly per_connection_buffer_limit_bytes?: number;
  readonly lb_policy: LbPolicy;
  readonly dns_lookup_family?: DnsLookupFamily;
  /** Inline for STATIC/STRICT_DNS; EDS clusters get theirs from eds_cluster_config. */
  readonly load_assignment?: ClusterLoadAssignment;
  readonly eds_cluster_config?: { readonly eds_config: ConfigSource };
  readonly health_checks?: readonly HealthCheck[];
  readonly ignore_health_on_host_removal?: boolean;
  readonly circuit_breakers?: CircuitBreakers;
  readonly transport_socket?: UpstreamTlsTransportSocket;
  readonly transport_socket_matches?: readonly TransportSocketMatch[];
}
