import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthy, statusLines } from '../../../src/commands/status-view.ts';
import { colour, plain } from '../../../src/commands/style.ts';
import type { AgentStatus } from '../../../src/server/status.ts';

const backend = (id: string, health: 'healthy' | 'unhealthy' | 'unknown', enabled = true) => ({
  id,
  address: id === 'v6' ? '2001:db8::1' : '10.0.0.1',
  port: 8080,
  enabled,
  health,
});

function status(over: Partial<AgentStatus> = {}): AgentStatus {
  const backends = [backend('b1', 'healthy'), backend('b2', 'unhealthy'), backend('off', 'unknown', false)];
  return {
    lb_id: 'lb-1',
    lb_name: 'web',
    source: 'vpsie https://api.vpsie.com/v2/loadbalancers/lb-1',
    desired_hash: 'a'.repeat(64),
    applied_hash: 'a'.repeat(64),
    apply_strategy: 'dynamic',
    lb_status: { status: 'degraded', reason: '1 of 2 backends unhealthy' },
    envoy: { state: 'LIVE', epoch: 3, pid: 42, base_id: 0 },
    last_reconcile: {
      at: '2026-01-02T03:04:05.000Z',
      trigger: 'poll',
      result: 'unchanged',
      error: null,
      problems: [],
      duration_ms: 12,
    },
    transactions: [
      {
        id: '0123456789abcdef',
        hash: 'a'.repeat(64),
        previousHash: 'b'.repeat(64),
        state: 'rolled_back',
        strategy: 'dynamic',
        stage: 'verify',
        error: `Envoy rejected the listeners update ${'x'.repeat(100)}`,
        startedAt: '2026-01-02T03:00:00.000Z',
        endedAt: '2026-01-02T03:00:01.500Z',
      },
    ],
    backends,
    listeners: [
      {
        name: 'lb-lb-1-v4',
        protocol: 'http',
        port: 80,
        pools: [{ name: 'lb-lb-1', algorithm: 'round_robin', domains: [], backends }],
      },
    ],
    hold: null,
    event_queue: { depth: 0, dropped: 0 },
    certificates: [
      {
        domain: 'web.example',
        name: 'CN=web.example',
        not_after: '2026-01-12T00:00:00.000Z',
        seconds_to_expiry: 10 * 86400 + 5,
      },
    ],
    version: '0.1.0',
    uptime_seconds: 3725,
    ...over,
  };
}

describe('status view', () => {
  it('healthy: converged, Envoy LIVE and every pool with a healthy backend', () => {
    assert.equal(healthy(status()), true);
    assert.equal(healthy(status({ desired_hash: 'c'.repeat(64) })), false);
    assert.equal(healthy(status({ envoy: { state: 'unreachable', epoch: 3, pid: 42, base_id: 0 } })), false);
    const down = [backend('b1', 'unhealthy'), backend('off', 'unknown', false)];
    const s = status();
    assert.equal(
      healthy({
        ...s,
        listeners: [{ ...s.listeners[0]!, pools: [{ ...s.listeners[0]!.pools[0]!, backends: down }] }],
      }),
      false,
    );
  });

  it('fits 80 columns, names listener, pool, backends and certificate days; no colour when plain', () => {
    const lines = statusLines(status(), plain);
    for (const l of lines) assert.ok(l.length <= 80, `${l.length}: ${l}`);
    const text = lines.join('\n');
    assert.match(text, /^load balancer lb-1 \(web\)/);
    assert.match(text, /LISTENER lb-lb-1-v4 {2}http :80/);
    assert.match(text, /pool lb-lb-1 {2}round_robin {2}1\/2 healthy/);
    assert.match(text, /b2 +10\.0\.0\.1:8080 +DOWN/);
    assert.match(text, /off +10\.0\.0\.1:8080 +disabled/);
    assert.match(text, /web\.example {2}CN=web\.example {2}expires 2026-01-12 00:00:00 \(10 days\)/);
    assert.match(text, /agent 0\.1\.0, up 1h02m/);
    assert.match(text, /rolled_back +a{12} {2}1\.5 s/);
    assert.match(text, /error: Envoy rejected the listeners update x+…/);
    assert.ok(!text.includes('\x1b['));
  });

  it('colour codes do not count against the width', () => {
    for (const l of statusLines(status(), colour)) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are what is removed
      assert.ok(l.replace(/\x1b\[\d+m/g, '').length <= 80, l);
    }
    assert.ok(statusLines(status(), colour).join('\n').includes('\x1b[32m'));
  });

  it('a hold and a not-converged state say so', () => {
    const held = statusLines(
      status({
        hold: {
          since: '2026-01-02T03:00:00.000Z',
          from_hash: 'b'.repeat(64),
          to_hash: 'a'.repeat(64),
          generation: 4,
          transaction_id: 't',
        },
      }),
      plain,
    ).join('\n');
    assert.match(held, /HELD on generation 4 \(a{12}\) since 2026-01-02 03:00:00/);
    assert.match(held, /not applying b{12}/);
    const behind = statusLines(status({ desired_hash: 'c'.repeat(64) }), plain).join('\n');
    assert.match(behind, /NOT CONVERGED {2}desired c{12}, applied a{12}/);
  });
});

describe('colour', () => {
  it('only on a TTY, and never with NO_COLOR', async () => {
    const { styleFor } = await import('../../../src/commands/style.ts');
    const tty = { isTTY: true } as NodeJS.WriteStream;
    const pipe = { isTTY: false } as NodeJS.WriteStream;
    const saved = process.env.NO_COLOR;
    try {
      delete process.env.NO_COLOR;
      assert.equal(styleFor(tty), colour);
      assert.equal(styleFor(pipe), plain);
      process.env.NO_COLOR = '1';
      assert.equal(styleFor(tty), plain);
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });
});
