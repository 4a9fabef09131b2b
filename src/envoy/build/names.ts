/** Stable names and file locations derived from the load balancer id (ids are `[A-Za-z0-9_-]+`). */
import { posix } from 'node:path';
import type { AgentConfig } from '../../config/types.ts';

export type ListenerFamily = 'v4' | 'v6';

export const names = {
  node: (lbId: string): string => `vpsie-lb-${lbId}`,
  nodeCluster: 'vpsie-lb',
  listener: (lbId: string, family: ListenerFamily): string => `lb-${lbId}-${family}`,
  cluster: (lbId: string): string => `lb-${lbId}`,
  routeConfig: (lbId: string): string => `lb-${lbId}`,
  virtualHost: (lbId: string): string => `lb-${lbId}`,
  /** Shared by both listeners so the LB's stats add up across address families. */
  statPrefix: (lbId: string): string => `lb_${lbId}`,
  connectionLimitStatPrefix: (lbId: string): string => `lb_${lbId}_connection_limit`,
  certificateSecret: (lbId: string): string => `lb-${lbId}-cert`,
  caSecret: (lbId: string): string => `lb-${lbId}-ca`,
} as const;

/**
 * Where the runtime layout's files live: the xDS files in the watched directory `configPath`, the bootstrap and
 * the static (validation) bootstrap in its parent.
 */
export interface XdsFilePaths {
  readonly bootstrap: string;
  readonly static: string;
  readonly directory: string;
  readonly listeners: string;
  readonly clusters: string;
  readonly secrets: string;
  /** The client CA's SDS secret (mTLS): a file of its own, since an SDS response holds exactly one secret. */
  readonly caSecrets: string;
}

export function xdsFilePaths(config: AgentConfig): XdsFilePaths {
  const directory = config.envoy.configPath;
  const parent = posix.dirname(directory);
  return {
    bootstrap: posix.join(parent, 'bootstrap.yaml'),
    static: posix.join(parent, 'static.yaml'),
    directory,
    listeners: posix.join(directory, 'listeners.yaml'),
    clusters: posix.join(directory, 'clusters.yaml'),
    secrets: posix.join(directory, 'secrets.yaml'),
    caSecrets: posix.join(directory, 'secrets-ca.yaml'),
  };
}
