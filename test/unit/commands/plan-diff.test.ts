import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { diffValues, type PlanFile, planChanges } from '../../../src/commands/plan-diff.ts';
import { elide } from '../../../src/commands/plan-view.ts';

const LISTENER = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const SECRET = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

const discovery = (version: string, resources: object[]) => stringify({ version_info: version, resources });
const listener = (name: string, port: number, timeout = '300s') => ({
  '@type': LISTENER,
  name,
  address: { socket_address: { address: '0.0.0.0', port_value: port } },
  filter_chains: [{ filters: [{ name: 'hcm', typed_config: { request_timeout: timeout } }] }],
});
const cluster = (name: string, ports: number[]) => ({
  '@type': CLUSTER,
  name,
  load_assignment: {
    cluster_name: name,
    endpoints: [
      {
        lb_endpoints: ports.map((p) => ({
          endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: p } } },
        })),
      },
    ],
  },
});
const files = (o: {
  version: string;
  listeners: object[];
  clusters: object[];
  secrets?: object[];
  bootstrap?: object;
}): PlanFile[] => [
  {
    role: 'listeners',
    path: '/etc/envoy/dynamic/listeners.yaml',
    content: discovery(o.version, o.listeners),
  },
  { role: 'clusters', path: '/etc/envoy/dynamic/clusters.yaml', content: discovery(o.version, o.clusters) },
  ...(o.secrets
    ? [{ role: 'secrets', path: '/etc/envoy/dynamic/secrets.yaml', content: discovery(o.version, o.secrets) }]
    : []),
  {
    role: 'bootstrap',
    path: '/etc/envoy/bootstrap.yaml',
    content: stringify(o.bootstrap ?? { admin: { port: 9901 } }),
  },
];
const plan = (a: PlanFile[] | undefined, b: PlanFile[], strategy = 'dynamic') =>
  planChanges({ committed: a, next: b, strategy, drainTimeMs: 15_000 });

describe('plan: diff by resource', () => {
  it('endpoints diff by address:port, not by index, whatever the order', () => {
    const fields = diffValues(cluster('c', [1, 2]), cluster('c', [3, 1]));
    assert.deepEqual(
      fields.map((f) => [
        f.path,
        'before' in f && f.before !== undefined,
        'after' in f && f.after !== undefined,
      ]),
      [
        ['load_assignment.endpoints[0].lb_endpoints[10.0.0.1:2]', true, false],
        ['load_assignment.endpoints[0].lb_endpoints[10.0.0.1:3]', false, true],
      ],
    );
  });

  it('a backend change is a cluster change by file update; the version-only listener file is named so', () => {
    const p = plan(
      files({ version: 'a', listeners: [listener('l', 80)], clusters: [cluster('c', [1])] }),
      files({ version: 'b', listeners: [listener('l', 80)], clusters: [cluster('c', [2])] }),
    );
    assert.deepEqual(
      p.resources.map((r) => `${r.change} ${r.type} ${r.name}`),
      ['modified Cluster c'],
    );
    assert.equal(p.method.kind, 'file_update');
    assert.deepEqual(p.method.reasons, [
      'moves dynamic/listeners.yaml (version only: its resources are unchanged)',
      'moves dynamic/clusters.yaml',
    ]);
    assert.deepEqual(p.draining, []);
  });

  it('listeners: added ones do not drain, removed and replaced ones do, filter-chain-only changes are in place', () => {
    const p = plan(
      files({
        version: 'a',
        listeners: [listener('gone', 81), listener('moved', 82), listener('tuned', 83)],
        clusters: [],
      }),
      files({
        version: 'b',
        listeners: [listener('moved', 92), listener('tuned', 83, '17s'), listener('new', 84)],
        clusters: [],
      }),
    );
    assert.deepEqual(p.resources.map((r) => `${r.change} ${r.name}`).sort(), [
      'added new',
      'modified moved',
      'modified tuned',
      'removed gone',
    ]);
    assert.deepEqual(p.draining.map((d) => `${d.listener}: ${d.why}`).sort(), [
      'gone: removed: its connections drain for 15s, then close',
      'moved: replaced: its connections drain for 15s',
      'tuned: updated in place: connections on changed filter chains drain for 15s',
    ]);
  });

  it('a bootstrap change is a hot restart, and every listener drains in the old epoch', () => {
    const p = plan(
      files({
        version: 'a',
        listeners: [listener('l', 80)],
        clusters: [],
        bootstrap: { overload: { max: 1 } },
      }),
      files({
        version: 'b',
        listeners: [listener('l', 80)],
        clusters: [],
        bootstrap: { overload: { max: 2 } },
      }),
    );
    assert.deepEqual(p.bootstrap, [{ path: 'overload.max', before: 1, after: 2 }]);
    assert.equal(p.method.kind, 'hot_restart');
    assert.match(p.method.reasons[0]!, /the bootstrap changes \(1 field, above\)/);
    assert.deepEqual(
      p.draining.map((d) => d.listener),
      ['l'],
    );
  });

  it('with apply_strategy hot_restart any change restarts; nothing committed yet means a first start', () => {
    const a = files({ version: 'a', listeners: [], clusters: [cluster('c', [1])] });
    const b = files({ version: 'b', listeners: [], clusters: [cluster('c', [2])] });
    assert.equal(plan(a, b, 'hot_restart').method.kind, 'hot_restart');
    const first = plan(undefined, b);
    assert.equal(first.method.kind, 'start');
    assert.deepEqual(
      first.resources.map((r) => r.change),
      ['added'],
    );
  });

  it('secret fields are named without their values', () => {
    const s = (file: string) => ({
      '@type': SECRET,
      name: 's',
      tls_certificate: { private_key: { filename: file } },
    });
    const p = plan(
      files({ version: 'a', listeners: [], clusters: [], secrets: [s('/k/a.pem')] }),
      files({ version: 'b', listeners: [], clusters: [], secrets: [s('/k/b.pem')] }),
    );
    assert.deepEqual(p.resources[0]!.fields, [{ path: 'tls_certificate.private_key.filename' }]);
    assert.ok(!JSON.stringify(p).includes('/k/b.pem'));
  });

  it('no change at all is "none"', () => {
    const a = files({ version: 'a', listeners: [listener('l', 80)], clusters: [cluster('c', [1])] });
    assert.equal(plan(a, a).method.kind, 'none');
  });

  it('long field paths keep their first segment and their end within the width', () => {
    const path =
      'filter_chains[0].filters[envoy.filters.network.http_connection_manager].typed_config.request_timeout';
    const short = elide(path, 60);
    assert.ok(short.length <= 60, short);
    assert.match(short, /^filter_chains….*typed_config\.request_timeout$/);
    assert.equal(elide('a.b', 60), 'a.b');
  });
});
