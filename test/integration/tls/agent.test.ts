// The agent's certificate housekeeping through startAgent with the file applier: inline copies removed only
// after a commit, expiry warnings once per threshold across restarts, expiry on /status and /metrics.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileApplier } from '../../../src/apply/file-applier.ts';
import type { Applier, ApplyOutcome, Generation } from '../../../src/apply/types.ts';
import type { AgentConfig } from '../../../src/config/types.ts';
import { EXPIRY_STATE_FILE } from '../../../src/tls/expiry-notifier.ts';
import { tempAgentConfig } from '../../helpers/agent-config.ts';
import { makeCert } from '../../helpers/certs.ts';
import { parseMetrics, value } from '../../helpers/prometheus.ts';
import { freePort } from '../lifecycle/harness.ts';
import {
  httpsSpec,
  inlineFiles,
  nextReport,
  quietConfig,
  replaceByRename,
  type Recorded,
  type RunningAgent,
  runAgent,
} from './helpers.ts';

const roots: string[] = [];
const agents: RunningAgent[] = [];
after(async () => {
  for (const a of agents) await a.agent.stop().catch(() => undefined);
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function setup(): Promise<{ config: AgentConfig; writeSpec: (s: unknown) => Promise<void> }> {
  const { config, root } = await tempAgentConfig();
  roots.push(root);
  const quiet = quietConfig(config, await freePort());
  return {
    config: quiet, // Atomic, as the file source expects: a reconcile must never read a half-written spec.
    writeSpec: (s) => replaceByRename(quiet.source.path ?? '', JSON.stringify(s), 0o644),
  };
}

/** The real file applier, observed: what the certificate directory held when each apply began. */
class ObservedApplier implements Applier {
  readonly inner: FileApplier;
  readonly seenAtApply: string[][] = [];
  /** While set, every apply fails (as an apply that could not install would), leaving what serves alone. */
  failing = false;
  constructor(
    stateDir: string,
    private readonly certDir: string,
  ) {
    this.inner = new FileApplier({ stateDir });
  }
  get strategy(): string {
    return this.inner.strategy;
  }
  recover(): Promise<void> {
    return this.inner.recover();
  }
  committedHash(): string | undefined {
    return this.inner.committedHash();
  }
  async apply(generation: Generation, transactionId: string): Promise<ApplyOutcome> {
    this.seenAtApply.push(await inlineFiles(this.certDir));
    if (this.failing) {
      return { ok: false, stage: 'apply', error: 'injected failure', restored: true };
    }
    return this.inner.apply(generation, transactionId);
  }
}

describe('certificate housekeeping in the agent', () => {
  it('removes unreferenced inline copies only after the new configuration is committed', async () => {
    const { config, writeSpec } = await setup();
    const certDir = config.tls.certDir;
    const [a, b, c] = await Promise.all([makeCert(), makeCert(), makeCert()]);
    await writeSpec(httpsSpec({ certificate_pem: a.certPem, private_key_pem: a.keyPem }));
    const applier = new ObservedApplier(config.stateDir, certDir);
    const ra = await runAgent(config, applier);
    agents.push(ra);
    const r0 = await nextReport(ra.agent, undefined, 'first apply', (r) => r.result === 'applied');
    const filesA = await inlineFiles(certDir);
    assert.equal(filesA.length, 2);

    // A change whose apply fails: A's copies stay (they are what serves).
    applier.failing = true;
    await writeSpec(httpsSpec({ certificate_pem: b.certPem, private_key_pem: b.keyPem }));
    const r1 = await nextReport(ra.agent, r0, 'failed apply', (r) => r.result === 'failed');
    for (const f of filesA)
      assert.ok((await inlineFiles(certDir)).includes(f), `${f} kept after a failed apply`);
    assert.equal(applier.committedHash(), r0.hash);

    applier.failing = false;
    // The next change commits: A's copies existed while it was applied, and are gone after the commit.
    await writeSpec(httpsSpec({ certificate_pem: c.certPem, private_key_pem: c.keyPem }));
    const r2 = await nextReport(ra.agent, r1, 'applied', (r) => r.result === 'applied');
    const during = applier.seenAtApply.at(-1) ?? [];
    for (const f of filesA) assert.ok(during.includes(f), `${f} present during the apply`);
    const now = await inlineFiles(certDir);
    assert.equal(now.length, 2, now.join(', '));
    for (const f of now) assert.ok(!filesA.includes(f));
    const secrets = await readFile(join(config.envoy.configPath, 'secrets', 'lb-lb-test-cert.yaml'), 'utf8');
    for (const f of now) assert.ok(secrets.includes(join(certDir, f)));
    assert.equal(applier.committedHash(), r2.hash);
  });

  it('warns once per threshold, not again after a restart, and shows expiry on /status and /metrics', async () => {
    const { config, writeSpec } = await setup();
    const cert = await makeCert({
      notAfter: new Date(Date.now() + 10 * 86_400_000),
      commonName: 'soon.example',
    });
    await writeSpec(httpsSpec({ certificate_pem: cert.certPem, private_key_pem: cert.keyPem }));
    const events: Recorded[] = [];
    const first = await runAgent(config, new FileApplier({ stateDir: config.stateDir }), events);
    agents.push(first);
    const r0 = await nextReport(first.agent, undefined, 'first apply', (r) => r.result === 'applied');
    const expiring = () => events.filter((e) => e.type === 'certificate_expiring');
    assert.equal(expiring().length, 1, JSON.stringify(events));
    const [event] = expiring();
    // 10 days left: 30 and 14 are crossed at once; one event, for the most urgent.
    assert.equal(event?.metadata?.threshold_days, 14);
    assert.equal(event?.metadata?.name, 'CN=soon.example');
    assert.match(
      event?.message ?? '',
      /^certificate CN=soon\.example for lb-test expires on .* \(in (9|10) days\)/,
    );

    const base = `http://127.0.0.1:${config.server.listen.port}`;
    const status = (await (await fetch(`${base}/status`)).json()) as {
      certificates: { name: string; seconds_to_expiry: number }[];
    };
    assert.equal(status.certificates[0]?.name, 'CN=soon.example');
    assert.ok((status.certificates[0]?.seconds_to_expiry ?? 0) > 9 * 86_400);
    const metrics = parseMetrics(await (await fetch(`${base}/metrics`)).text());
    const left = value(metrics, 'vpsie_lb_agent_certificate_expiry_seconds', { name: 'CN=soon.example' });
    assert.ok(left > 9 * 86_400 && left <= 10 * 86_400, String(left));

    // Another reconcile: nothing new.
    first.agent.loop.trigger('test');
    await nextReport(first.agent, r0, 'second reconcile');
    assert.equal(expiring().length, 1);

    // Restart: the notified thresholds are on disk.
    await first.agent.stop();
    agents.splice(agents.indexOf(first), 1);
    const state = JSON.parse(await readFile(join(config.stateDir, EXPIRY_STATE_FILE), 'utf8')) as {
      certificates: Record<string, { notified: number[] }>;
    };
    assert.deepEqual(Object.values(state.certificates)[0]?.notified, [30, 14]);
    const second = await runAgent(config, new FileApplier({ stateDir: config.stateDir }), events);
    agents.push(second);
    const r1 = await nextReport(second.agent, undefined, 'reconcile after restart');
    assert.equal(r1.result, 'unchanged', r1.error);
    assert.equal(expiring().length, 1, 'no repeated warning after a restart');
  });
});
