/** Load-time rules over whole documents that the fixture mutants do not exercise. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { getSchemaChecker } from '../../../src/envoy/schema/index.ts';
import { assertClean, assertProblem, bootstrap, C0, cluster, HCM, hcm, L0 } from './helpers.ts';

const checker = getSchemaChecker();
const boot = (doc: unknown, opts = {}) => checker.checkBootstrap(doc, opts);
type Json = Record<string, unknown>;

const routeTo = (name: string): Json => {
  const h = hcm();
  (h.route_config as { virtual_hosts: { routes: Json[] }[] }).virtual_hosts[0]!.routes = [
    { match: { prefix: '/' }, route: { cluster: name } },
  ];
  return h;
};
const xdsNode = { node: { id: 'n1', cluster: 'c1' } };
const ads = (clusterName: string): Json => ({
  ads_config: {
    api_type: 'GRPC',
    transport_api_version: 'V3',
    grpc_services: [{ envoy_grpc: { cluster_name: clusterName } }],
  },
});

describe('cluster references', () => {
  test('with CDS, routes may name clusters that are not static', () => {
    const doc = bootstrap({
      hcm: routeTo('from-cds'),
      extra: {
        ...xdsNode,
        dynamic_resources: { ...ads('backend'), cds_config: { ads: {}, resource_api_version: 'V3' } },
      },
    });
    assertClean(boot(doc));
  });
  test('without CDS they may not', () => {
    assertProblem(
      boot(bootstrap({ hcm: routeTo('nope') })),
      `${HCM}.route_config.virtual_hosts[0].routes[0].route.cluster`,
      'not defined',
    );
  });
  test('validate_clusters: false opts a route table out', () => {
    const h = routeTo('nope');
    (h.route_config as Json).validate_clusters = false;
    assertClean(boot(bootstrap({ hcm: h })));
  });
  test('the ADS cluster must be static even when CDS is on', () => {
    const doc = bootstrap({
      extra: {
        ...xdsNode,
        dynamic_resources: { ...ads('xds'), cds_config: { ads: {}, resource_api_version: 'V3' } },
      },
    });
    assertProblem(
      boot(doc),
      'dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name',
      'not defined in static_resources.clusters',
    );
  });
  test('and must not be EDS', () => {
    const eds = cluster({
      name: 'xds',
      type: 'EDS',
      eds_cluster_config: { eds_config: { ads: {} } },
      load_assignment: undefined,
    });
    const doc = bootstrap({ extra: { ...xdsNode, dynamic_resources: ads('xds') } });
    (doc.static_resources as { clusters: Json[] }).clusters.push(eds);
    assertProblem(
      boot(doc),
      'dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name',
      'EDS cluster',
    );
  });
  test('LDS/CDS need node id and cluster', () => {
    const doc = bootstrap({
      extra: {
        dynamic_resources: { ...ads('backend'), lds_config: { ads: {}, resource_api_version: 'V3' } },
      },
    });
    assertProblem(boot(doc), 'node', "node 'id' and 'cluster' are required");
  });
  test('weighted clusters are checked one by one', () => {
    const h = hcm();
    (h.route_config as { virtual_hosts: { routes: Json[] }[] }).virtual_hosts[0]!.routes = [
      {
        match: { prefix: '/' },
        route: {
          weighted_clusters: {
            clusters: [
              { name: 'backend', weight: 1 },
              { name: 'ghost', weight: 1 },
            ],
          },
        },
      },
    ];
    assertProblem(
      boot(bootstrap({ hcm: h })),
      `${HCM}.route_config.virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].name`,
      'not defined',
    );
  });
});

describe('listeners and filters', () => {
  test('a non-terminal filter last in the HTTP chain', () => {
    const h = hcm({
      http_filters: [
        {
          name: 'cors',
          typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' },
        },
      ],
    });
    assertProblem(boot(bootstrap({ hcm: h })), `${HCM}.http_filters[0]`, 'is the last filter');
  });
  test('upstream HTTP filters must end with the upstream codec', () => {
    const codec = {
      name: 'codec',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec',
      },
    };
    const cors = {
      name: 'cors',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' },
    };
    const withUpstream = (list: unknown[]) =>
      bootstrap({
        hcm: hcm({
          http_filters: [
            {
              name: 'router',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                upstream_http_filters: list,
              },
            },
          ],
        }),
      });
    assertClean(boot(withUpstream([cors, codec])));
    assertProblem(
      boot(withUpstream([codec, cors])),
      `${HCM}.http_filters[0].typed_config.upstream_http_filters[0]`,
      'must be the last filter',
    );
  });
  test('a UDP listener needs no filter chains; port 0 listeners never collide', () => {
    const doc = bootstrap();
    const listeners = (doc.static_resources as { listeners: Json[] }).listeners;
    listeners.push({
      name: 'udp',
      address: { socket_address: { protocol: 'UDP', address: '0.0.0.0', port_value: 53 } },
      listener_filters: [
        {
          name: 'udp_proxy',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig',
            stat_prefix: 'dns',
            matcher: {
              on_no_match: {
                action: {
                  name: 'route',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.udp.udp_proxy.v3.Route',
                    cluster: 'backend',
                  },
                },
              },
            },
          },
        },
      ],
    });
    listeners.push({
      ...listeners[0],
      name: 'eph1',
      address: { socket_address: { address: '0.0.0.0', port_value: 0 } },
    });
    listeners.push({
      ...listeners[0],
      name: 'eph2',
      address: { socket_address: { address: '0.0.0.0', port_value: 0 } },
    });
    assertClean(boot(doc));
  });
  test('the same port over TCP and UDP is not the same address', () => {
    const doc = bootstrap();
    const listeners = (doc.static_resources as { listeners: Json[] }).listeners;
    listeners.push({
      name: 'quic',
      address: { socket_address: { protocol: 'UDP', address: '0.0.0.0', port_value: 8080 } },
      udp_listener_config: {},
    });
    assertClean(boot(doc));
  });
  test('an IPv6 listener address is an IP literal', () => {
    const doc = bootstrap();
    ((doc.static_resources as { listeners: Json[] }).listeners[0]!.address as Json).socket_address = {
      address: '::',
      port_value: 80,
      ipv4_compat: true,
    };
    assertClean(boot(doc));
  });
  test('a listener filter of the wrong family', () => {
    const doc = bootstrap();
    (doc.static_resources as { listeners: Json[] }).listeners[0]!.listener_filters = [
      {
        name: 'x',
        typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
      },
    ];
    assertProblem(boot(doc), `${L0}.listener_filters[0].typed_config.@type`, 'is not a listener filter type');
  });
  test('a network filter of the HTTP family', () => {
    const doc = bootstrap({
      hcm: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
    });
    assertProblem(boot(doc), `${HCM}.@type`, 'is not a network filter type');
  });
});

describe('clusters, secrets, regex, files', () => {
  test('LOGICAL_DNS with one locality of two hosts', () => {
    const c = cluster({ type: 'LOGICAL_DNS' });
    const eps = (c.load_assignment as { endpoints: { lb_endpoints: unknown[] }[] }).endpoints[0]!
      .lb_endpoints;
    eps.push(eps[0]);
    assertProblem(
      boot(bootstrap({ cluster: c })),
      `${C0}.load_assignment.endpoints[0].lb_endpoints`,
      'LOGICAL_DNS',
    );
  });
  test('cluster rules see enum values however they are spelled', () => {
    const c = cluster({ type: 'logical_dns' });
    const eps = (c.load_assignment as { endpoints: unknown[] }).endpoints;
    eps.push(eps[0]);
    assertProblem(boot(bootstrap({ cluster: c })), `${C0}.load_assignment.endpoints`, 'LOGICAL_DNS');
    assertProblem(
      boot(bootstrap({ cluster: cluster({ type: 4, load_assignment: undefined }) })),
      `${C0}.lb_policy`,
      'ORIGINAL_DST',
    );
  });
  test('ORIGINAL_DST with CLUSTER_PROVIDED and no endpoints is fine', () => {
    assertClean(
      boot(
        bootstrap({
          cluster: cluster({
            type: 'ORIGINAL_DST',
            lb_policy: 'CLUSTER_PROVIDED',
            load_assignment: undefined,
          }),
        }),
      ),
    );
  });
  test('a defined static secret is found', () => {
    const doc = bootstrap();
    const sr = doc.static_resources as { listeners: Json[]; secrets?: Json[] };
    sr.secrets = [
      {
        name: 'cert',
        tls_certificate: { certificate_chain: { inline_string: 'x' }, private_key: { inline_string: 'y' } },
      },
    ];
    (sr.listeners[0]!.filter_chains as Json[])[0]!.transport_socket = {
      name: 'tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
        common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'cert' }] },
      },
    };
    assertClean(boot(doc));
  });
  test('RE2 rejects lookaheads and backreferences that JS would accept', () => {
    const regexRoute = (regex: string) => {
      const h = hcm();
      (h.route_config as { virtual_hosts: { routes: Json[] }[] }).virtual_hosts[0]!.routes = [
        { match: { safe_regex: { regex } }, route: { cluster: 'backend' } },
      ];
      return boot(bootstrap({ hcm: h }));
    };
    const at = `${HCM}.route_config.virtual_hosts[0].routes[0].match.safe_regex.regex`;
    assertProblem(regexRoute('^/(?!admin)'), at, 'invalid RE2 regex');
    assertProblem(regexRoute('^(a)\\1$'), at, 'invalid RE2 regex');
    assertClean(regexRoute('^/api/(?P<v>v[0-9]+)/\\Q.x\\E(?i:Users)$'));
  });
  test('checkFiles: an existing file relative to baseDir passes, a missing one does not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schema-'));
    writeFileSync(join(dir, 'cds.yaml'), 'resources: []\n');
    const fileCds = (p: string) => ({
      ...xdsNode,
      dynamic_resources: { cds_config: { resource_api_version: 'V3', path_config_source: { path: p } } },
    });
    assertClean(boot(bootstrap({ extra: fileCds('cds.yaml') }), { checkFiles: true, baseDir: dir }));
    assertClean(boot(bootstrap({ extra: fileCds('missing.yaml') })));
    assertProblem(
      boot(bootstrap({ extra: fileCds('missing.yaml') }), { checkFiles: true, baseDir: dir }),
      'dynamic_resources.cds_config.path_config_source.path',
      'does not exist',
    );
  });
});

describe('DiscoveryResponse', () => {
  const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
  test('resources wrapped in envoy.service.discovery.v3.Resource are unwrapped', () => {
    const dr = {
      type_url: CLUSTER,
      resources: [
        {
          '@type': 'type.googleapis.com/envoy.service.discovery.v3.Resource',
          name: 'b',
          resource: { '@type': CLUSTER, ...cluster() },
        },
      ],
    };
    assertClean(checker.checkDiscoveryResponse(dr));
  });
  test('duplicate cluster names in one response', () => {
    const dr = {
      resources: [
        { '@type': CLUSTER, ...cluster() },
        { '@type': CLUSTER, ...cluster() },
      ],
    };
    assertProblem(checker.checkDiscoveryResponse(dr), 'resources[1].name', 'duplicate cluster name');
  });
  test('added header values are formatter strings: a lone "%" is refused, "%%" and %COMMAND% are not', () => {
    const withHeader = (value: string): Json => ({
      resources: [
        {
          '@type': CLUSTER,
          ...cluster({
            health_checks: [
              {
                timeout: '1s',
                interval: '2s',
                unhealthy_threshold: 1,
                healthy_threshold: 1,
                http_health_check: { path: '/', request_headers_to_add: [{ header: { key: 'x', value } }] },
              },
            ],
          }),
        },
      ],
    });
    for (const ok of ['plain', '100%%', '%START_TIME%', '%REQ(x-id)%', '%REQ(x):10%']) {
      assertClean(checker.checkDiscoveryResponse(withHeader(ok)));
    }
    for (const bad of ['100%', '%>iy_S', 'a % b']) {
      assertProblem(
        checker.checkDiscoveryResponse(withHeader(bad)),
        'resources[0].health_checks[0].http_health_check.request_headers_to_add[0].header.value',
        'starts no formatter command',
      );
    }
  });
  test('an SDS response holds one secret (real Envoy: "Unexpected SDS secrets length … Expected sum is 1")', () => {
    const secret = (name: string): Json => ({
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
      name,
      validation_context: { trusted_ca: { filename: '/etc/ca.pem' } },
    });
    assertClean(checker.checkDiscoveryResponse({ resources: [secret('a')] }));
    const problems = checker.checkDiscoveryResponse({ resources: [secret('a'), secret('b')] });
    assertProblem(problems, 'resources[1]', 'exactly one secret');
  });
  test('cluster references inside an LDS response are not resolved (no bootstrap at hand)', () => {
    const l = {
      '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
      ...(bootstrap({ hcm: routeTo('elsewhere') }).static_resources as { listeners: Json[] }).listeners[0],
    };
    assertClean(checker.checkDiscoveryResponse({ resources: [l] }));
  });
  test('check() with the type name is the same as the shortcut', () => {
    const dr = { resources: [{ '@type': CLUSTER, ...cluster({ name: '' }) }] };
    assert.deepEqual(
      checker.check('envoy.service.discovery.v3.DiscoveryResponse', dr),
      checker.checkDiscoveryResponse(dr),
    );
    assert.equal(checker.checkDiscoveryResponse(dr)[0]?.path, 'resources[0].name');
  });
});
