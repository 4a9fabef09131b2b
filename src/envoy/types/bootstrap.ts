/** envoy.config.bootstrap.v3 and config.overload.v3. */
import type { Address, ConfigSource, Duration, Node, Struct } from './core.ts';
import type { Cluster } from './cluster.ts';
import type { Listener } from './listener.ts';
import type { Secret } from './tls.ts';
import type { TypeUrls } from './typeUrls.ts';

export interface Admin {
  readonly address: Address;
  /** Admin connections still count towards the global limit but are never refused by it. */
  readonly ignore_global_conn_limit?: boolean;
}

export interface FixedHeapConfig {
  readonly '@type': TypeUrls['fixedHeap'];
  /** uint64, above 0. */
  readonly max_heap_size_bytes: number;
}

export interface DownstreamConnectionsConfig {
  readonly '@type': TypeUrls['downstreamConnections'];
  /** int64, above 0. */
  readonly max_active_downstream_connections: number;
}

export type ResourceMonitor =
  | { readonly name: 'envoy.resource_monitors.fixed_heap'; readonly typed_config: FixedHeapConfig }
  | {
      readonly name: 'envoy.resource_monitors.global_downstream_max_connections';
      readonly typed_config: DownstreamConnectionsConfig;
    };

export interface ThresholdTrigger {
  /** 0..1 */
  readonly value: number;
}

export interface Trigger {
  /** The resource monitor it watches. */
  readonly name: ResourceMonitor['name'];
  readonly threshold: ThresholdTrigger;
}

export interface OverloadAction {
  readonly name: 'envoy.overload_actions.shrink_heap' | 'envoy.overload_actions.stop_accepting_requests';
  readonly triggers: readonly Trigger[];
}

export interface OverloadManager {
  readonly refresh_interval?: Duration;
  readonly resource_monitors: readonly ResourceMonitor[];
  readonly actions?: readonly OverloadAction[];
}

export type RuntimeLayer =
  | { readonly name: string; readonly static_layer: Struct }
  | { readonly name: string; readonly admin_layer: Record<string, never> };

export interface LayeredRuntime {
  readonly layers: readonly RuntimeLayer[];
}

export interface StaticResources {
  readonly listeners: readonly Listener[];
  readonly clusters: readonly Cluster[];
  readonly secrets?: readonly Secret[];
}

export interface DynamicResources {
  readonly lds_config: ConfigSource;
  readonly cds_config: ConfigSource;
}

interface BootstrapBase {
  readonly node: Node;
  readonly admin: Admin;
  readonly overload_manager: OverloadManager;
  readonly layered_runtime: LayeredRuntime;
}

/** The runtime layout reads listeners and clusters from files; the static one carries them inline. */
export type Bootstrap =
  | (BootstrapBase & { readonly dynamic_resources: DynamicResources })
  | (BootstrapBase & { readonly static_resources: StaticResources });

export type DynamicBootstrap = Extract<Bootstrap, { dynamic_resources: DynamicResources }>;
export type StaticBootstrap = Extract<Bootstrap, { static_resources: StaticResources }>;
