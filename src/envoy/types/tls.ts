/** envoy.extensions.transport_sockets.tls.v3: TLS contexts and SDS secrets. */
import type { ConfigSource, DataSource, WatchedDirectory } from './core.ts';
import type { TypeUrls } from './typeUrls.ts';

export type TlsProtocol = 'TLS_AUTO' | 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3';

export interface TlsParameters {
  readonly tls_minimum_protocol_version?: TlsProtocol;
  readonly tls_maximum_protocol_version?: TlsProtocol;
  readonly cipher_suites?: readonly string[];
}

/** References a Secret by name: from SDS when sds_config is set, else from static_resources.secrets. */
export interface SdsSecretConfig {
  readonly name: string;
  readonly sds_config?: ConfigSource;
}

export interface TlsCertificate {
  readonly certificate_chain: DataSource;
  readonly private_key: DataSource;
  /** A move inside it reloads certificate and key together (SDS-delivered certificates only). */
  readonly watched_directory?: WatchedDirectory;
}

export interface CertificateValidationContext {
  readonly trusted_ca: DataSource;
  readonly watched_directory?: WatchedDirectory;
}

export interface CommonTlsContext {
  readonly tls_params?: TlsParameters;
  readonly alpn_protocols?: readonly string[];
  readonly tls_certificate_sds_secret_configs?: readonly SdsSecretConfig[];
  readonly validation_context_sds_secret_config?: SdsSecretConfig;
}

export interface DownstreamTlsContext {
  readonly '@type': TypeUrls['downstreamTlsContext'];
  readonly common_tls_context: CommonTlsContext;
  readonly require_client_certificate?: boolean;
}

export interface UpstreamTlsContext {
  readonly '@type': TypeUrls['upstreamTlsContext'];
  readonly common_tls_context: CommonTlsContext;
  readonly sni?: string;
}

/** A Secret holds exactly one of its kinds. */
export type Secret =
  | { readonly name: string; readonly tls_certificate: TlsCertificate }
  | { readonly name: string; readonly validation_context: CertificateValidationContext };

export interface DownstreamTlsTransportSocket {
  readonly name: 'envoy.transport_sockets.tls';
  readonly typed_config: DownstreamTlsContext;
}

export interface UpstreamTlsTransportSocket {
  readonly name: 'envoy.transport_sockets.tls';
  readonly typed_config: UpstreamTlsContext;
}
