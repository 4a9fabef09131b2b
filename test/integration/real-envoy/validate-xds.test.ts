// The DiscoveryResponse fixtures on a serving real Envoy (validate mode never reads dynamic files): each valid
// one moved into the watched directory is accepted, each invalid mutant is refused (update_rejected for a
// resource Envoy refuses, update_failure for a file it cannot parse into the response type) and the last good
// version stays. Also the case the schema checker missed: an SDS file with two secrets.
import assert from 'node:assert/strict';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { getSchemaChecker } from '../../../src/envoy/schema/index.ts';
import { bootstrapYaml, killAll, waitFor } from '../../doubles/envoy/harness.ts';
import { DR, invalidCases, validCases } from './validate-fixtures.ts';
import {
  FIXTURES,
  freePort,
  makeTestCerts,
  removeDir,
  type ServingEnvoy,
  startEnvoy,
  tempDir,
  waitLive,
} from './validate-helpers.ts';

let root = '';
let xds = '';
let envoy: ServingEnvoy;

before(async () => {
  root = await tempDir('real-envoy-xds-');
  xds = join(root, 'xds');
  await mkdir(xds);
  const empty = 'version_info: "empty"\nresources: []\n';
  await writeFile(join(xds, 'cds.yaml'), empty);
  await writeFile(join(xds, 'lds.yaml'), empty);
  const cds = join(xds, 'cds.yaml');
  const lds = join(xds, 'lds.yaml');
  await writeFile(join(root, 'bootstrap.yaml'), bootstrapYaml({ cds, lds, watchedDir: xds }));
  envoy = await startEnvoy(join(root, 'bootstrap.yaml'), root);
  await waitLive(envoy);
});
after(async () => {
  await envoy?.stop();
  killAll();
  await removeDir(root);
});

type Kind = 'cds' | 'lds';
const STAT: Record<Kind, string> = { cds: 'cluster_manager.cds', lds: 'listener_manager.lds' };

/** The fixture made loopback-only: listeners on 127.0.0.1 at a free port, DNS backends resolved from /etc/hosts. */
async function loopbackText(path: string): Promise<string> {
  const port = await freePort();
  return (await readFile(path, 'utf8'))
    .replace(/address: 0\.0\.0\.0/g, 'address: 127.0.0.1')
    .replace(/address: service1\b/g, 'address: localhost')
    .replace(/port_value: (10000|10002)\b/g, `port_value: ${port}`);
}

const kindOf = (text: string): Kind => (/envoy\.config\.listener\.v3\.Listener/.test(text) ? 'lds' : 'cds');

/** Moves `text` onto the subscription's file (as the agent does) and waits for Envoy to have read it. */
async function moveIn(kind: Kind, text: string): Promise<Map<string, number>> {
  const before = await envoy.admin.statsFiltered(`^${STAT[kind]}\\.update_`);
  const attempts = before.get(`${STAT[kind]}.update_attempt`) ?? 0;
  const tmp = join(root, `next-${kind}.yaml`);
  await writeFile(tmp, text);
  await rename(tmp, join(xds, `${kind}.yaml`));
  const after = await waitFor(
    `${kind} update read`,
    async () => {
      const s = await envoy.admin.statsFiltered(`^${STAT[kind]}\\.update_`);
      return (s.get(`${STAT[kind]}.update_attempt`) ?? 0) > attempts ? s : undefined;
    },
    20_000,
    50,
  );
  const delta = new Map<string, number>();
  for (const [k, v] of after) delta.set(k.slice(STAT[kind].length + 1), v - (before.get(k) ?? 0));
  return delta;
}

const versionText = async (kind: Kind): Promise<string | undefined> =>
  (await envoy.admin.textReadouts(`^${STAT[kind]}\\.version_text$`)).get(`${STAT[kind]}.version_text`);

describe('DiscoveryResponse fixtures on a serving Envoy', () => {
  const valid = validCases.filter((c) => c.type === DR && !c.file.includes('secret'));
  const invalid = invalidCases.filter((c) => c.type === DR);

  test('the manifests list them', () => {
    assert.ok(valid.length >= 3 && invalid.length >= 6, `${valid.length} valid, ${invalid.length} invalid`);
  });

  // Clusters first: the listeners route to the cluster the CDS fixture defines.
  for (const c of [...valid].sort((a, b) => a.file.localeCompare(b.file))) {
    test(`accepted: ${c.file}`, async () => {
      const text = await loopbackText(join(FIXTURES, 'valid', c.file));
      const kind = kindOf(text);
      const d = await moveIn(kind, text);
      assert.equal(d.get('update_success'), 1, `${c.file}: ${JSON.stringify([...d])}`);
      assert.equal(d.get('update_rejected'), 0);
      assert.equal(d.get('update_failure'), 0);
    });
  }

  for (const c of invalid) {
    test(`refused: ${c.file} (${c.description})`, async (t) => {
      const text = await loopbackText(join(FIXTURES, 'invalid', c.file));
      const kind = kindOf(text);
      const version = await versionText(kind);
      const d = await moveIn(kind, text);
      assert.equal(d.get('update_success'), 0, `${c.file}: ${JSON.stringify([...d])}`);
      assert.equal((d.get('update_rejected') ?? 0) + (d.get('update_failure') ?? 0), 1);
      t.diagnostic(`${kind}: rejected ${d.get('update_rejected')}, failure ${d.get('update_failure')}`);
      assert.equal(await versionText(kind), version, 'the last good version stays');
    });
  }
});

test('an SDS file with two secrets is rejected by Envoy, and by the schema checker', async () => {
  const certs = await makeTestCerts();
  const dir = join(root, 'sds');
  await mkdir(dir);
  await writeFile(join(dir, 'crt.pem'), certs.certPem);
  await writeFile(join(dir, 'key.pem'), certs.keyPem);
  await writeFile(join(dir, 'ca.pem'), certs.caPem);
  const secrets = `resources:
- "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret
  name: cert
  tls_certificate: {certificate_chain: {filename: ${dir}/crt.pem}, private_key: {filename: ${dir}/key.pem}}
- "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret
  name: ca
  validation_context: {trusted_ca: {filename: ${dir}/ca.pem}}
`;
  await writeFile(join(dir, 'secrets.yaml'), secrets);
  const sds = `{resource_api_version: V3, path_config_source: {path: ${dir}/secrets.yaml}}`;
  const listener = `resources:
- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: tls
  address: {socket_address: {address: 127.0.0.1, port_value: ${await freePort()}}}
  filter_chains:
  - transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
        common_tls_context:
          tls_certificate_sds_secret_configs: [{name: cert, sds_config: ${sds}}]
          validation_context_sds_secret_config: {name: ca, sds_config: ${sds}}
    filters:
    - name: envoy.filters.network.tcp_proxy
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
        stat_prefix: tls
        cluster: example_proxy_cluster
`;
  const d = await moveIn('lds', listener);
  assert.equal(d.get('update_success'), 1, 'the listener itself is accepted');
  const stats = await waitFor(
    'both SDS subscriptions read the file',
    async () => {
      const s = await envoy.admin.statsFiltered('^sds\\.(cert|ca)\\.update_');
      return (s.get('sds.cert.update_attempt') ?? 0) > 0 && (s.get('sds.ca.update_attempt') ?? 0) > 0
        ? s
        : undefined;
    },
    20_000,
  );
  assert.equal(stats.get('sds.cert.update_rejected'), 1);
  assert.equal(stats.get('sds.ca.update_rejected'), 1);
  assert.equal(stats.get('sds.cert.update_success'), 0);
  const problems = getSchemaChecker().checkDiscoveryResponse(parse(secrets));
  assert.ok(
    problems.some((p) => /exactly one secret/.test(p.message)),
    JSON.stringify(problems),
  );
});
