/**
 * Node names and file locations. Resource names (listeners, routes, clusters, secrets) come with the model
 * (src/model/flat.ts and src/model/vpsie.ts decide them).
 */
import { posix } from 'node:path';
import type { AgentConfig } from '../../config/types.ts';

export type ListenerFamily = 'v4' | 'v6';

export const names = {
  node: (lbId: string): string => `vpsie-lb-${lbId}`,
  nodeCluster: 'vpsie-lb',
  /** An address family's listener of a model listener. */
  listener: (base: string, family: ListenerFamily): string => `${base}-${family}`,
  connectionLimitStatPrefix: (statPrefix: string): string => `${statPrefix}_connection_limit`,
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
  /** One file per route configuration / per EDS cluster: real Envoy's file-based RDS and EDS subscriptions
   * reject a file holding more than one resource ("Unexpected EDS resource length: 2"). */
  readonly routesDirectory: string;
  readonly endpointsDirectory: string;
  readonly clusters: string;
  /** One file per SDS secret too: an SDS response holds exactly one secret. */
  readonly secretsDirectory: string;
}

/** `name` as a file name: `|` (the model's name separator) becomes `+`, which no id may contain either. */
const fileName = (name: string, extension = 'yaml'): string => `${name.replaceAll('|', '+')}.${extension}`;

export const routeFile = (paths: XdsFilePaths, routeName: string): string =>
  posix.join(paths.routesDirectory, fileName(routeName));
export const secretFile = (paths: XdsFilePaths, secretName: string): string =>
  posix.join(paths.secretsDirectory, fileName(secretName));
export const endpointsFile = (paths: XdsFilePaths, clusterName: string): string =>
  posix.join(paths.endpointsDirectory, fileName(clusterName, 'json')); // JSON: see json.ts

export function xdsFilePaths(config: AgentConfig): XdsFilePaths {
  const directory = config.envoy.configPath;
  const parent = posix.dirname(directory);
  return {
    bootstrap: posix.join(parent, 'bootstrap.yaml'),
    static: posix.join(parent, 'static.json'), // JSON: see json.ts
    directory,
    listeners: posix.join(directory, 'listeners.yaml'),
    routesDirectory: posix.join(directory, 'routes'),
    endpointsDirectory: posix.join(directory, 'endpoints'),
    clusters: posix.join(directory, 'clusters.yaml'),
    secretsDirectory: posix.join(directory, 'secrets'),
  };
}

/** The directories holding one file per resource (what a commit sweeps of the files it no longer uses). */
export function resourceDirectories(config: AgentConfig): string[] {
  const paths = xdsFilePaths(config);
  return [paths.routesDirectory, paths.endpointsDirectory, paths.secretsDirectory];
}
