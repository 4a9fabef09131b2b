// The operator views on the multi-rule model: /status listeners (pools by the hosts routed to them) and plan's
// rendered side (objects that compare exactly like their YAML files), on golden VPSie-form cases.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { diffValues } from '../../../src/commands/plan-diff.ts';
import { nextFiles } from '../../../src/commands/plan.ts';
import { renderEnvoyConfig } from '../../../src/envoy/build/render.ts';
import { listenerStatus } from '../../../src/server/listener-status.ts';
import { GOLDEN_DIR, loadConfig, loadSpec, renderCase } from '../build/goldenCases.ts';

const model = (name: string) => {
  const dir = join(GOLDEN_DIR, name);
  return loadSpec(dir, loadConfig(dir));
};

describe('status listeners from the model', () => {
  it('one listener per rule, each tcp rule with its pool', () => {
    const views = listenerStatus(model('vpsie-tcp-multiport'), []);
    assert.ok(views.length >= 2);
    for (const v of views) {
      assert.equal(v.protocol, 'tcp');
      assert.equal(v.pools.length, 1);
      assert.ok(v.pools[0]!.backends.length > 0);
      assert.ok(
        v.pools[0]!.backends.every((b) => b.health === 'unknown'),
        'no health known yet',
      );
    }
    assert.deepEqual(
      views.map((v) => v.port),
      [...new Set(views.map((v) => v.port))],
      'distinct ports',
    );
  });

  it('http rules: a pool per domain with the hosts routed to it, health taken from the backends given', () => {
    const m = model('vpsie-wildcard-subdomain');
    const [view] = listenerStatus(m, [
      { id: 'a1', address: '10.0.1.2', port: 9000, enabled: true, health: 'healthy' },
    ]);
    assert.equal(view?.protocol, 'http');
    assert.equal(view?.port, 80);
    const byHost = new Map(view!.pools.flatMap((p) => p.domains.map((d) => [d, p] as const)));
    assert.ok(byHost.has('*.example.com'));
    assert.ok(byHost.has('api.example.com'));
    const api = byHost.get('api.example.com')!;
    assert.deepEqual(
      api.backends.map((b) => [b.id, b.health]),
      [['a1', 'healthy']],
    );
  });
});

describe("plan's rendered side", () => {
  for (const name of [
    'vpsie-https-rule-tls',
    'vpsie-http-https-redirect',
    'vpsie-tcp-multiport',
    'http-basic',
  ]) {
    it(`${name}: every file's object is what its YAML says`, () => {
      const dir = join(GOLDEN_DIR, name);
      const rendered = renderEnvoyConfig(loadSpec(dir, loadConfig(dir)), loadConfig(dir));
      const files = nextFiles(rendered);
      const withValues = files.filter((f) => f.value !== undefined);
      assert.ok(withValues.length >= 3, `${name}: ${withValues.length} files with objects`);
      for (const f of withValues) assert.deepEqual(diffValues(parse(f.content), f.value), [], f.path);
      assert.ok(files.every((f) => f.role !== 'certificate' || f.value === undefined));
      assert.ok(renderCase(name).documents.size > 0);
    });
  }
});
