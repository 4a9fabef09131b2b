import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { AgentMetrics } from '../../../src/metrics/agent-metrics.ts';
import { DOCS_DIR } from './config-reference.ts';

const OPERATIONS_MD = resolve(DOCS_DIR, 'operations.md');
/** The agent's own metrics and the Node.js process metrics it exports; `envoy_*` names are Envoy's, not ours. */
const OURS = /\b(?:vpsie_lb_agent|process|nodejs)_[a-z0-9_]*[a-z0-9]/g;

/** Metric family names in the exposition text (`# TYPE name kind`), plus the sample names histograms add. */
async function exportedNames(): Promise<Set<string>> {
  const text = await new AgentMetrics().metricsText();
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type) names.add(type[1]!);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}

describe('metric names in docs/operations.md', () => {
  it('every metric named in the doc is exported by the agent', async () => {
    const exported = await exportedNames();
    const mentioned = new Set(readFileSync(OPERATIONS_MD, 'utf8').match(OURS) ?? []);
    assert.ok(
      mentioned.size >= 10,
      `expected the metrics list in operations.md, found ${mentioned.size} names`,
    );
    const unknown = [...mentioned].filter((n) => !exported.has(n));
    assert.deepEqual(unknown, [], 'docs/operations.md names metrics that /metrics does not export');
  });

  it("every one of the agent's own metrics is documented", async () => {
    const doc = readFileSync(OPERATIONS_MD, 'utf8');
    const families = [...(await exportedNames())].filter(
      (n) => n.startsWith('vpsie_lb_agent_') && !/_(bucket|sum|count)$/.test(n),
    );
    assert.ok(families.length >= 10);
    const missing = families.filter((n) => !new RegExp(`\\b${n}\\b`).test(doc));
    assert.deepEqual(missing, [], 'metrics exported but not listed in docs/operations.md');
  });
});
