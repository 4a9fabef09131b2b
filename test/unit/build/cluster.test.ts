import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultAgentConfig } from '../../../src/config/defaults.ts';
import { LB_POLICY } from '../../../src/envoy/build/cluster.ts';
import type { Cluster, LbEndpoint } from '../../../src/envoy/types/index.ts';
import type { Algorithm } from '../../../src/spec/types.ts';
import { backend, flatCluster, spec } from './fixtures.ts';

const config = defaultAgentConfig();
const endpoints = (c: Cluster): readonly LbEndpoint[] => c.load_assignment?.endpoints[0]?.lb_endpoints ?? [];
const addresses = (c: Cluster): string[] =>
  endpoints(c).map(
    (e) => `${e.endpoint.address.socket_address.address}:${e.endpoint.address.socket_address.port_value}`,
  );

test('a cluster of IP literals (v4 and v6) is STATIC and does no DNS', () => {
  const c = flatCluster(spec({ backends: [backend('a', '10.0.0.1'), backend('b', '2001:db8::1')] }), config);
  assert.equal(c.type, 'STATIC');
  assert.equal(c.dns_lookup_family, undefined);
});

test('one hostname makes the cluster STRICT_DNS, preferring IPv4', () => {
  const c = flatCluster(
    spec({ backends: [backend('a', '10.0.0.1'), backend('b', 'app.example.com')] }),
    config,
  );
  assert.equal(c.type, 'STRICT_DNS');
  assert.equal(c.dns_lookup_family, 'V4_PREFERRED');
  assert.deepEqual(addresses(c), ['10.0.0.1:8080', 'app.example.com:8080']);
});

test('a disabled hostname backend neither gets an endpoint nor forces DNS', () => {
  const c = flatCluster(
    spec({ backends: [backend('a', '10.0.0.1'), backend('b', 'app.example.com', { enabled: false })] }),
    config,
  );
  assert.equal(c.type, 'STATIC');
  assert.deepEqual(addresses(c), ['10.0.0.1:8080']);
});

test('disabled backends are absent; all disabled leaves an empty, valid endpoint list', () => {
  const some = flatCluster(
    spec({ backends: [backend('a', '10.0.0.1', { enabled: false }), backend('b', '10.0.0.2')] }),
    config,
  );
  assert.deepEqual(addresses(some), ['10.0.0.2:8080']);
  const none = flatCluster(spec({ backends: [backend('a', '10.0.0.1', { enabled: false })] }), config);
  assert.deepEqual(none.load_assignment, { cluster_name: 'lb-lb1', endpoints: [] });
});

test('each endpoint carries its backend weight', () => {
  const c = flatCluster(
    spec({ backends: [backend('a', '10.0.0.1', { weight: 1000 }), backend('b', '10.0.0.2', { weight: 7 })] }),
    config,
  );
  assert.deepEqual(
    endpoints(c).map((e) => e.load_balancing_weight),
    [1000, 7],
  );
});

test('endpoint order does not depend on the order of backends in the spec', () => {
  const list = [backend('a', '10.0.0.9'), backend('b', '10.0.0.1', { port: 9000 }), backend('c', '10.0.0.1')];
  const forward = flatCluster(spec({ backends: list }), config);
  const reversed = flatCluster(spec({ backends: [...list].reverse() }), config);
  assert.deepEqual(forward, reversed);
  assert.deepEqual(addresses(forward), ['10.0.0.1:8080', '10.0.0.1:9000', '10.0.0.9:8080']);
});

test('every algorithm maps to its lb_policy', () => {
  const expected: Record<Algorithm, string> = {
    round_robin: 'ROUND_ROBIN',
    least_request: 'LEAST_REQUEST',
    random: 'RANDOM',
    ring_hash: 'RING_HASH',
  };
  for (const algorithm of Object.keys(expected) as Algorithm[]) {
    assert.equal(flatCluster(spec({ algorithm }), config).lb_policy, expected[algorithm]);
    assert.equal(LB_POLICY[algorithm], expected[algorithm]);
  }
});

test('connect timeout, buffer limit and circuit breakers follow the spec and the agent config', () => {
  const c = flatCluster(spec({ timeouts: { connectSeconds: 12 } }), {
    ...config,
    envoy: { ...config.envoy, maxConnections: 1234 },
  });
  assert.equal(c.connect_timeout, '12s');
  assert.equal(c.per_connection_buffer_limit_bytes, 32768);
  assert.deepEqual(c.circuit_breakers, {
    thresholds: [
      {
        priority: 'DEFAULT',
        max_connections: 1234,
        max_pending_requests: 1234,
        max_requests: 1234,
        max_retries: 3,
      },
    ],
  });
});

const httpsCheck = {
  type: 'https',
  intervalSeconds: 10,
  timeoutSeconds: 2,
  unhealthyThreshold: 3,
  healthyThreshold: 2,
  path: '/status',
  expectedStatus: [200],
  headers: [],
} as const;

test('an https check on an http LB makes the whole cluster speak TLS to the backends', () => {
  const c = flatCluster(spec({ healthCheck: httpsCheck }), config);
  assert.equal(
    c.transport_socket?.typed_config['@type'],
    'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  );
  assert.equal(c.transport_socket_matches, undefined);
  assert.equal(c.health_checks?.[0]?.transport_socket_match_criteria, undefined);
});

test('an https check on a tcp LB uses TLS for health checks only, leaving passthrough traffic untouched', () => {
  const c = flatCluster(spec({ protocol: 'tcp', healthCheck: httpsCheck }), config);
  assert.equal(c.transport_socket, undefined);
  const match = c.transport_socket_matches?.[0];
  assert.ok(match !== undefined);
  assert.ok(Object.keys(match.match).length > 0, 'an empty match would also catch proxied traffic');
  assert.deepEqual(c.health_checks?.[0]?.transport_socket_match_criteria, match.match);
});

test('http and tcp checks use no TLS at all', () => {
  for (const type of ['http', 'tcp'] as const) {
    const c = flatCluster(spec({ healthCheck: { ...httpsCheck, type } }), config);
    assert.equal(c.transport_socket, undefined, type);
    assert.equal(c.transport_socket_matches, undefined, type);
  }
});

test('without a health check the cluster has none', () => {
  assert.equal(flatCluster(spec(), config).health_checks, undefined);
});
