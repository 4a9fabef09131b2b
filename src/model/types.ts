/**
 * The one internal model both document forms are read into (flat: one rule; VPSie: many). Rendering, hashing,
 * applying, health reporting and /status work on this only; nothing here says which form a document came from.
 * Resource names are decided by the readers (src/model/flat.ts, src/model/vpsie.ts) so that a flat document keeps
 * the names it always had; builders use them as given.
 */
import type { AddressKind, Algorithm, HealthCheckHeader, TlsConfig } from '../spec/types.ts';

export type ListenerKind = 'tcp' | 'http' | 'https' | 'http2';

export interface ModelBackend {
  /** Flat form: backend `id`; VPSie form: backend `identifier` (what health is reported by). */
  readonly id: string;
  /** Canonical (see spec/types Backend). */
  readonly address: string;
  readonly addressKind: AddressKind;
  readonly port: number;
  readonly weight: number;
  /** Disabled backends get no traffic and no checks; they are kept for /status. */
  readonly enabled: boolean;
  /** VPSie form: shown on /status only. */
  readonly vmIdentifier?: string;
}

/** Half-open [start, end) status range. */
export interface StatusRange {
  readonly start: number;
  readonly end: number;
}

export interface ModelHealthCheck {
  readonly protocol: 'tcp' | 'http';
  /** The check connects with TLS (even when the pool's traffic does not, see Pool.upstreamTls). */
  readonly tls: boolean;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  /** http only. */
  readonly path?: string;
  /** http only: the Host (:authority) of the check. */
  readonly host?: string;
  readonly expectedStatuses: readonly StatusRange[];
  /** Extra request headers (never Host). */
  readonly headers: readonly HealthCheckHeader[];
}

/** One Envoy cluster. */
export interface Pool {
  readonly name: string;
  /** Where the pool comes from in the document (`backends`, `rules[1]`, `rules[0].domains[2]`), for messages. */
  readonly origin: string;
  readonly algorithm: Algorithm;
  readonly backends: readonly ModelBackend[];
  readonly connectTimeoutSeconds: number;
  readonly healthCheck?: ModelHealthCheck;
  /** Proxied traffic (and the checks) speak TLS to the backends, unverified. */
  readonly upstreamTls: boolean;
}

export type RouteAction =
  | {
      readonly kind: 'pool';
      readonly pool: string;
      /** The pool's algorithm hashes on the client address (RING_HASH). */
      readonly hashSourceIp: boolean;
      readonly stickyCookie?: string;
    }
  | { readonly kind: 'redirect'; readonly httpsPort: number }
  | { readonly kind: 'notFound' };

export interface VirtualHostModel {
  readonly name: string;
  /** Served hosts, lower case: exact names, `*.suffix` wildcards, or `*` (any host). */
  readonly hosts: readonly string[];
  readonly action: RouteAction;
}

/** A certificate item of the document: one per https/http2 domain (or rule without domains, or flat LB). */
export interface CertificateItem {
  /** The SDS secret name of the certificate and key. */
  readonly secretName: string;
  /** The SDS secret name of the client CA (mTLS), used when `tls.ca` is set. */
  readonly caSecretName: string;
  /** Document path problems about this item are reported at (`tls_config`, `rules[1].domains[0].tls`). */
  readonly path: string;
  /** What /status, metrics and events call it: the served host, or the LB id. */
  readonly label: string;
  readonly tls: TlsConfig;
}

/** One downstream TLS filter chain: a certificate, picked for these SNI names (none: the default chain). */
export interface TlsChain {
  readonly certificate: string;
  readonly serverNames: readonly string[];
}

export interface ListenerModel {
  /** Base listener name; the builder appends the address family. */
  readonly name: string;
  readonly kind: ListenerKind;
  readonly port: number;
  readonly statPrefix: string;
  /** tcp: the pool. */
  readonly tcpPool?: string;
  /** tcp: hash on the client address. */
  readonly tcpHashSourceIp?: boolean;
  /** HTTP kinds: the route configuration's name and its virtual hosts, most specific first, `*` last. */
  readonly routeName?: string;
  readonly virtualHosts: readonly VirtualHostModel[];
  /** https/http2: the filter chains; the first one without server names is the default. */
  readonly tlsChains: readonly TlsChain[];
  readonly idleSeconds?: number;
  readonly requestSeconds?: number;
  readonly maxConnections?: number;
}

export interface LoadBalancerModel {
  readonly id: string;
  readonly name: string;
  readonly listeners: readonly ListenerModel[];
  readonly pools: readonly Pool[];
  readonly certificates: readonly CertificateItem[];
}
