// What a VPSie-form document becomes: listeners, virtual hosts, redirects, pools, certificates, checks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultAgentConfig } from '../../../src/config/defaults.ts';
import { renderEnvoyConfig } from '../../../src/envoy/build/render.ts';
import type { Cluster, RouteConfiguration } from '../../../src/envoy/types/index.ts';
import type { LoadBalancerModel } from '../../../src/model/types.ts';
import { schemaProblems } from '../../../src/pipeline.ts';
import { check, type Doc, model, vpsieDoc, withAt } from './vpsie-doc.ts';

const config = defaultAgentConfig();
const render = (m: LoadBalancerModel) => renderEnvoyConfig(m, config);
const route = (m: LoadBalancerModel, name: string): RouteConfiguration => {
  const r = render(m).routes.find((x) => x.name === name)?.document.resources[0];
  assert.ok(r, `no route configuration ${name}`);
  return r;
};
const cluster = (m: LoadBalancerModel, name: string): Cluster => {
  const c = render(m).staticBootstrap.static_resources.clusters.find((x) => x.name === name);
  assert.ok(c, `no cluster ${name}`);
  return c;
};

describe('VPSie form → model', () => {
  const m = model(check(vpsieDoc()));

  it('one listener per rule, named from the LB identifier and ruleId', () => {
    assert.deepEqual(
      m.listeners.map((l) => [l.name, l.kind, l.port]),
      [
        ['lb-lb-7|r-http', 'http', 80],
        ['lb-lb-7|r-https', 'https', 443],
        ['lb-lb-7|r-nfs', 'tcp', 2049],
      ],
    );
  });

  it('one pool per domain, tcp rule and default pool; backends get the pool port and weight 1', () => {
    assert.deepEqual(
      m.pools.map((p) => [p.name, p.backends.map((b) => `${b.id}@${b.address}:${b.port}/${b.weight}`)]),
      [
        ['lb-lb-7|r-http|d-www', ['vm1@10.0.0.1:8080/1']],
        ['lb-lb-7|r-http', ['vm9@10.0.0.9:8080/1']],
        ['lb-lb-7|r-https|d-shop', ['vm2@10.0.0.2:8443/1', 'vm3@10.0.0.3:8443/1']],
        ['lb-lb-7|r-https|d-api', ['vm4@10.0.0.4:8443/1']],
        ['lb-lb-7|r-nfs', ['nfs1@10.0.1.1:2049/1']],
      ],
    );
  });

  it('http: a virtual host per domain (with and without the port), a redirect for an https host flagged, then the default pool', () => {
    const rc = route(m, 'lb-lb-7|r-http');
    assert.deepEqual(
      rc.virtual_hosts.map((v) => [v.name, v.domains]),
      [
        ['domain|d-www', ['www.example.com', 'www.example.com:80']],
        ['redirect|shop.example.com', ['shop.example.com', 'shop.example.com:80']],
        ['default', ['*']],
      ],
    );
    const redirect = rc.virtual_hosts[1]?.routes[0];
    assert.ok(redirect !== undefined && 'redirect' in redirect);
    assert.deepEqual(redirect.redirect, {
      https_redirect: true,
      host_redirect: 'shop.example.com',
      response_code: 'MOVED_PERMANENTLY',
    });
    const fallback = rc.virtual_hosts[2]?.routes[0];
    assert.ok(fallback !== undefined && 'route' in fallback);
    assert.equal(fallback.route.cluster, 'lb-lb-7|r-http');
  });

  it('the redirect names the https port unless it is 443 (the lowest https/http2 port serving the host)', () => {
    let d = withAt(vpsieDoc(), 'rules[1].frontPort', 8443);
    d = withAt(d, 'rules[3]', {
      ruleId: 'r-h2',
      scheme: 'http2',
      frontPort: 9443,
      backPort: 1,
      domains: [{ domainId: 'd-shop', domainName: 'shop.example.com', backends: [] }],
    });
    const rc = route(model(check(d)), 'lb-lb-7|r-http');
    const r = rc.virtual_hosts.find((v) => v.name === 'redirect|shop.example.com')?.routes[0];
    assert.ok(r !== undefined && 'redirect' in r);
    assert.equal(r.redirect.port_redirect, 8443);
  });

  it("an http domain's own redirect flag redirects it to 443, and nothing is proxied for it", () => {
    const doc = withAt(vpsieDoc(), 'rules[0].domains[0].redirectHTTP', 1);
    const mm = model(check(doc));
    const rc = route(mm, 'lb-lb-7|r-http');
    assert.deepEqual(
      rc.virtual_hosts.map((v) => v.name),
      ['redirect|shop.example.com', 'redirect|www.example.com', 'default'],
    );
    assert.ok(!mm.pools.some((p) => p.name === 'lb-lb-7|r-http|d-www'));
  });

  it('a redirect flag with no http rule warns once and changes nothing', () => {
    const d = vpsieDoc();
    (d.rules as Doc[]).splice(0, 1);
    const r = check(d);
    assert.ok(r.ok);
    assert.equal(r.warnings.filter((w) => w.message.includes('redirectHTTP')).length, 1);
  });

  it('unmatched hosts get 404 when the rule has no default pool', () => {
    const rc = route(m, 'lb-lb-7|r-https');
    const last = rc.virtual_hosts.at(-1);
    assert.equal(last?.name, 'default');
    assert.deepEqual(
      last?.routes[0] && 'direct_response' in last.routes[0] ? last.routes[0].direct_response : undefined,
      { status: 404 },
    );
  });

  it('sticky domains turn the stateful session filter on with their cookie (path /, session cookie)', () => {
    const rc = route(m, 'lb-lb-7|r-https');
    const shop = rc.virtual_hosts.find((v) => v.name === 'domain|d-shop');
    assert.deepEqual(
      shop?.typed_per_filter_config?.['envoy.filters.http.stateful_session']?.stateful_session.session_state
        ?.typed_config.cookie,
      { name: 'SID', path: '/' },
    );
    const api = rc.virtual_hosts.find((v) => v.name === 'domain|d-api');
    assert.equal(api?.typed_per_filter_config, undefined);
  });

  it('certificates: one chain per domain by SNI, and the lowest domainId serves clients without a match', () => {
    const l = m.listeners[1];
    assert.deepEqual(l?.tlsChains, [
      { certificate: 'lb-lb-7|r-https|d-api|cert', serverNames: ['*.api.example.com'] },
      { certificate: 'lb-lb-7|r-https|d-shop|cert', serverNames: ['shop.example.com'] },
      { certificate: 'lb-lb-7|r-https|d-api|cert', serverNames: [] },
    ]);
    // Domains without a tls object use <cert_dir>/<domainId>.crt and .key.
    const api = m.certificates.find((c) => c.secretName === 'lb-lb-7|r-https|d-api|cert');
    assert.deepEqual(api?.tls.certificate, { kind: 'path', path: '/etc/vpsie-lb/certs/d-api.crt' });
    assert.deepEqual(api?.tls.alpn, ['http/1.1']);
    assert.equal(api?.path, 'rules[1].domains[1].tls');
    assert.equal(api?.label, '*.api.example.com');
  });

  it('http2 offers h2 by ALPN', () => {
    const d = withAt(vpsieDoc(), 'rules[1].scheme', 'http2');
    assert.deepEqual(model(check(d)).certificates[0]?.tls.alpn, ['h2', 'http/1.1']);
  });

  it('health checks: GET the path with the served host, 200-399, milliseconds; a wildcard checks its suffix', () => {
    let d = withAt(vpsieDoc(), 'checkInterval', 1000);
    d = withAt(d, 'fastInterval', 500);
    d = withAt(d, 'rules[1].domains[0].healthCheckPath', '/healthz');
    const mm = model(check(d));
    const hc = cluster(mm, 'lb-lb-7|r-https|d-shop').health_checks?.[0];
    assert.deepEqual(hc, {
      timeout: '0.5s',
      interval: '1s',
      no_traffic_interval: '1s',
      unhealthy_threshold: 3,
      healthy_threshold: 2,
      http_health_check: {
        path: '/healthz',
        host: 'shop.example.com',
        expected_statuses: [{ start: 200, end: 400 }],
      },
    });
    const api = cluster(mm, 'lb-lb-7|r-https|d-api').health_checks?.[0];
    assert.ok(api !== undefined && 'http_health_check' in api);
    assert.equal(api.http_health_check.host, 'api.example.com');
    const def = cluster(mm, 'lb-lb-7|r-http').health_checks?.[0];
    assert.ok(def !== undefined && 'http_health_check' in def);
    assert.equal(
      def.http_health_check.host,
      'www.example.com',
      "the default pool checks with the rule's first domain host",
    );
    const tcp = cluster(mm, 'lb-lb-7|r-nfs').health_checks?.[0];
    assert.ok(tcp !== undefined && 'tcp_health_check' in tcp);
  });

  it('backendScheme https: TLS to the backends (and the check), unverified', () => {
    const c = cluster(m, 'lb-lb-7|r-https|d-api');
    assert.equal(c.transport_socket?.name, 'envoy.transport_sockets.tls');
    assert.equal(cluster(m, 'lb-lb-7|r-https|d-shop').transport_socket, undefined);
  });

  it('algorithms: source hashes on the client address, leastconn is LEAST_REQUEST', () => {
    let d = withAt(vpsieDoc(), 'rules[1].domains[0].algorithm', 'source');
    d = withAt(d, 'algorithm', 'leastconn');
    const mm = model(check(d));
    assert.equal(cluster(mm, 'lb-lb-7|r-https|d-shop').lb_policy, 'RING_HASH');
    assert.equal(cluster(mm, 'lb-lb-7|r-nfs').lb_policy, 'LEAST_REQUEST');
    const shop = route(mm, 'lb-lb-7|r-https').virtual_hosts.find((v) => v.name === 'domain|d-shop')
      ?.routes[0];
    assert.ok(shop !== undefined && 'route' in shop);
    assert.deepEqual(shop.route.hash_policy, [{ connection_properties: { source_ip: true } }]);
  });

  it('the LB timeout is every pool connect timeout', () => {
    const mm = model(check(withAt(vpsieDoc(), 'timeout', 12)));
    assert.ok(mm.pools.every((p) => p.connectTimeoutSeconds === 12));
  });

  it('renders to configuration that passes the schema check, with a listener per rule', () => {
    const r = render(m);
    assert.deepEqual(schemaProblems(r), []);
    assert.equal(r.listeners.resources.length, 3);
    assert.equal(r.routes.length, 2);
    assert.equal(r.endpoints.length, 5);
  });

  it('a reconcile checks the packaging its strategy runs; render checks both', () => {
    const r = render(m);
    // A static bootstrap broken on purpose: only the checks that include static.json see it.
    const broken = {
      ...r,
      staticBootstrap: { ...r.staticBootstrap, admin: { address: 'nowhere' } },
    } as unknown as typeof r;
    const files = (packagings: 'runtime' | 'static' | 'both') => [
      ...new Set(schemaProblems(broken, packagings).map((p) => p.path.split(':')[0])),
    ];
    assert.deepEqual(files('runtime'), []);
    assert.deepEqual(files('static'), ['static.json']);
    assert.deepEqual(files('both'), ['static.json']);
  });

  it('informational fields change nothing rendered', () => {
    let d = withAt(vpsieDoc(), 'dc_name', 'Other');
    d = withAt(d, 'updated_at', '2030-01-01');
    d = withAt(d, 'rules[0].created_on', 'x');
    d = withAt(d, 'rules[1].domains[0].backends[0].created_on', 5);
    assert.equal(render(model(check(d))).hash, render(m).hash);
  });
});
