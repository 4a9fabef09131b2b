import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AgentMetrics, statusClassOf } from '../../../src/metrics/agent-metrics.ts';
import type { ReconcileReport } from '../../../src/reconcile/reconciler.ts';
import { createAgentServer } from '../../../src/server/server.ts';
import type { AgentStatus } from '../../../src/server/status.ts';
import {
  family,
  histogramCount,
  histogramSum,
  parseMetrics,
  sample,
  value,
} from '../../helpers/prometheus.ts';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

const report = (fields: Partial<ReconcileReport> & Pick<ReconcileReport, 'result'>): ReconcileReport => ({
  trigger: 'poll',
  at: '2026-01-02T03:04:05.000Z',
  durationMs: 250,
  ...fields,
});

describe('AgentMetrics scraped over /metrics', () => {
  const metrics = new AgentMetrics();
  const server = createAgentServer({
    listen: { host: '127.0.0.1', port: 0 },
    metrics,
    status: () => ({}) as AgentStatus,
    readiness: () => ({ ready: true }),
  });
  let base = '';
  before(async () => {
    const { port } = await server.start();
    base = `http://127.0.0.1:${port}`;
  });
  after(() => server.close());

  const scrape = async () => {
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parseMetrics(await res.text());
  };

  it('exposes Node/process defaults and every reconcile result at zero before anything happens', async () => {
    const m = await scrape();
    assert.ok(m.has('process_cpu_user_seconds_total'));
    assert.ok(m.has('nodejs_heap_size_used_bytes'));
    assert.equal(family(m, 'vpsie_lb_agent_reconciles_total').type, 'COUNTER');
    for (const result of ['applied', 'unchanged', 'rejected', 'failed', 'source_error']) {
      assert.equal(value(m, 'vpsie_lb_agent_reconciles_total', { result }), 0, result);
    }
    assert.equal(sample(m, 'vpsie_lb_agent_config_info'), undefined);
  });

  it('counts reconciles by result, times them, and stamps the last converged one', async () => {
    const before = await scrape();
    const countBefore = histogramCount(before, 'vpsie_lb_agent_reconcile_duration_seconds') ?? 0;
    const sumBefore = histogramSum(before, 'vpsie_lb_agent_reconcile_duration_seconds') ?? 0;
    metrics.observeReconcile(report({ result: 'applied', hash: HASH_A }));
    metrics.observeReconcile(report({ result: 'rejected', error: 'invalid load balancer spec' }));
    metrics.observeReconcile(report({ result: 'rejected', error: 'invalid load balancer spec' }));
    metrics.observeReconcile(
      report({ result: 'failed', hash: HASH_B, error: 'verify failed', at: '2026-01-02T04:00:00.000Z' }),
    );
    const m = await scrape();
    assert.equal(value(m, 'vpsie_lb_agent_reconciles_total', { result: 'applied' }), 1);
    assert.equal(value(m, 'vpsie_lb_agent_reconciles_total', { result: 'rejected' }), 2);
    assert.equal(value(m, 'vpsie_lb_agent_reconciles_total', { result: 'failed' }), 1);
    assert.equal(value(m, 'vpsie_lb_agent_spec_rejections_total'), 2);
    assert.equal(histogramCount(m, 'vpsie_lb_agent_reconcile_duration_seconds'), countBefore + 4);
    assert.equal(histogramSum(m, 'vpsie_lb_agent_reconcile_duration_seconds'), sumBefore + 1);
    // The applied one ended at 03:04:05.250; the later failed one does not move the stamp.
    assert.equal(
      value(m, 'vpsie_lb_agent_last_successful_reconcile_timestamp_seconds'),
      Date.parse('2026-01-02T03:04:05.250Z') / 1000,
    );
    // The failed attempt's hash is not what serves.
    assert.equal(value(m, 'vpsie_lb_agent_config_info', { hash: HASH_A }), 1);
    assert.equal(family(m, 'vpsie_lb_agent_config_info').metrics.length, 1);
  });

  it('config_info carries only the current hash', async () => {
    metrics.setConfigHash(HASH_A);
    metrics.observeReconcile(report({ result: 'applied', hash: HASH_B }));
    const m = await scrape();
    const samples = family(m, 'vpsie_lb_agent_config_info').metrics;
    assert.deepEqual(
      samples.map((s) => [s.labels?.hash, s.value]),
      [[HASH_B, '1']],
    );
  });

  it('tracks rollbacks, restarts, epoch, event queue and certificate expiry', async () => {
    const before = await scrape();
    const rollbacks = value(before, 'vpsie_lb_agent_rollbacks_total');
    metrics.incRollback();
    metrics.incRollback();
    metrics.incEnvoyRestart();
    metrics.setEpoch(7);
    metrics.setEventQueue(3, 5);
    metrics.setEventQueue(2, 8);
    metrics.setEventQueue(2, 8);
    metrics.setCertificateExpiry('lb-1-cert', 86_400);
    metrics.setCertificateExpiry('lb-1-ca', -60);
    let m = await scrape();
    assert.equal(value(m, 'vpsie_lb_agent_rollbacks_total'), rollbacks + 2);
    assert.equal(value(m, 'vpsie_lb_agent_envoy_restarts_total'), 1);
    assert.equal(value(m, 'vpsie_lb_agent_envoy_epoch'), 7);
    assert.equal(value(m, 'vpsie_lb_agent_event_queue_depth'), 2);
    assert.equal(value(m, 'vpsie_lb_agent_event_queue_dropped_total'), 8);
    assert.equal(value(m, 'vpsie_lb_agent_certificate_expiry_seconds', { name: 'lb-1-cert' }), 86_400);
    assert.equal(value(m, 'vpsie_lb_agent_certificate_expiry_seconds', { name: 'lb-1-ca' }), -60);
    metrics.clearCertificateExpiry('lb-1-ca');
    m = await scrape();
    assert.equal(sample(m, 'vpsie_lb_agent_certificate_expiry_seconds', { name: 'lb-1-ca' }), undefined);
    assert.ok(sample(m, 'vpsie_lb_agent_certificate_expiry_seconds', { name: 'lb-1-cert' }));
  });

  it('times API requests by endpoint and status class and counts the non-2xx ones as failures', async () => {
    metrics.observeApiRequest('get_loadbalancer', '2xx', 120);
    metrics.observeApiRequest('get_loadbalancer', '2xx', 80);
    metrics.observeApiRequest('get_loadbalancer', '5xx', 30);
    metrics.observeApiRequest('put_status', 'timeout', 10_000);
    const m = await scrape();
    const ok = { endpoint: 'get_loadbalancer', status_class: '2xx' };
    assert.equal(histogramCount(m, 'vpsie_lb_agent_api_request_duration_seconds', ok), 2);
    assert.equal(histogramSum(m, 'vpsie_lb_agent_api_request_duration_seconds', ok), 0.2);
    assert.equal(
      histogramCount(m, 'vpsie_lb_agent_api_request_duration_seconds', {
        endpoint: 'get_loadbalancer',
        status_class: '5xx',
      }),
      1,
    );
    assert.equal(
      value(m, 'vpsie_lb_agent_api_request_failures_total', {
        endpoint: 'get_loadbalancer',
        status_class: '5xx',
      }),
      1,
    );
    assert.equal(
      value(m, 'vpsie_lb_agent_api_request_failures_total', {
        endpoint: 'put_status',
        status_class: 'timeout',
      }),
      1,
    );
    assert.equal(sample(m, 'vpsie_lb_agent_api_request_failures_total', ok), undefined);
  });
});

describe('two AgentMetrics in one process', () => {
  it('keep separate registries', async () => {
    const a = new AgentMetrics();
    const b = new AgentMetrics();
    a.incRollback();
    assert.equal(value(parseMetrics(await a.metricsText()), 'vpsie_lb_agent_rollbacks_total'), 1);
    assert.equal(value(parseMetrics(await b.metricsText()), 'vpsie_lb_agent_rollbacks_total'), 0);
  });
});

describe('statusClassOf', () => {
  it('maps codes to classes', () => {
    assert.equal(statusClassOf(204), '2xx');
    assert.equal(statusClassOf(404), '4xx');
    assert.equal(statusClassOf(503), '5xx');
    assert.equal(statusClassOf(0), 'error');
  });
});
