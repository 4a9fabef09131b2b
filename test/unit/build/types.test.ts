// The Envoy types reject what Envoy would reject at load time. The `@ts-expect-error` lines are the assertions:
// `tsc --noEmit` (part of `npm test`) fails if any of them stops being an error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seconds } from '../../../src/envoy/build/duration.ts';
import type { Cluster, Duration, FilterChain, ListenerResource } from '../../../src/envoy/types/index.ts';
import { TYPE_URL } from '../../../src/envoy/types/index.ts';

test('misspelt fields, wrong @type URLs, bad durations and filter order fail to compile', () => {
  const ok: Duration = '5s';
  // @ts-expect-error durations are seconds with an `s`
  const ms: Duration = '500ms';
  const cluster: Cluster = {
    name: 'c',
    type: 'STATIC',
    connect_timeout: ok,
    lb_policy: 'ROUND_ROBIN',
    load_assignment: { cluster_name: 'c', endpoints: [] },
    // @ts-expect-error misspelt field name
    per_connection_buffer_limit: 1,
  };
  const wrongType: ListenerResource = {
    // @ts-expect-error a listener resource carries the Listener type URL
    '@type': TYPE_URL.cluster,
    name: 'l',
    address: { socket_address: { address: '0.0.0.0', port_value: 80 } },
    filter_chains: [],
  };
  const limitLast: FilterChain = {
    // @ts-expect-error the terminal filter must be last
    filters: [
      {
        name: 'envoy.filters.network.tcp_proxy',
        typed_config: { '@type': TYPE_URL.tcpProxy, stat_prefix: 's', cluster: 'c' },
      },
      {
        name: 'envoy.filters.network.connection_limit',
        typed_config: { '@type': TYPE_URL.connectionLimit, stat_prefix: 's', max_connections: 1 },
      },
    ],
  };
  assert.ok(ms && cluster && wrongType && limitLast);
});

test('seconds() writes Envoy durations and refuses what is not one', () => {
  assert.equal(seconds(0), '0s');
  assert.equal(seconds(300), '300s');
  assert.equal(seconds(0.25), '0.25s');
  assert.throws(() => seconds(-1));
  assert.throws(() => seconds(Number.NaN));
});
