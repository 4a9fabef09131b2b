// The double follows the binary: the same rendered configuration (a golden mTLS case, on loopback) served by the
// real Envoy and by test/doubles/envoy, the same admin queries, compared by shape (JSON keys and value types,
// line formats, stat names), not values. What the double deliberately leaves out is listed in NOT_EMULATED.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ENVOY_DOUBLE, killAll, makeSandbox, type Sandbox } from '../../doubles/envoy/harness.ts';
import { realEnvoyBinary } from '../../helpers/real-envoy.ts';
import {
  adminGet,
  freePort,
  makeTestCerts,
  onLoopback,
  removeDir,
  renderGolden,
  type ServingEnvoy,
  startEnvoy,
  tempDir,
  waitLive,
  writeRendered,
} from './validate-helpers.ts';

const CASE = 'https-mtls';
const baseId = 31_000 + (process.pid % 1000) * 4;

let root = '';
let sandbox: Sandbox;
const envoys: Record<'real' | 'double', ServingEnvoy | undefined> = { real: undefined, double: undefined };

before(async () => {
  root = await tempDir('real-envoy-conformance-');
  sandbox = makeSandbox('conformance-double-');
  const certs = await makeTestCerts();
  for (const [i, which] of (['real', 'double'] as const).entries()) {
    const dir = join(root, which);
    const golden = await renderGolden(CASE, dir, certs, {
      adminPort: await freePort(),
      port: await freePort(),
    });
    const rendered = onLoopback(golden.rendered, await freePort());
    await writeRendered(rendered);
    const binary = which === 'real' ? realEnvoyBinary() : ENVOY_DOUBLE;
    envoys[which] = await startEnvoy(rendered.paths.bootstrap, dir, {
      binary,
      baseId: baseId + i,
      env: which === 'double' ? sandbox.env : {},
    });
    await waitLive(envoys[which] as ServingEnvoy);
  }
});
after(async () => {
  await Promise.all([envoys.real?.stop(), envoys.double?.stop()]);
  killAll();
  sandbox?.cleanup();
  await removeDir(root);
});

type Shape = Map<string, Set<string>>;

/** Every JSON path (`/a/[]/b`; array elements merged) with the value types seen there. */
function shapeOf(v: unknown, path = '', out: Shape = new Map()): Shape {
  const type = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
  out.set(path, new Set([...(out.get(path) ?? []), type]));
  if (Array.isArray(v)) for (const x of v) shapeOf(x, `${path}/[]`, out);
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) shapeOf(x, `${path}/${k.replaceAll('/', '~1')}`, out);
  }
  return out;
}

/**
 * Parts of a real answer the double does not produce, and why. Everything else must match both ways: a key the
 * double adds that Envoy does not have, or one Envoy has that the double lacks, fails the test.
 */
const NOT_EMULATED: readonly RegExp[] = [
  // Histograms: the double records none (computed_quantiles is empty there).
  /^\/stats\/\[\]\/histograms\/computed_quantiles\/\[\]/,
];

function diff(real: Shape, double: Shape): string[] {
  const out: string[] = [];
  const skip = (p: string) => NOT_EMULATED.some((re) => re.test(p));
  for (const [p, types] of double) {
    if (!real.has(p)) out.push(`double only: ${p} (${[...types].join('|')})`);
    else if ([...types].some((t) => !real.get(p)?.has(t))) {
      out.push(`type: ${p} double ${[...types].join('|')}, real ${[...(real.get(p) ?? [])].join('|')}`);
    }
  }
  for (const [p, types] of real)
    if (!double.has(p) && !skip(p)) out.push(`real only: ${p} (${[...types].join('|')})`);
  return out;
}

async function both(
  path: string,
): Promise<{ real: { status: number; body: string }; double: { status: number; body: string } }> {
  const [r, d] = await Promise.all([
    adminGet((envoys.real as ServingEnvoy).adminPort, path),
    adminGet((envoys.double as ServingEnvoy).adminPort, path),
  ]);
  return { real: r, double: d };
}

describe('admin JSON answers have the same shape', () => {
  for (const path of [
    '/ready',
    '/server_info',
    '/config_dump',
    '/config_dump?resource=dynamic_active_secrets',
    '/config_dump?resource=dynamic_listeners',
    '/config_dump?resource=dynamic_active_clusters',
    '/clusters?format=json',
    '/listeners?format=json',
    '/certs',
    '/memory',
    '/stats?format=json&filter=^(cluster_manager|listener_manager|server)\\.',
  ]) {
    test(path, async () => {
      const { real, double } = await both(path);
      assert.equal(double.status, real.status);
      if (path === '/ready') {
        assert.equal(double.body, real.body);
        return;
      }
      const differences = diff(shapeOf(JSON.parse(real.body)), shapeOf(JSON.parse(double.body)));
      assert.deepEqual(differences, [], `${path}: double vs real`);
    });
  }
});

/** Stat names with the per-process parts (listener ports) made comparable. */
const normalised = (name: string): string =>
  name.replace(/^listener\.127\.0\.0\.1_\d+\./, 'listener.<addr>.');

async function statTypes(which: 'real' | 'double'): Promise<Map<string, string>> {
  const { body } = await adminGet((envoys[which] as ServingEnvoy).adminPort, '/stats?format=json');
  const stats = (JSON.parse(body) as { stats: { name?: string; value?: unknown }[] }).stats;
  return new Map(stats.flatMap((s) => (s.name === undefined ? [] : [[normalised(s.name), typeof s.value]])));
}

/** What the agent reads from /stats (apply verify, metrics summary), by the names this configuration gives. */
const AGENT_READS = [
  'cluster_manager.cds.update_success',
  'cluster_manager.cds.update_rejected',
  'cluster_manager.cds.update_failure',
  'cluster_manager.cds.version_text',
  'listener_manager.lds.update_success',
  'listener_manager.lds.update_rejected',
  'listener_manager.lds.update_failure',
  'listener_manager.lds.version_text',
  'http.lb_partner.downstream_rq_total',
  'http.lb_partner.downstream_rq_5xx',
  'listener.<addr>.downstream_cx_active',
  'sds.lb-partner-cert.update_success',
  'sds.lb-partner-ca.update_success',
];

describe('stats', () => {
  test('every stat of the double exists on the real Envoy with the same value type', async () => {
    const [real, double] = await Promise.all([statTypes('real'), statTypes('double')]);
    const wrong = [...double]
      .filter(([n, t]) => real.get(n) !== t)
      .map(([n, t]) => `${n}: ${t} vs ${real.get(n)}`);
    assert.deepEqual(wrong, []);
    assert.deepEqual(
      AGENT_READS.filter((n) => !real.has(n) || !double.has(n)).map(
        (n) => `${n}: real ${real.has(n)}, double ${double.has(n)}`,
      ),
      [],
    );
  });

  test('text formats: /stats (quoted text readouts, readouts first), /clusters, /listeners', async () => {
    const stats = await both('/stats');
    for (const body of [stats.real.body, stats.double.body]) {
      const lines = body.split('\n');
      // Cluster names (EDS clusters have a version_text of their own) may hold `-`, `|` and digits.
      assert.match(lines[0] ?? '', /^[a-z_.][a-z0-9_.|+-]*\.version_text: ".*"$/);
      assert.ok(lines.some((l) => /^cluster_manager\.cds\.version_text: "[0-9a-f]{64}"$/.test(l)));
    }
    // Line kinds of /clusters: `<cluster>::<key>…` and `<cluster>::<host:port>::<key>::…`, values aside.
    const kinds = (body: string) =>
      new Set(
        body
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => l.replace(/::[0-9.]+:\d+::/, '::<host>::').replace(/::[^:]*$/, '::<value>')),
      );
    const clusters = await both('/clusters');
    assert.deepEqual([...kinds(clusters.double.body)].sort(), [...kinds(clusters.real.body)].sort());
    const listeners = await both('/listeners');
    for (const body of [listeners.real.body, listeners.double.body]) {
      assert.match(body, /^lb-partner-v4::127\.0\.0\.1:\d+\n$/);
    }
    const hrv = await both('/hot_restart_version');
    assert.equal(hrv.double.body.trim(), hrv.real.body.trim());
  });
});

test('/stats/prometheus: every metric of the double (name and label names) exists on the real Envoy', async () => {
  const { real, double } = await both('/stats/prometheus');
  // `name{label="v",…} value` → `name{label,…}`; Envoy prints `{}` for a metric without tags.
  const series = (text: string): Set<string> =>
    new Set(
      text
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => l.replace(/="(?:[^"\\]|\\.)*"/g, '').replace(/ \S+$/, '')),
    );
  const r = series(real.body);
  const d = series(double.body);
  assert.ok(d.size >= 20, `the double has ${d.size} series`);
  assert.deepEqual(
    [...d].filter((x) => !r.has(x)),
    [],
  );
  for (const name of [
    'envoy_cluster_manager_cds_update_rejected{}',
    'envoy_sds_update_success{envoy_xds_resource_name}',
  ]) {
    assert.ok(r.has(name) && d.has(name), name);
  }
});
