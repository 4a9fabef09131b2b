// Health per backend identifier over every pool (vpsie-form.md, Health reports).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ClusterHost, deriveModelHealth, modelBackends } from '../../../src/health/backend-health.ts';
import { check, model, vpsieDoc } from '../model/vpsie-doc.ts';

test('an identifier in several pools: unhealthy if unhealthy in any, healthy only when healthy in every pool with a verdict', () => {
  const doc = vpsieDoc();
  // vm2 also backs the http rule's default pool (10.0.0.2:8080), beside the https domain d-shop (10.0.0.2:8443).
  const rules = doc.rules as Record<string, unknown>[];
  rules[0]!.backends = [{ ip: '10.0.0.2', identifier: 'vm2' }];
  const m = model(check(doc));
  const host = (
    cluster: string,
    address: string,
    port: number,
    healthy: boolean,
    pending = false,
  ): ClusterHost => ({
    cluster,
    address,
    port,
    healthy,
    ...(pending ? { pending: true } : {}),
  });
  const shop = 'lb-lb-7|r-https|d-shop';
  const fallback = 'lb-lb-7|r-http';
  const both = (a: boolean, b: boolean) =>
    deriveModelHealth(m, [host(shop, '10.0.0.2', 8443, a), host(fallback, '10.0.0.2', 8080, b)]).get('vm2');
  assert.equal(both(true, true), 'healthy');
  assert.equal(both(true, false), 'unhealthy');
  assert.equal(both(false, true), 'unhealthy');
  // No verdict yet in one pool: the other decides.
  const pending = deriveModelHealth(m, [
    host(shop, '10.0.0.2', 8443, true),
    host(fallback, '10.0.0.2', 8080, false, true),
  ]);
  assert.equal(pending.get('vm2'), 'healthy');
  // A host of another pool with the same address does not count for this one (ports differ per pool).
  const elsewhere = deriveModelHealth(m, [host(fallback, '10.0.0.2', 8443, false)]);
  assert.equal(elsewhere.get('vm2'), 'unknown');
  // /status lists each identifier once.
  assert.equal(modelBackends(m).filter((b) => b.id === 'vm2').length, 1);
});
