/** envoy.service.discovery.v3.DiscoveryResponse as read from a file-based xDS source. */
import type { Cluster, ClusterLoadAssignment } from './cluster.ts';
import type { RouteConfiguration } from './http.ts';
import type { Listener } from './listener.ts';
import type { Secret } from './tls.ts';
import type { TypeUrls } from './typeUrls.ts';

/** A resource packed as google.protobuf.Any: its fields plus `@type`. */
export type AnyOf<T, U extends string> = { readonly '@type': U } & T;

export type ListenerResource = AnyOf<Listener, TypeUrls['listener']>;
export type ClusterResource = AnyOf<Cluster, TypeUrls['cluster']>;
export type SecretResource = AnyOf<Secret, TypeUrls['secret']>;
export type RouteConfigurationResource = AnyOf<RouteConfiguration, TypeUrls['routeConfiguration']>;
export type ClusterLoadAssignmentResource = AnyOf<ClusterLoadAssignment, TypeUrls['clusterLoadAssignment']>;
export type XdsResource =
  | ListenerResource
  | ClusterResource
  | SecretResource
  | RouteConfigurationResource
  | ClusterLoadAssignmentResource;

export interface DiscoveryResponse<R extends XdsResource = XdsResource> {
  readonly version_info: string;
  readonly resources: readonly R[];
}
