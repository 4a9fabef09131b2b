/** Hand-broken configs for proto3 JSON and PGV rules the shared fixtures do not cover. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getSchemaChecker } from '../../../src/envoy/schema/index.ts';
import { assertClean, assertProblem, bootstrap, C0, cluster, HCM, hcm } from './helpers.ts';

const checker = getSchemaChecker();
const boot = (doc: unknown) => checker.checkBootstrap(doc);

describe('baseline', () => {
  test('the base bootstrap is valid', () => assertClean(boot(bootstrap())));
  test('an unknown message type is a problem, not a crash', () => {
    assert.match(checker.check('envoy.config.Nope', {})[0]?.message ?? '', /unknown message type/);
  });
  test('a non-object document', () => assertProblem(boot('hello'), '', 'expected an object'));
  test('type names that are Object.prototype members are unknown, not crashes', () => {
    assert.match(checker.check('constructor', {})[0]?.message ?? '', /unknown message type/);
    const doc = bootstrap({ hcm: { '@type': 'type.googleapis.com/constructor' } });
    assertProblem(boot(doc), `${HCM}.@type`, 'unknown type');
    const proto = bootstrap({ hcm: { '@type': 'type.googleapis.com/toString' } });
    assertProblem(boot(proto), `${HCM}.@type`, 'unknown type');
  });
});

describe('field names', () => {
  test('lowerCamelCase json names are accepted', () => {
    assertClean(boot(bootstrap({ cluster: cluster({ connectTimeout: '2s', connect_timeout: undefined }) })));
    const doc = bootstrap({
      hcm: { ...hcm(), statPrefix: 'x', stat_prefix: undefined, useRemoteAddress: true },
    });
    assertClean(boot(doc));
  });
  test('the same field under both names is reported', () => {
    assertProblem(boot(bootstrap({ hcm: hcm({ statPrefix: 'y' }) })), `${HCM}.statPrefix`, 'set twice');
  });
  test('unknown fields suggest the closest name', () => {
    assertProblem(
      boot(bootstrap({ cluster: cluster({ conect_timeout: '1s' }) })),
      `${C0}.conect_timeout`,
      'did you mean "connect_timeout"',
    );
  });
  test('a oneof set through its json name still counts', () => {
    const c = cluster();
    const doc = bootstrap({ cluster: c });
    const sa = { address: '10.0.0.1', portValue: 1, named_port: 'x' };
    (c.load_assignment as { endpoints: { lb_endpoints: { endpoint: { address: unknown } }[] }[] })
      .endpoints[0]!.lb_endpoints[0]!.endpoint.address = { socket_address: sa };
    assertProblem(
      boot(doc),
      `${C0}.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.named_port`,
      'only one member of oneof "port_specifier"',
    );
  });
});

describe('integers', () => {
  const ring = (v: unknown) =>
    bootstrap({
      cluster: cluster({ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: v } }),
    });
  const at = `${C0}.ring_hash_lb_config.minimum_ring_size`;
  test('uint64 wrappers take numbers and numeric strings', () => {
    assertClean(boot(ring(1024)));
    assertClean(boot(ring('1024')));
  });
  test('uint64 PGV bound applies to the wrapped value', () =>
    assertProblem(boot(ring('8388609')), at, 'less than or equal to 8388608'));
  test('uint64 beyond 2^64 is out of range, exactly (no float rounding)', () => {
    assertProblem(boot(ring('18446744073709551616')), at, 'out of range');
  });
  test('wrapper types are plain scalars, not {value: …}', () =>
    assertProblem(boot(ring({ value: 5 })), at, 'expected an integer'));
  test('int64 takes negative numeric strings', () => {
    const doc = bootstrap({
      cluster: cluster({
        upstream_bind_config: {
          source_address: { address: '0.0.0.0', port_value: 0 },
          socket_options: [{ level: '-1', name: '6', int_value: '9007199254740993' }],
        },
      }),
    });
    assertClean(boot(doc));
  });
  test('uint32 numeric strings are accepted in range and rejected outside', () => {
    const port = (v: unknown) => {
      const c = cluster();
      const doc = bootstrap({ cluster: c });
      (
        c.load_assignment as {
          endpoints: {
            lb_endpoints: { endpoint: { address: { socket_address: { port_value: unknown } } } }[];
          }[];
        }
      ).endpoints[0]!.lb_endpoints[0]!.endpoint.address.socket_address.port_value = v;
      return boot(doc);
    };
    const p = `${C0}.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value`;
    assertClean(port('8080'));
    assertProblem(port('65536'), p, 'less than or equal to 65535');
    assertProblem(port('4294967296'), p, 'out of range');
    assertProblem(port(true), p, 'expected an integer, got a boolean');
    assertProblem(port(1e3 + 0.5), p, 'expected an integer');
  });
});

describe('PGV numeric and string rules', () => {
  test('double gte/lte range', () => {
    const doc = (r: unknown) =>
      bootstrap({ cluster: cluster({ preconnect_policy: { per_upstream_preconnect_ratio: r } }) });
    assertClean(boot(doc(1.5)));
    assertClean(boot(doc('2.5')));
    const p = `${C0}.preconnect_policy.per_upstream_preconnect_ratio`;
    assertProblem(boot(doc(0.5)), p, 'greater than or equal to 1 and less than or equal to 3');
    assertProblem(boot(doc(3.5)), p, 'less than or equal to 3');
  });
  test('string in', () => {
    const doc = bootstrap({ hcm: hcm({ scheme_header_transformation: { scheme_to_overwrite: 'gopher' } }) });
    assertProblem(
      boot(doc),
      `${HCM}.scheme_header_transformation.scheme_to_overwrite`,
      'must be one of ["http","https"]',
    );
  });
  test('string pattern', () => {
    const route = { match: { path_separated_prefix: '/api/' }, route: { cluster: 'backend' } };
    const h = hcm();
    (h.route_config as { virtual_hosts: { routes: unknown[] }[] }).virtual_hosts[0]!.routes = [route];
    assertProblem(
      boot(bootstrap({ hcm: h })),
      `${HCM}.route_config.virtual_hosts[0].routes[0].match.path_separated_prefix`,
      'does not match regex pattern',
    );
  });
  test('repeated max_items', () => {
    const headers = Array.from({ length: 1001 }, (_, i) => ({ header: { key: `x-h${i}`, value: 'v' } }));
    const h = hcm();
    (h.route_config as { virtual_hosts: Record<string, unknown>[] })
      .virtual_hosts[0]!.request_headers_to_add = headers;
    assertProblem(
      boot(bootstrap({ hcm: h })),
      `${HCM}.route_config.virtual_hosts[0].request_headers_to_add`,
      'no more than 1000 item(s)',
    );
  });
  test('repeated min_items on an absent field', () => {
    const h = hcm();
    (h.route_config as { virtual_hosts: Record<string, unknown>[] }).virtual_hosts[0]!.domains = [];
    assertProblem(
      boot(bootstrap({ hcm: h })),
      `${HCM}.route_config.virtual_hosts[0].domains`,
      'at least 1 item(s)',
    );
  });
  test('map key rules', () => {
    const doc = bootstrap({
      cluster: cluster({ metadata: { filter_metadata: { '': { a: 1 }, ok: { b: 2 } } } }),
    });
    assertProblem(
      boot(doc),
      `${C0}.metadata.filter_metadata.`,
      'map key value length must be at least 1 characters',
    );
  });
  test('map min_pairs', () => {
    const doc = checker.check('envoy.config.common.matcher.v3.Matcher.MatcherTree.MatchMap', { map: {} });
    assert.ok(doc.some((p) => p.path === 'map' && p.message.includes('at least 1 pair(s)')));
  });
  test('a map given a list', () => {
    assertProblem(
      boot(bootstrap({ cluster: cluster({ metadata: { filter_metadata: [] } }) })),
      `${C0}.metadata.filter_metadata`,
      'expected an object (map',
    );
  });
});

describe('enums, durations, nulls', () => {
  test('enums by number, lower case and numeric string', () => {
    assertClean(boot(bootstrap({ cluster: cluster({ lb_policy: 1 }) })));
    assertClean(boot(bootstrap({ cluster: cluster({ lb_policy: 'least_request' }) })));
    assertClean(boot(bootstrap({ cluster: cluster({ lb_policy: '3' }) })));
  });
  test('enum values disallowed by default', () => {
    const doc = bootstrap({
      extra: { dynamic_resources: { ads_config: { api_type: 'DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE' } } },
    });
    assertProblem(boot(doc), 'dynamic_resources.ads_config.api_type', 'disallowed by default');
  });
  test('fractional and nanosecond durations are fine; minutes are not', () => {
    assertClean(boot(bootstrap({ cluster: cluster({ connect_timeout: '0.000000001s' }) })));
    assertProblem(
      boot(bootstrap({ cluster: cluster({ connect_timeout: '1m' }) })),
      `${C0}.connect_timeout`,
      'invalid duration',
    );
    assertProblem(
      boot(bootstrap({ cluster: cluster({ connect_timeout: '1.0000000001s' }) })),
      `${C0}.connect_timeout`,
      'invalid duration',
    );
  });
  test('null means "not set"', () => {
    assertClean(boot(bootstrap({ cluster: cluster({ lb_policy: null }) })));
    assertProblem(
      boot(bootstrap({ hcm: hcm({ stat_prefix: null }) })),
      `${HCM}.stat_prefix`,
      'required field',
    );
  });
  test('null inside a list is not allowed', () => {
    const h = hcm();
    (h.route_config as { virtual_hosts: Record<string, unknown>[] }).virtual_hosts[0]!.domains = ['a', null];
    assertProblem(
      boot(bootstrap({ hcm: h })),
      `${HCM}.route_config.virtual_hosts[0].domains[1]`,
      'null is not allowed',
    );
  });
  test('a lone value for a repeated field counts as a one-item list', () => {
    const h = hcm();
    (h.route_config as { virtual_hosts: Record<string, unknown>[] }).virtual_hosts[0]!.domains = '*';
    assertClean(boot(bootstrap({ hcm: h })));
  });
});

describe('Any', () => {
  const accessLog = (typed: unknown) => hcm({ access_log: [{ name: 'log', typed_config: typed }] });
  test('well-known types inside Any carry "value"', () => {
    const h = hcm();
    (h.route_config as Record<string, unknown>).typed_per_filter_config = {
      x: { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '1s' },
    };
    assertClean(boot(bootstrap({ hcm: h })));
  });
  test('an access logger must be an access logger type', () => {
    const doc = bootstrap({ hcm: accessLog({ '@type': ROUTER }) });
    assertProblem(boot(doc), `${HCM}.access_log[0].typed_config.@type`, 'is not a access logger type');
  });
  test('TypedStruct contents are checked as the named type', () => {
    const ts = {
      '@type': 'type.googleapis.com/xds.type.v3.TypedStruct',
      type_url: 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
      value: { bogus: 1 },
    };
    assertProblem(
      boot(bootstrap({ hcm: accessLog(ts) })),
      `${HCM}.access_log[0].typed_config.value.bogus`,
      'unknown field',
    );
  });
});

const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
