// The shipped dashboard and alert rules: promtool (Debian's prometheus package, installed by scripts/ensure-tools.sh)
// checks and unit-tests the rules, and every metric they use exists on a running agent with real Envoy.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { FakeVpsieApi } from '../../fakes/vpsie-api.ts';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { REPO_ROOT, waitFor } from '../../helpers/cli-process.ts';
import { converged, type OpsEnv, opsEnv, statusUntil } from './harness.ts';

const DIR = join(REPO_ROOT, 'packaging/monitoring');
const KEY = 'ops-monitoring-key-5b7c9d1e3f';
const envs: OpsEnv[] = [];
let api: FakeVpsieApi | undefined;
after(async () => {
  for (const e of envs) await e.cleanup();
  await api?.close();
});

/** promtool, installed when missing; its absence is a failure, never a skip. */
function promtool(): string {
  const ensured = spawnSync(join(REPO_ROOT, 'scripts/ensure-tools.sh'), ['promtool'], { encoding: 'utf8' });
  assert.equal(ensured.status, 0, `scripts/ensure-tools.sh promtool failed:\n${ensured.stderr}`);
  const which = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  assert.equal(which.status, 0, 'promtool is not on PATH after ensure-tools');
  return which.stdout.trim();
}

/** Metric names in PromQL: label matchers, grouping labels and function names removed. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/"[^"]*"/g, ' ');
  const names = bare.match(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()/g) ?? [];
  const keywords = new Set(['and', 'or', 'unless', 'offset', 'bool', 'le', 'time']);
  return [...new Set(names.filter((n) => !keywords.has(n) && !/^\d/.test(n) && /_/.test(n)))];
}

function dashboardExprs(): string[] {
  const dash = JSON.parse(readFileSync(join(DIR, 'grafana-dashboard.json'), 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
    templating: { list: { definition?: string }[] };
  };
  return [
    ...dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...dash.templating.list.flatMap((v) =>
      v.definition === undefined ? [] : [v.definition.replace(/label_values\(([^,]+),.*/, '$1')],
    ),
  ];
}

function ruleExprs(): string[] {
  const rules = parse(readFileSync(join(DIR, 'prometheus-alerts.yml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  return rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** Families in a Prometheus text exposition: TYPE lines and sample names (histogram parts by family too). */
function families(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type) out.add(type[1]!);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) out.add(sample[1]!);
  }
  return out;
}

describe('dashboard and alert rules', () => {
  it('promtool check rules and promtool test rules pass', () => {
    const bin = promtool();
    const check = spawnSync(bin, ['check', 'rules', join(DIR, 'prometheus-alerts.yml')], {
      encoding: 'utf8',
    });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /SUCCESS: 7 rules found/);
    const unit = spawnSync(bin, ['test', 'rules', join(DIR, 'prometheus-alerts.test.yml')], {
      encoding: 'utf8',
    });
    assert.equal(unit.status, 0, unit.stdout + unit.stderr);
    assert.match(unit.stdout, /SUCCESS/);
  });

  it('every metric the dashboard and the rules use is exported by the agent or by real Envoy', async () => {
    const env = await opsEnv(1);
    envs.push(env);
    // The production source, so the API metrics carry samples too.
    api = await FakeVpsieApi.start({ apiKey: KEY, loadbalancerId: 'lb-ops' });
    api.setSpec(env.spec());
    env.api = {
      url: api.url,
      keyFile: join(env.root, 'api-key'),
      caFile: join(env.root, 'ca.pem'),
      id: 'lb-ops',
    };
    await writeFile(env.api.keyFile, `${KEY}\n`, { mode: 0o600 });
    await writeFile(env.api.caFile, api.caPem);
    await env.writeConfig();
    await env.start();
    const fake = api;
    await waitFor('a metrics summary and a status PUT', 30_000, () =>
      fake.metrics.length > 0 && fake.statusUpdates.length > 0 ? true : undefined,
    );
    await statusUntil(env, 'converged', converged);
    // Traffic, so that request counters carry the listener's labels.
    await waitFor('the listener answers', 30_000, async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${env.lbPort}/`, { headers: { connection: 'close' } });
        return (await r.text()).trim() === 'b1' ? true : undefined;
      } catch {
        return undefined;
      }
    });
    const agent = families(await (await fetch(`http://127.0.0.1:${env.agentPort}/metrics`)).text());
    const envoyResponse = await fetch(`http://127.0.0.1:${env.agentPort}/metrics/envoy`);
    assert.equal(envoyResponse.status, 200);
    const envoy = families(await envoyResponse.text());

    const used = new Set([...dashboardExprs(), ...ruleExprs()].flatMap(metricNames));
    // `up` is Prometheus's own (one per scrape target); everything else must come from the two endpoints.
    used.delete('up');
    assert.ok(used.size >= 20, `expected the dashboard's and rules' metrics, found ${[...used].join(', ')}`);
    const missing = [...used].filter((name) => !agent.has(name) && !envoy.has(name));
    assert.deepEqual(missing, [], 'metrics used by the dashboard or the rules that neither endpoint exports');
    // Envoy's come from Envoy (not a name the agent happens to share), and the other way round.
    for (const name of used) {
      if (name.startsWith('envoy_')) assert.ok(envoy.has(name), name);
      else assert.ok(agent.has(name), name);
    }
  });
});
