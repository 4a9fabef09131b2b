// The shipped Grafana dashboard is importable as it is: a data source variable, unique panel ids, every query on
// that data source, panels within Grafana's 24-column grid without overlap, and the sections the issue asks for.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid: string };
  targets?: { refId: string; expr: string; datasource: { uid: string } }[];
}
const dash = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../../packaging/monitoring/grafana-dashboard.json'), 'utf8'),
) as { uid: string; panels: Panel[]; templating: { list: { name: string; type: string }[] } };

/** Grafana's variable syntax, not a JavaScript template. */
const DATASOURCE = ['$', '{datasource}'].join('');

describe('grafana-dashboard.json', () => {
  it('has a Prometheus data source variable and an instance variable', () => {
    assert.deepEqual(
      dash.templating.list.map((v) => `${v.name}:${v.type}`),
      ['datasource:datasource', 'instance:query'],
    );
    assert.equal(dash.uid, 'vpsie-lb-agent');
  });

  it('panels: unique ids, queries on the variable data source with distinct refIds, no overlap in 24 columns', () => {
    assert.equal(new Set(dash.panels.map((p) => p.id)).size, dash.panels.length);
    const cells = new Set<string>();
    for (const p of dash.panels) {
      const { x, y, w, h } = p.gridPos;
      assert.ok(x >= 0 && w > 0 && x + w <= 24, `${p.title}: outside the grid`);
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          assert.ok(!cells.has(`${i},${j}`), `${p.title} overlaps another panel at ${i},${j}`);
          cells.add(`${i},${j}`);
        }
      if (p.type === 'row') continue;
      assert.equal(p.datasource?.uid, DATASOURCE, p.title);
      assert.ok((p.targets ?? []).length > 0, `${p.title}: no query`);
      const refs = (p.targets ?? []).map((t) => t.refId);
      assert.equal(new Set(refs).size, refs.length, p.title);
      for (const t of p.targets ?? []) {
        assert.equal(t.datasource.uid, DATASOURCE);
        assert.match(t.expr, /instance=~"\$instance"/, `${p.title}: ${t.expr}`);
      }
    }
  });

  it('covers what operators asked for', () => {
    const titles = dash.panels.map((p) => p.title);
    for (const t of [
      'Converged',
      'Reconciles by result',
      'Reconcile / apply duration',
      'Rollbacks',
      'Event queue',
      'Certificate expiry',
      'VPSie API errors',
      'HTTP requests',
      'HTTP 5xx',
      'Active connections',
      'Upstream health per pool',
      'Hot restart generation',
    ])
      assert.ok(titles.includes(t), `no panel ${t}`);
  });
});
