/**
 * TLS: where certificate material lives on disk, the SDS secrets that point at it, and the TLS contexts.
 * Private keys are never inlined into Envoy config (config files may be world-readable): inline PEM from the
 * spec is written by the applier to a content-named file in the certificate directory, and Envoy gets its path.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { TlsConfig, TlsSource, TlsVersion } from '../../spec/types.ts';
import { Secret as SecretValue } from '../../util/secret.ts';
import type {
  DownstreamTlsTransportSocket,
  SdsSecretConfig,
  Secret,
  TlsParameters,
  TlsProtocol,
  UpstreamTlsTransportSocket,
} from '../types/index.ts';
import { EXTENSION, TYPE_URL } from '../types/index.ts';
import { prune } from './prune.ts';

export type CertRole = 'certificate' | 'privateKey' | 'ca';

const SUFFIX: Record<CertRole, string> = { certificate: 'crt', privateKey: 'key', ca: 'ca' };

/** An inline PEM the applier must write (atomically, with `mode`) before Envoy reads the config. */
export interface InlineCertFile {
  readonly role: CertRole;
  readonly path: string;
  /** Wrapped so that a logged result never shows key material; `reveal()` when writing. */
  readonly pem: SecretValue;
  /** 0o600 for private keys, 0o644 for certificates. */
  readonly mode: number;
}

/**
 * `<certDir>/inline-<first 16 hex of sha256(pem)>.<crt|key|ca>.pem`: the same content always lands on the same
 * path (no churn between polls), new content on a new path (the config changes, so Envoy reloads it).
 */
export function inlineCertPath(certDir: string, role: CertRole, pem: string): string {
  const digest = createHash('sha256').update(pem, 'utf8').digest('hex').slice(0, 16);
  return posix.join(certDir, `inline-${digest}.${SUFFIX[role]}.pem`);
}

export interface TlsFiles {
  readonly certificate: string;
  readonly privateKey: string;
  readonly ca?: string;
  readonly inline: readonly InlineCertFile[];
}

export function resolveTlsFiles(tls: TlsConfig, certDir: string): TlsFiles {
  const inline: InlineCertFile[] = [];
  const place = (source: TlsSource, role: CertRole): string => {
    if (source.kind === 'path') return source.path;
    const path = inlineCertPath(certDir, role, source.pem);
    inline.push({
      role,
      path,
      pem: new SecretValue(source.pem),
      mode: role === 'privateKey' ? 0o600 : 0o644,
    });
    return path;
  };
  const certificate = place(tls.certificate, 'certificate');
  const privateKey = place(tls.privateKey, 'privateKey');
  const ca = tls.ca === undefined ? undefined : place(tls.ca, 'ca');
  return { certificate, privateKey, ...(ca === undefined ? {} : { ca }), inline };
}

/**
 * The SDS secrets. The certificate secret watches the directory holding certificate and key, so replacing them
 * there (by rename) rotates without a restart and reads the pair consistently. When the two live in different
 * directories no single watch covers both; Envoy then watches each file's own directory.
 */
export function buildSecrets(names: { certificate: string; ca: string }, files: TlsFiles): Secret[] {
  const certDir = posix.dirname(files.certificate);
  const sameDir = certDir === posix.dirname(files.privateKey);
  const secrets: Secret[] = [
    prune<Secret>({
      name: names.certificate,
      tls_certificate: {
        certificate_chain: { filename: files.certificate },
        private_key: { filename: files.privateKey },
        watched_directory: sameDir ? { path: certDir } : undefined,
      },
    }),
  ];
  if (files.ca !== undefined) {
    secrets.push({
      name: names.ca,
      validation_context: {
        trusted_ca: { filename: files.ca },
        watched_directory: { path: posix.dirname(files.ca) },
      },
    });
  }
  return secrets;
}

const PROTOCOL: Record<TlsVersion, TlsProtocol> = { 'TLSv1.2': 'TLSv1_2', 'TLSv1.3': 'TLSv1_3' };

export function tlsParams(tls: TlsConfig): TlsParameters {
  return prune<TlsParameters>({
    tls_minimum_protocol_version: PROTOCOL[tls.minVersion],
    tls_maximum_protocol_version: PROTOCOL[tls.maxVersion ?? 'TLSv1.3'],
    // cipher_suites only govern TLS 1.2 and below; with 1.3 only they would suggest a choice that is not made.
    cipher_suites: tls.minVersion === 'TLSv1.2' ? [...tls.cipherSuites] : undefined,
  });
}

export interface TlsSecretRefs {
  readonly certificate: SdsSecretConfig;
  readonly ca?: SdsSecretConfig;
}

/** The listener side of https: certificates by SDS reference; with a CA, client certificates are required. */
export function buildDownstreamTls(tls: TlsConfig, refs: TlsSecretRefs): DownstreamTlsTransportSocket {
  return prune<DownstreamTlsTransportSocket>({
    name: EXTENSION.tlsTransportSocket,
    typed_config: {
      '@type': TYPE_URL.downstreamTlsContext,
      common_tls_context: {
        tls_params: tlsParams(tls),
        alpn_protocols: [...tls.alpn],
        tls_certificate_sds_secret_configs: [refs.certificate],
        validation_context_sds_secret_config: refs.ca,
      },
      require_client_certificate: refs.ca === undefined ? undefined : true,
    },
  });
}

/**
 * TLS towards backends, used when the health check type is https. The contract gives no CA for backends, so the
 * server certificate is not verified: the check proves the backend speaks TLS and answers, not who it is.
 */
export function buildUpstreamTls(): UpstreamTlsTransportSocket {
  return {
    name: EXTENSION.tlsTransportSocket,
    typed_config: {
      '@type': TYPE_URL.upstreamTlsContext,
      common_tls_context: {
        tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' },
      },
    },
  };
}
