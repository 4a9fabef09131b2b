import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultAgentConfig } from '../../../src/config/defaults.ts';
import { changedKeys, planReload } from '../../../src/reload.ts';

describe('reload plan', () => {
  it('takes reloadable keys, names the rest as needing a restart and keeps their running values', () => {
    const running = defaultAgentConfig();
    const next = {
      ...running,
      vpsie: { ...running.vpsie, pollIntervalMs: 5_000, healthIntervalMs: 2_000 },
      envoy: { ...running.envoy, maxConnections: 10, baseId: 9 },
      logging: { ...running.logging, level: 'debug' as const },
    };
    const plan = planReload(running, next);
    assert.deepEqual(plan.applied, ['vpsie.poll_interval', 'envoy.max_connections', 'logging.level']);
    assert.deepEqual(plan.restartRequired, ['vpsie.health_interval', 'envoy.base_id']);
    assert.equal(plan.config.vpsie.pollIntervalMs, 5_000);
    assert.equal(plan.config.envoy.maxConnections, 10);
    assert.equal(plan.config.logging.level, 'debug');
    assert.equal(plan.config.vpsie.healthIntervalMs, running.vpsie.healthIntervalMs);
    assert.equal(plan.config.envoy.baseId, running.envoy.baseId);
  });

  it('the same file changes nothing', () => {
    assert.deepEqual(changedKeys(defaultAgentConfig(), defaultAgentConfig()), []);
  });
});
