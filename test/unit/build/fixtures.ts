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

import type { AgentConfig } from '../../../src/config/types.ts';
import { buildCluster } from '../../../src/envoy/build/cluster.ts';
import { buildListeners } from '../../../src/envoy/build/listener.ts';
import { renderEnvoyConfig } from '../../../src/envoy/build/render.ts';
import { buildRouteConfiguration } from '../../../src/envoy/build/route.ts';
import type { TlsSecretRefs } from '../../../src/envoy/build/tls.ts';
import type { Cluster, Listener } from '../../../src/envoy/types/index.ts';
import { fromFlat } from '../../../src/model/flat.ts';

/** The flat document's one cluster, static packaging (endpoints inline). */
export function flatCluster(s: LoadBalancerSpec, config: AgentConfig): Cluster {
  const pool = fromFlat(s).pools[0];
  if (pool === undefined) throw new Error('no pool');
  return buildCluster(pool, config);
}

/** The flat document's listeners with routes inline; `refs` stand for the certificate and CA secrets. */
export function flatListeners(s: LoadBalancerSpec, config: AgentConfig, refs?: TlsSecretRefs): Listener[] {
  const model = fromFlat(s);
  const l = model.listeners[0];
  if (l === undefined) throw new Error('no listener');
  const certificates = new Map(model.certificates.map((c) => [c.secretName, c]));
  const secretRef = (name: string) => {
    const ref = name.endsWith('-ca') ? refs?.ca : refs?.certificate;
    return ref ?? { name };
  };
  const routes =
    l.kind === 'tcp'
      ? { rds: { resource_api_version: 'V3' as const, path_config_source: { path: '/unused' } } }
      : { inline: buildRouteConfiguration(l) };
  return buildListeners(l, config, { routes, secretRef, certificates });
}

export const renderFlat = (s: LoadBalancerSpec, config: AgentConfig) =>
  renderEnvoyConfig(fromFlat(s), config);
