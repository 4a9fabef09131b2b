import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { defaultAgentConfig } from '../../../src/config/defaults.ts';
import { renderedFiles } from '../../../src/envoy/build/files.ts';
import { canonicalJson, configHash, inlineCertPath, toYaml } from '../../../src/envoy/build/render.ts';
import { specContextFromConfig } from '../../../src/spec/context.ts';
import type { LoadBalancerSpec } from '../../../src/spec/types.ts';
import { validateSpec } from '../../../src/spec/validate.ts';
import { backend, CERT_PEM, KEY_PEM, renderFlat, spec, tls } from './fixtures.ts';

const config = defaultAgentConfig();

/** Everything Envoy will read, as text. */
const envoyText = (s: LoadBalancerSpec): string => {
  const r = renderFlat(s, config);
  return [r.bootstrap, r.listeners, r.clusters, r.secrets ?? {}, r.staticBootstrap].map(toYaml).join('\n');
};

test('the hash is 64 hex digits; each file version_info is the digest of its own resources', () => {
  const r = renderFlat(spec({ protocol: 'https', tls: tls() }), config);
  assert.match(r.hash, /^[0-9a-f]{64}$/);
  const docs = [
    r.listeners,
    r.clusters,
    ...r.secrets.map((x) => x.document),
    ...r.routes.map((x) => x.document),
    ...r.endpoints.map((x) => x.document),
  ];
  for (const d of docs) assert.match(d?.version_info ?? '', /^[0-9a-f]{64}$/);
  assert.equal(
    new Set(docs.map((d) => d?.version_info)).size,
    docs.length,
    'different resources, different versions',
  );
  // A change to the backends changes the endpoints version only.
  const other = renderFlat(
    spec({ protocol: 'https', tls: tls(), backends: [backend('a', '10.0.0.9')] }),
    config,
  );
  assert.equal(other.listeners.version_info, r.listeners.version_info);
  assert.equal(other.clusters.version_info, r.clusters.version_info);
  assert.equal(other.routes[0]?.document.version_info, r.routes[0]?.document.version_info);
  assert.notEqual(other.endpoints[0]?.document.version_info, r.endpoints[0]?.document.version_info);
  assert.notEqual(other.hash, r.hash);
});

test('informational fields (created/updated, backend status) change neither the hash nor the output', () => {
  const base = spec();
  const noisy = spec({
    createdAt: '2024-01-01T00:00:00Z',
    updatedAt: '2024-06-01T12:00:00Z',
    backends: base.backends.map((b, i) => ({ ...b, status: i === 0 ? 'down' : 'up' })),
  });
  assert.equal(renderFlat(noisy, config).hash, renderFlat(base, config).hash);
  assert.equal(envoyText(noisy), envoyText(base));
});

test('a changed weight, port, algorithm or agent limit changes the hash', () => {
  const base = renderFlat(spec(), config).hash;
  const variants: LoadBalancerSpec[] = [
    spec({ backends: [backend('a', '10.0.0.1', { weight: 2 }), backend('b', '10.0.0.2')] }),
    spec({ port: 81 }),
    spec({ algorithm: 'least_request' }),
    spec({ maxConnections: 10 }),
  ];
  const hashes = new Set([base, ...variants.map((s) => renderFlat(s, config).hash)]);
  assert.equal(hashes.size, variants.length + 1);
  const otherLimit = renderFlat(spec(), { ...config, envoy: { ...config.envoy, maxConnections: 10 } });
  assert.notEqual(otherLimit.hash, base);
});

/** Recursively reverses the key order of every object. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reverseKeys(v)]),
    );
  }
  return value;
}

test('key order of the input document (health-check headers included) does not change the hash', () => {
  const body = {
    id: 'web',
    name: 'web',
    protocol: 'http',
    port: 8080,
    algorithm: 'ring_hash',
    updated_at: '2024-01-01T00:00:00Z',
    backends: [
      { id: 'a', address: '10.1.0.1', port: 80, weight: 3, status: 'up' },
      { id: 'b', address: 'app.example.com', port: 80, enabled: false },
    ],
    health_check: {
      type: 'http',
      interval: 10,
      timeout: 2,
      unhealthy_threshold: 2,
      healthy_threshold: 2,
      path: '/h',
      expected_status: [200, 204],
      headers: { 'X-A': '1', 'X-B': '2', Host: 'h.example.com' },
    },
    timeouts: { connect: 3, idle: 0, request: 20 },
  };
  const ctx = specContextFromConfig(config, (p) => posix.normalize(p));
  const a = validateSpec(body, ctx);
  const b = validateSpec(reverseKeys(body), ctx);
  assert.ok(a.ok && b.ok);
  assert.equal(renderFlat(a.value, config).hash, renderFlat(b.value, config).hash);
});

test('canonical JSON sorts keys at every level and keeps array order', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: null } }),
    '{"a":{"c":null,"d":[3,{"e":2,"f":1}]},"b":1}',
  );
  assert.equal(canonicalJson({ x: undefined, y: 'z' }), '{"y":"z"}');
});

test('configHash depends on content, not on key order', () => {
  const r = renderFlat(spec(), config);
  const content = {
    bootstrap: r.bootstrap,
    listeners: r.listeners.resources,
    clusters: r.clusters.resources,
    secrets: [],
    staticBootstrap: r.staticBootstrap,
  };
  const shuffled = reverseKeys(content) as typeof content;
  assert.equal(configHash(shuffled), configHash(content));
});

test('runtime layout: bootstrap reads LDS/CDS from files in the watched config directory', () => {
  const r = renderFlat(spec(), {
    ...config,
    envoy: { ...config.envoy, configPath: '/run/envoy/xds' },
  });
  assert.deepEqual(r.bootstrap.dynamic_resources, {
    lds_config: {
      resource_api_version: 'V3',
      path_config_source: {
        path: '/run/envoy/xds/listeners.yaml',
        watched_directory: { path: '/run/envoy/xds' },
      },
    },
    cds_config: {
      resource_api_version: 'V3',
      path_config_source: {
        path: '/run/envoy/xds/clusters.yaml',
        watched_directory: { path: '/run/envoy/xds' },
      },
    },
  });
  assert.equal(r.paths.bootstrap, '/run/envoy/bootstrap.yaml');
  assert.deepEqual(r.secrets, []);
  assert.ok(!('static_resources' in r.bootstrap));
  assert.deepEqual(r.bootstrap.node, { id: 'vpsie-lb-lb1', cluster: 'vpsie-lb' });
});

test('both packagings carry the same resources: static inlines the routes and endpoints the runtime files carry', () => {
  const r = renderFlat(spec(), config);
  const strip = <T extends { '@type': string }>({ '@type': _, ...rest }: T) => rest;
  const hcm = (l: { filter_chains: readonly { filters: readonly unknown[] }[] }) =>
    (
      (l.filter_chains[0]?.filters ?? []).at(-1) as {
        typed_config: { route_config?: unknown; rds?: unknown };
      }
    ).typed_config;
  const staticListener = r.staticBootstrap.static_resources.listeners[0];
  const runtimeListener = r.listeners.resources[0];
  assert.ok(staticListener !== undefined && runtimeListener !== undefined);
  assert.deepEqual(
    hcm(staticListener).route_config,
    strip(r.routes[0]?.document.resources[0] ?? { '@type': '' }),
  );
  assert.ok(hcm(runtimeListener).rds !== undefined && hcm(runtimeListener).route_config === undefined);
  const staticCluster = r.staticBootstrap.static_resources.clusters[0];
  assert.equal(staticCluster?.type, 'STATIC');
  assert.equal(r.clusters.resources[0]?.type, 'EDS');
  assert.deepEqual(
    staticCluster?.load_assignment,
    strip(r.endpoints[0]?.document.resources[0] ?? { '@type': '' }),
  );
  assert.ok(!('@type' in (r.staticBootstrap.static_resources.listeners[0] ?? {})));
  assert.deepEqual(r.staticBootstrap.node, r.bootstrap.node);
  assert.deepEqual(r.staticBootstrap.admin, r.bootstrap.admin);
  assert.deepEqual(r.staticBootstrap.overload_manager, r.bootstrap.overload_manager);
});

test('https: runtime listeners fetch certificates by file SDS; static ones name static secrets', () => {
  const r = renderFlat(
    spec({ protocol: 'https', tls: tls({ ca: { kind: 'path', path: '/etc/vpsie-lb/certs/ca/ca.pem' } }) }),
    config,
  );
  const runtimeCtx =
    r.listeners.resources[0]?.filter_chains[0]?.transport_socket?.typed_config.common_tls_context;
  // One file per secret: Envoy's SDS rejects a response that holds more than one.
  const sdsConfig = (file: string) => ({
    resource_api_version: 'V3',
    path_config_source: {
      path: `/etc/envoy/dynamic/secrets/${file}`,
      watched_directory: { path: '/etc/envoy/dynamic/secrets' },
    },
  });
  assert.deepEqual(runtimeCtx?.tls_certificate_sds_secret_configs, [
    { name: 'lb-lb1-cert', sds_config: sdsConfig('lb-lb1-cert.yaml') },
  ]);
  assert.deepEqual(runtimeCtx?.validation_context_sds_secret_config, {
    name: 'lb-lb1-ca',
    sds_config: sdsConfig('lb-lb1-ca.yaml'),
  });
  const staticCtx =
    r.staticBootstrap.static_resources.listeners[0]?.filter_chains[0]?.transport_socket?.typed_config
      .common_tls_context;
  assert.deepEqual(staticCtx?.tls_certificate_sds_secret_configs, [{ name: 'lb-lb1-cert' }]);
  assert.deepEqual(staticCtx?.validation_context_sds_secret_config, { name: 'lb-lb1-ca' });

  const secrets = [
    {
      name: 'lb-lb1-cert',
      tls_certificate: {
        certificate_chain: { filename: '/etc/vpsie-lb/certs/site/tls.crt' },
        private_key: { filename: '/etc/vpsie-lb/certs/site/tls.key' },
        watched_directory: { path: '/etc/vpsie-lb/certs/site' },
      },
    },
    {
      name: 'lb-lb1-ca',
      validation_context: {
        trusted_ca: { filename: '/etc/vpsie-lb/certs/ca/ca.pem' },
        watched_directory: { path: '/etc/vpsie-lb/certs/ca' },
      },
    },
  ];
  assert.deepEqual(r.staticBootstrap.static_resources.secrets, secrets);
  const typed = secrets.map((s) => ({
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
    ...s,
  }));
  // One file per secret: Envoy's SDS takes exactly one secret per response.
  assert.deepEqual(
    r.secrets.map((f) => [f.path, f.document.resources]),
    [
      ['/etc/envoy/dynamic/secrets/lb-lb1-cert.yaml', typed.slice(0, 1)],
      ['/etc/envoy/dynamic/secrets/lb-lb1-ca.yaml', typed.slice(1)],
    ],
  );
  assert.deepEqual(r.files.inline, []);
});

test('certificate and key in different directories: no single watched directory is claimed', () => {
  const r = renderFlat(
    spec({
      protocol: 'https',
      tls: tls({ privateKey: { kind: 'path', path: '/etc/vpsie-lb/certs/keys/k.pem' } }),
    }),
    config,
  );
  const secret = r.staticBootstrap.static_resources.secrets?.[0];
  assert.ok(secret !== undefined && 'tls_certificate' in secret);
  assert.equal(secret.tls_certificate.watched_directory, undefined);
});

test('inline PEM goes to content-named files in the cert directory; the key never appears in Envoy config', () => {
  const s = spec({
    protocol: 'https',
    tls: tls({
      certificate: { kind: 'inline', pem: CERT_PEM },
      privateKey: { kind: 'inline', pem: KEY_PEM },
      ca: { kind: 'inline', pem: CERT_PEM },
    }),
  });
  const r = renderFlat(s, { ...config, tls: { certDir: '/srv/certs' } });
  const byRole = new Map(r.files.inline.map((f) => [f.role, f]));
  const key = byRole.get('privateKey');
  const cert = byRole.get('certificate');
  const ca = byRole.get('ca');
  assert.ok(key && cert && ca);
  assert.match(key.path, /^\/srv\/certs\/inline-[0-9a-f]{16}\.key\.pem$/);
  assert.match(cert.path, /^\/srv\/certs\/inline-[0-9a-f]{16}\.crt\.pem$/);
  assert.match(ca.path, /^\/srv\/certs\/inline-[0-9a-f]{16}\.ca\.pem$/);
  assert.equal(key.mode, 0o600);
  assert.equal(cert.mode, 0o644);
  assert.equal(ca.mode, 0o644);
  assert.equal(key.pem.reveal(), KEY_PEM);
  assert.equal(key.path, inlineCertPath('/srv/certs', 'privateKey', KEY_PEM));
  assert.equal(inlineCertPath('/srv/certs', 'privateKey', `${KEY_PEM}\n`) === key.path, false);

  const text = [r.bootstrap, r.listeners, r.clusters, r.secrets ?? {}, r.staticBootstrap]
    .map(toYaml)
    .join('\n');
  assert.ok(!text.includes('VEhJUy1JUy1USEUtS0VZ'), 'key material inside Envoy config');
  assert.ok(text.includes(key.path));
  // A logged or serialised result does not show the key either.
  assert.ok(!JSON.stringify(r).includes('VEhJUy1JUy1USEUtS0VZ'));
  // Same content, same paths: no churn between polls.
  assert.equal(renderFlat(s, { ...config, tls: { certDir: '/srv/certs' } }).hash, r.hash);
});

test('toYaml quotes strings so Envoy cannot read them as booleans or numbers', () => {
  const doc = { name: 'on', id: '123', flag: true, port: 80, t: '5s' };
  const text = toYaml(doc);
  assert.deepEqual(parse(text), doc);
  assert.match(text, /name: "on"/);
  assert.match(text, /id: "123"/);
  assert.match(text, /port: 80\n/);
});

test('renderedFiles lists what the applier writes, referenced files before their referrers', () => {
  const r = renderFlat(
    spec({ protocol: 'https', tls: tls({ privateKey: { kind: 'inline', pem: KEY_PEM } }) }),
    config,
  );
  const files = renderedFiles(r);
  assert.deepEqual(
    files.map((f) => [f.role, f.path, f.mode]),
    [
      ['certificate', inlineCertPath('/etc/vpsie-lb/certs', 'privateKey', KEY_PEM), 0o600],
      ['secrets', '/etc/envoy/dynamic/secrets/lb-lb1-cert.yaml', 0o644],
      ['endpoints', '/etc/envoy/dynamic/endpoints/lb-lb1.json', 0o644],
      ['clusters', '/etc/envoy/dynamic/clusters.yaml', 0o644],
      ['routes', '/etc/envoy/dynamic/routes/lb-lb1.yaml', 0o644],
      ['listeners', '/etc/envoy/dynamic/listeners.yaml', 0o644],
      ['static', '/etc/envoy/static.json', 0o644],
      ['bootstrap', '/etc/envoy/bootstrap.yaml', 0o644],
    ],
  );
  assert.equal(files[0]?.content, KEY_PEM);
  assert.equal(files[5]?.content, toYaml(r.listeners));
});
