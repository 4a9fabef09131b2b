/** Bootstrap pieces shared by both packagings, and the two bootstraps. */
import type { AgentConfig } from '../../config/types.ts';
import type { LoadBalancerModel } from '../../model/types.ts';
import type {
  Admin,
  ConfigSource,
  DynamicBootstrap,
  LayeredRuntime,
  Node,
  OverloadManager,
  StaticBootstrap,
  StaticResources,
} from '../types/index.ts';
import { EXTENSION, TYPE_URL } from '../types/index.ts';
import { seconds } from './duration.ts';
import {
  OVERLOAD_REFRESH_INTERVAL_SECONDS,
  SHRINK_HEAP_THRESHOLD,
  STOP_ACCEPTING_REQUESTS_THRESHOLD,
} from './limits.ts';
import { names, xdsFilePaths } from './names.ts';

/** Required for any xDS subscription, file-based ones included. */
export function buildNode(spec: LoadBalancerModel): Node {
  return { id: names.node(spec.id), cluster: names.nodeCluster };
}

/** Bound where the agent config says (its loader refuses non-loopback unless explicitly allowed). */
export function buildAdmin(config: AgentConfig): Admin {
  const { host, port } = config.envoy.adminAddress;
  return {
    address: { socket_address: { address: host, port_value: port } },
    // The agent verifies and supervises Envoy through admin; it must stay reachable when the global limit bites.
    ignore_global_conn_limit: true,
  };
}

/**
 * Heap pressure first shrinks the heap, then stops accepting requests; the global downstream connection limit
 * uses the resource monitor, not the deprecated runtime key.
 */
export function buildOverloadManager(config: AgentConfig): OverloadManager {
  return {
    refresh_interval: seconds(OVERLOAD_REFRESH_INTERVAL_SECONDS),
    resource_monitors: [
      {
        name: EXTENSION.fixedHeap,
        typed_config: { '@type': TYPE_URL.fixedHeap, max_heap_size_bytes: config.envoy.maxHeapBytes },
      },
      {
        name: EXTENSION.globalDownstreamMaxConnections,
        typed_config: {
          '@type': TYPE_URL.downstreamConnections,
          max_active_downstream_connections: config.envoy.maxConnections,
        },
      },
    ],
    actions: [
      {
        name: EXTENSION.shrinkHeap,
        triggers: [{ name: EXTENSION.fixedHeap, threshold: { value: SHRINK_HEAP_THRESHOLD } }],
      },
      {
        name: EXTENSION.stopAcceptingRequests,
        triggers: [{ name: EXTENSION.fixedHeap, threshold: { value: STOP_ACCEPTING_REQUESTS_THRESHOLD } }],
      },
    ],
  };
}

/** A static layer (empty: every setting lives in typed config) and an admin layer so /runtime_modify works. */
export function buildLayeredRuntime(): LayeredRuntime {
  return {
    layers: [
      { name: 'static_layer', static_layer: {} },
      { name: 'admin_layer', admin_layer: {} },
    ],
  };
}

/** A file-based xDS source: Envoy reloads it when a file is moved into the watched directory. */
export function fileConfigSource(path: string, watchedDirectory: string): ConfigSource {
  return {
    resource_api_version: 'V3',
    path_config_source: { path, watched_directory: { path: watchedDirectory } },
  };
}

/** Runtime layout: listeners and clusters come from files in `configPath` (routes, endpoints, secrets too, named by them). */
export function buildDynamicBootstrap(spec: LoadBalancerModel, config: AgentConfig): DynamicBootstrap {
  const files = xdsFilePaths(config);
  return {
    node: buildNode(spec),
    admin: buildAdmin(config),
    overload_manager: buildOverloadManager(config),
    layered_runtime: buildLayeredRuntime(),
    dynamic_resources: {
      lds_config: fileConfigSource(files.listeners, files.directory),
      cds_config: fileConfigSource(files.clusters, files.directory),
    },
  };
}

/** Fully static: the same resources inline (what `envoy --mode validate` can actually check). */
export function buildStaticBootstrap(
  spec: LoadBalancerModel,
  config: AgentConfig,
  resources: StaticResources,
): StaticBootstrap {
  return {
    node: buildNode(spec),
    admin: buildAdmin(config),
    overload_manager: buildOverloadManager(config),
    layered_runtime: buildLayeredRuntime(),
    static_resources: resources,
  };
}
