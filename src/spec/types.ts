/**
 * The validated load balancer model. Only `validateSpec` produces these; everything downstream
 * (rendering, hashing, applying) may trust every field. Defaults from the contract are already applied.
 */
export type Protocol = 'http' | 'https' | 'tcp';
export type Algorithm = 'round_robin' | 'least_request' | 'random' | 'ring_hash';
export type HealthCheckType = 'tcp' | 'http' | 'https';
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';
export type AlpnProtocol = 'h2' | 'http/1.1';
export type BackendStatus = 'up' | 'down' | 'unknown';
export type AddressKind = 'ipv4' | 'ipv6' | 'hostname';

export const CIPHER_SUITES = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
] as const;
export type CipherSuite = (typeof CIPHER_SUITES)[number];

export interface Backend {
  readonly id: string;
  /** Canonical form: dotted quad; IPv6 compressed lower-case (IPv4-mapped given as its IPv4); hostname lower-case. */
  readonly address: string;
  readonly addressKind: AddressKind;
  readonly port: number;
  /** 1..1000; the contract's 0-or-absent is already turned into 1. */
  readonly weight: number;
  readonly enabled: boolean;
  /** Informational only; never affects rendering. */
  readonly status?: BackendStatus;
}

export interface HealthCheckHeader {
  readonly name: string;
  readonly value: string;
}

export interface HealthCheck {
  readonly type: HealthCheckType;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  /** Present for http/https. */
  readonly path?: string;
  /** Distinct statuses, in document order; [200] when absent. */
  readonly expectedStatus: readonly number[];
  readonly headers: readonly HealthCheckHeader[];
}

/** A TLS item comes either from a file inside the certificate directory or inline in the spec. */
export type TlsSource =
  | { readonly kind: 'path' /** absolute, resolved (no `..`, no symlinks) */; readonly path: string }
  | { readonly kind: 'inline'; readonly pem: string };

export interface TlsConfig {
  readonly certificate: TlsSource;
  readonly privateKey: TlsSource;
  /** When present, client certificates are required and verified against it (mTLS). */
  readonly ca?: TlsSource;
  readonly minVersion: TlsVersion;
  readonly maxVersion?: TlsVersion;
  readonly cipherSuites: readonly CipherSuite[];
  readonly alpn: readonly AlpnProtocol[];
}

export interface Timeouts {
  /** Seconds, 1..3600 (the contract's 0-or-absent is already 5). */
  readonly connectSeconds: number;
  /** Seconds; 0 disables; undefined leaves the agent's hardened default. */
  readonly idleSeconds?: number;
  /** Seconds; 0 disables; undefined leaves the agent's hardened default. Ignored for tcp. */
  readonly requestSeconds?: number;
}

export interface LoadBalancerSpec {
  readonly id: string;
  readonly name: string;
  readonly protocol: Protocol;
  readonly port: number;
  readonly algorithm: Algorithm;
  readonly backends: readonly Backend[];
  readonly healthCheck?: HealthCheck;
  /** Present for https; validated (and kept) whenever the document carries it. */
  readonly tls?: TlsConfig;
  readonly timeouts: Timeouts;
  /** Per-listener limit; undefined when the document says 0 or nothing. */
  readonly maxConnections?: number;
  /** Informational only; never part of the configuration hash. */
  readonly createdAt?: string;
  readonly updatedAt?: string;
}

/** What validation needs to know about the agent it runs in. */
export interface SpecValidationContext {
  readonly envoyAdminPort: number;
  readonly agentPort: number;
  /** The certificate directory, as configured (absolute). */
  readonly certDir: string;
  /**
   * Resolves `..` and symbolic links of an absolute path, like realpath(3), but tolerating a missing tail
   * (a file that does not exist yet resolves through its deepest existing ancestor). Injected so the
   * validator stays pure; `resolvePathOnDisk` in `src/spec/realpath.ts` is the real one.
   */
  readonly resolvePath: (absolutePath: string) => string;
  /** Extra address policy from the agent config, as CIDR strings already validated by the config loader. */
  readonly denyCidrs: readonly string[];
  readonly allowCidrs: readonly string[];
}
