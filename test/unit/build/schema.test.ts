// Every golden output, both packagings, passes the strict check against Envoy's real v3 protos.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { getSchemaChecker } from '../../../src/envoy/schema/index.ts';
import { caseNames, renderCase } from './goldenCases.ts';

const checker = getSchemaChecker();

for (const name of caseNames()) {
  test(`schema: ${name}`, () => {
    const { documents } = renderCase(name);
    const report: string[] = [];
    for (const [file, text] of documents) {
      // Checked as text parsed back (routes/endpoints: one document per Envoy file; the live endpoints and static files
      // hold the same documents as JSON).
      for (const [i, parsed] of parseAllDocuments(text).entries()) {
        const doc: unknown = parsed.toJS();
        const problems =
          file === 'bootstrap.yaml' || file === 'static.yaml'
            ? checker.checkBootstrap(doc)
            : checker.checkDiscoveryResponse(doc);
        for (const p of problems) report.push(`${file}#${i}: ${p.path}: ${p.message}`);
      }
    }
    assert.deepEqual(report, []);
  });
}

test('the checker does catch a broken rendering (this test can fail)', () => {
  const { rendered } = renderCase('http-basic');
  const broken = JSON.parse(JSON.stringify(rendered.clusters)) as { resources: Record<string, unknown>[] };
  const cluster = broken.resources[0];
  assert.ok(cluster !== undefined);
  cluster.connect_timeout = '5ms';
  cluster.lb_polcy = 'ROUND_ROBIN';
  assert.ok(checker.checkDiscoveryResponse(broken).length >= 2);
});
