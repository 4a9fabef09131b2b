import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultAgentConfig } from '../../../src/config/defaults.ts';
import type {
  FilterChain,
  HttpConnectionManager,
  Listener,
  Route,
  TcpProxy,
} from '../../../src/envoy/types/index.ts';
import { flatListeners, spec, tls } from './fixtures.ts';

/** The route action of the first virtual host's first route. */
function firstRoute(m: { route_config?: { virtual_hosts: readonly { routes: readonly Route[] }[] } }) {
  const r = m.route_config?.virtual_hosts[0]?.routes[0];
  return r !== undefined && 'route' in r ? r.route : undefined;
}

const config = defaultAgentConfig();
const only = (listeners: Listener[]): FilterChain => {
  assert.equal(listeners.length, 1);
  const chain = listeners[0]?.filter_chains[0];
  assert.ok(chain !== undefined);
  return chain;
};
const terminal = (chain: FilterChain) => chain.filters[chain.filters.length - 1];
const hcm = (chain: FilterChain): HttpConnectionManager => {
  const f = terminal(chain);
  assert.ok(f?.name === 'envoy.filters.network.http_connection_manager');
  return f.typed_config;
};
const tcpProxy = (chain: FilterChain): TcpProxy => {
  const f = terminal(chain);
  assert.ok(f?.name === 'envoy.filters.network.tcp_proxy');
  return f.typed_config;
};

test('one IPv4 listener by default; with ipv6 a second one on [::] with its own stable name', () => {
  const v4 = flatListeners(spec({ port: 8080 }), config);
  assert.deepEqual(
    v4.map((l) => [l.name, l.address.socket_address.address, l.address.socket_address.port_value]),
    [['lb-lb1-v4', '0.0.0.0', 8080]],
  );
  const both = flatListeners(spec({ port: 8080 }), { ...config, envoy: { ...config.envoy, ipv6: true } });
  assert.deepEqual(
    both.map((l) => [l.name, l.address.socket_address.address, l.address.socket_address.port_value]),
    [
      ['lb-lb1-v4', '0.0.0.0', 8080],
      ['lb-lb1-v6', '::', 8080],
    ],
  );
  assert.deepEqual(both[0]?.filter_chains, both[1]?.filter_chains);
  for (const l of both) assert.equal(l.per_connection_buffer_limit_bytes, 32768);
});

test('http routes every request to the cluster, router filter last, edge hardening on', () => {
  const m = hcm(only(flatListeners(spec(), config)));
  const route = m.route_config?.virtual_hosts[0]?.routes[0];
  assert.deepEqual(route?.match, { prefix: '/' });
  assert.equal(firstRoute(m)?.cluster, 'lb-lb1');
  assert.deepEqual(m.route_config?.virtual_hosts[0]?.domains, ['*']);
  assert.equal(m.http_filters[m.http_filters.length - 1]?.name, 'envoy.filters.http.router');
  assert.equal(m.use_remote_address, true);
  assert.equal(m.normalize_path, true);
  assert.equal(m.merge_slashes, true);
  assert.equal(m.path_with_escaped_slashes_action, 'UNESCAPE_AND_REDIRECT');
  assert.equal(m.common_http_protocol_options?.headers_with_underscores_action, 'REJECT_REQUEST');
  assert.deepEqual(m.http2_protocol_options, {
    max_concurrent_streams: 100,
    initial_stream_window_size: 65536,
    initial_connection_window_size: 1048576,
  });
  assert.equal(m.stream_idle_timeout, '300s');
  assert.equal(m.request_headers_timeout, '10s');
});

test('tcp proxies to the cluster', () => {
  const p = tcpProxy(only(flatListeners(spec({ protocol: 'tcp' }), config)));
  assert.equal(p.cluster, 'lb-lb1');
  assert.equal(p.hash_policy, undefined);
});

test('ring_hash gets a source-ip hash policy on the route (http) and the TCP proxy (tcp); others get none', () => {
  const route = (s: ReturnType<typeof spec>) => firstRoute(hcm(only(flatListeners(s, config))));
  assert.deepEqual(route(spec({ algorithm: 'ring_hash' }))?.hash_policy, [
    { connection_properties: { source_ip: true } },
  ]);
  assert.deepEqual(
    tcpProxy(only(flatListeners(spec({ protocol: 'tcp', algorithm: 'ring_hash' }), config))).hash_policy,
    [{ source_ip: {} }],
  );
  for (const algorithm of ['round_robin', 'least_request', 'random'] as const) {
    assert.equal(route(spec({ algorithm }))?.hash_policy, undefined, algorithm);
    assert.equal(
      tcpProxy(only(flatListeners(spec({ protocol: 'tcp', algorithm }), config))).hash_policy,
      undefined,
    );
  }
});

test('timeouts: given values, 0 disables, undefined keeps the hardened defaults', () => {
  const given = hcm(
    only(
      flatListeners(spec({ timeouts: { connectSeconds: 5, idleSeconds: 120, requestSeconds: 30 } }), config),
    ),
  );
  assert.equal(given.common_http_protocol_options?.idle_timeout, '120s');
  assert.equal(given.request_timeout, '30s');
  assert.equal(firstRoute(given)?.timeout, '30s');

  const zero = hcm(
    only(flatListeners(spec({ timeouts: { connectSeconds: 5, idleSeconds: 0, requestSeconds: 0 } }), config)),
  );
  assert.equal(zero.common_http_protocol_options?.idle_timeout, '0s');
  assert.equal(zero.request_timeout, '0s');
  assert.equal(firstRoute(zero)?.timeout, '0s');

  const unset = hcm(only(flatListeners(spec(), config)));
  assert.equal(unset.common_http_protocol_options?.idle_timeout, '3600s');
  assert.equal(unset.request_timeout, '300s');
  assert.equal(firstRoute(unset)?.timeout, '300s');

  const tcp = (idleSeconds?: number) =>
    tcpProxy(
      only(flatListeners(spec({ protocol: 'tcp', timeouts: { connectSeconds: 5, idleSeconds } }), config)),
    );
  assert.equal(tcp(0).idle_timeout, '0s');
  assert.equal(tcp(45).idle_timeout, '45s');
  assert.equal(tcp(undefined).idle_timeout, '3600s');
});

test('max_connections puts a connection limit before the terminal filter; none without it', () => {
  for (const protocol of ['http', 'tcp'] as const) {
    const limited = only(flatListeners(spec({ protocol, maxConnections: 250 }), config));
    assert.equal(limited.filters.length, 2);
    const first = limited.filters[0];
    assert.ok(first?.name === 'envoy.filters.network.connection_limit');
    assert.equal(first.typed_config.max_connections, 250);
    assert.ok(first.typed_config.stat_prefix.length > 0);
    assert.notEqual(terminal(limited)?.name, 'envoy.filters.network.connection_limit');

    const open = only(flatListeners(spec({ protocol }), config));
    assert.equal(open.filters.length, 1);
  }
});

const sds = { certificate: { name: 'lb-lb1-cert' }, ca: { name: 'lb-lb1-ca' } };

test('https: TLS context with versions, ciphers, ALPN and the certificate by SDS reference', () => {
  const chain = only(
    flatListeners(
      spec({ protocol: 'https', tls: tls({ cipherSuites: ['ECDHE-RSA-AES128-GCM-SHA256'] }) }),
      config,
      {
        certificate: sds.certificate,
      },
    ),
  );
  assert.deepEqual(chain.transport_socket, {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
      common_tls_context: {
        tls_params: {
          tls_minimum_protocol_version: 'TLSv1_2',
          tls_maximum_protocol_version: 'TLSv1_3',
          cipher_suites: ['ECDHE-RSA-AES128-GCM-SHA256'],
        },
        alpn_protocols: ['h2', 'http/1.1'],
        tls_certificate_sds_secret_configs: [{ name: 'lb-lb1-cert' }],
      },
    },
  });
  assert.equal(terminal(chain)?.name, 'envoy.filters.network.http_connection_manager');
});

test('https TLS 1.3 only: no cipher list (it would not apply); max version given is kept', () => {
  const chain = only(
    flatListeners(
      spec({ protocol: 'https', tls: tls({ minVersion: 'TLSv1.3', alpn: ['h2'] }) }),
      config,
      sds,
    ),
  );
  const ctx = chain.transport_socket?.typed_config.common_tls_context;
  assert.deepEqual(ctx?.tls_params, {
    tls_minimum_protocol_version: 'TLSv1_3',
    tls_maximum_protocol_version: 'TLSv1_3',
  });
  assert.deepEqual(ctx?.alpn_protocols, ['h2']);
  const capped = only(
    flatListeners(spec({ protocol: 'https', tls: tls({ maxVersion: 'TLSv1.2' }) }), config, sds),
  );
  assert.equal(
    capped.transport_socket?.typed_config.common_tls_context.tls_params?.tls_maximum_protocol_version,
    'TLSv1_2',
  );
});

test('mTLS: with a CA reference client certificates are required and verified; without, not', () => {
  const ca = { kind: 'path', path: '/etc/vpsie-lb/certs/site/ca.crt' } as const;
  const mtls = only(flatListeners(spec({ protocol: 'https', tls: tls({ ca }) }), config, sds));
  assert.equal(mtls.transport_socket?.typed_config.require_client_certificate, true);
  assert.deepEqual(
    mtls.transport_socket?.typed_config.common_tls_context.validation_context_sds_secret_config,
    {
      name: 'lb-lb1-ca',
    },
  );
  const plain = only(flatListeners(spec({ protocol: 'https', tls: tls() }), config, sds));
  assert.equal(plain.transport_socket?.typed_config.require_client_certificate, undefined);
  assert.equal(
    plain.transport_socket?.typed_config.common_tls_context.validation_context_sds_secret_config,
    undefined,
  );
});

test('http and tcp listeners have no TLS even when the spec carries a tls_config', () => {
  for (const protocol of ['http', 'tcp'] as const) {
    assert.equal(
      only(flatListeners(spec({ protocol, tls: tls() }), config, sds)).transport_socket,
      undefined,
    );
  }
});
