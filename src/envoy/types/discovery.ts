/** envoy.service.discovery.v3.DiscoveryResponse as read from a file-based xDS source. */
import type { Cluster } from './cluster.ts';
import type { Listener } from './listener.ts';
import type { Secret } from './tls.ts';
import type { TypeUrls } from './typeUrls.ts';

/** A resource packed as google.protobuf.Any: its fields plus `@type`. */
export type AnyOf<T, U extends string> = { readonly '@type': U } & T;

export type ListenerResource = AnyOf<Listener, TypeUrls['listener']>;
export type ClusterResource = AnyOf<Cluster, TypeUrls['cluster']>;
export type SecretResource = AnyOf<Secret, TypeUrls['secret']>;
export type XdsResource = ListenerResource | ClusterResource | SecretResource;

export interface DiscoveryResponse<R extends XdsResource = XdsResource> {
  readonly version_info: string;
  readonly resources: readonly R[];
}
