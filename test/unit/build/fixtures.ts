// Validated models built directly, for builder unit tests.
import type { Backend, LoadBalancerSpec, TlsConfig } from '../../../src/spec/types.ts';
import { CIPHER_SUITES } from '../../../src/spec/types.ts';

export function backend(id: string, address: string, overrides: Partial<Backend> = {}): Backend {
  const addressKind = address.includes(':') ? 'ipv6' : /^[0-9.]+$/.test(address) ? 'ipv4' : 'hostname';
  return { id, address, addressKind, port: 8080, weight: 1, enabled: true, ...overrides };
}

export function spec(overrides: Partial<LoadBalancerSpec> = {}): LoadBalancerSpec {
  return {
    id: 'lb1',
    name: 'lb1',
    protocol: 'http',
    port: 80,
    algorithm: 'round_robin',
    backends: [backend('a', '10.0.0.1'), backend('b', '10.0.0.2')],
    timeouts: { connectSeconds: 5 },
    ...overrides,
  };
}

export const CERT_PEM = '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n';
export const KEY_PEM = '-----BEGIN PRIVATE KEY-----\nVEhJUy1JUy1USEUtS0VZ\n-----END PRIVATE KEY-----\n';

export function tls(overrides: Partial<TlsConfig> = {}): TlsConfig {
  return {
    certificate: { kind: 'path', path: '/etc/vpsie-lb/certs/site/tls.crt' },
    privateKey: { kind: 'path', path: '/etc/vpsie-lb/certs/site/tls.key' },
    minVersion: 'TLSv1.2',
    cipherSuites: [...CIPHER_SUITES],
    alpn: ['h2', 'http/1.1'],
    ...overrides,
  };
}
