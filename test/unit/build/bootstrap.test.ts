// Edge hardening an operator relies on, asserted directly (the golden files would only show a diff).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultAgentConfig } from '../../../src/config/defaults.ts';
import { renderFlat } from './fixtures.ts';
import { canonicalJson } from '../../../src/envoy/build/hash.ts';
import { spec } from './fixtures.ts';

const base = defaultAgentConfig();
const config = {
  ...base,
  envoy: {
    ...base.envoy,
    maxConnections: 1234,
    maxHeapBytes: 512 * 1024 * 1024,
    adminAddress: { host: '127.0.0.1', port: 19901 },
  },
};

for (const packaging of ['bootstrap', 'staticBootstrap'] as const) {
  test(`${packaging}: global connection limit and heap monitor from agent.yaml, admin where configured`, () => {
    const b = renderFlat(spec(), config)[packaging];
    const monitors = b.overload_manager?.resource_monitors ?? [];
    const global = monitors.find(
      (m) => m.name === 'envoy.resource_monitors.global_downstream_max_connections',
    );
    assert.deepEqual(global?.typed_config, {
      '@type':
        'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
      max_active_downstream_connections: 1234,
    });
    const heap = monitors.find((m) => m.name === 'envoy.resource_monitors.fixed_heap');
    assert.equal(
      (heap?.typed_config as { max_heap_size_bytes?: number } | undefined)?.max_heap_size_bytes,
      512 * 1024 * 1024,
    );
    const actions = (b.overload_manager?.actions ?? []).map((a) => a.name);
    assert.ok(actions.includes('envoy.overload_actions.stop_accepting_requests'), String(actions));
    // The deprecated runtime key must not be used for the limit.
    assert.ok(!canonicalJson(b).includes('overload.global_downstream_max_connections'));
    assert.deepEqual(b.admin?.address, { socket_address: { address: '127.0.0.1', port_value: 19901 } });
    assert.equal(b.node?.id, `vpsie-lb-${spec().id}`);
  });
}
