import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseWith } from '../../../src/agent.ts';
import { FileApplier } from '../../../src/apply/file-applier.ts';
import { TransactionLog } from '../../../src/apply/history.ts';
import type { AgentConfig } from '../../../src/config/types.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import { prepareGeneration } from '../../../src/pipeline.ts';
import { type EventKind, Reconciler } from '../../../src/reconcile/reconciler.ts';
import { FileSpecSource } from '../../../src/source/file-source.ts';
import { httpSpec, tempAgentConfig } from '../../helpers/agent-config.ts';

interface Recorded {
  type: EventKind;
  message: string;
  metadata?: Record<string, unknown>;
}

async function setup() {
  const { config, root } = await tempAgentConfig();
  const events: Recorded[] = [];
  const make = async () => {
    const history = new TransactionLog(config.stateDir);
    await history.load();
    const applier = new FileApplier({ stateDir: config.stateDir });
    const reconciler = new Reconciler({
      source: new FileSpecSource(config.source.path!),
      parse: parseWith(config),
      prepare: (spec) => prepareGeneration(spec, config, new Date()),
      applier,
      history,
      events: { enqueue: async (type, message, metadata) => void events.push({ type, message, metadata }) },
      logger: silentLogger,
    });
    await reconciler.recover();
    return { reconciler, history, applier };
  };
  const writeSpec = (spec: unknown) => writeFile(config.source.path!, JSON.stringify(spec));
  return { config, root, events, make, writeSpec };
}

const listenersPath = (config: AgentConfig) => join(config.envoy.configPath, 'listeners.yaml');
const clustersPath = (config: AgentConfig) => join(config.envoy.configPath, 'clusters.yaml');
/** The cluster's endpoints: by EDS, from a file of their own. */
const endpointsPath = (config: AgentConfig) => join(config.envoy.configPath, 'endpoints', 'lb-lb-test.json');
const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

describe('reconcile with the file applier', () => {
  it('applies a valid spec: runtime layout written, config_updated event, transaction committed', async () => {
    const t = await setup();
    roots.push(t.root);
    await t.writeSpec(httpSpec());
    const { reconciler, history } = await t.make();
    const report = await reconciler.reconcile('test');
    assert.equal(report.result, 'applied', report.error);
    assert.match(report.hash ?? '', /^[0-9a-f]{64}$/);
    const bootstrap = await readFile(join(t.root, 'envoy', 'bootstrap.yaml'), 'utf8');
    assert.match(bootstrap, /lds_config/);
    assert.match(await readFile(endpointsPath(t.config), 'utf8'), /10\.0\.0\.11/);
    assert.deepEqual(
      t.events.map((e) => e.type),
      ['config_updated'],
    );
    assert.equal(history.list().at(-1)?.state, 'committed');
  });

  it('an unchanged spec applies nothing, even across an agent restart; cosmetic fields do not count', async () => {
    const t = await setup();
    roots.push(t.root);
    await t.writeSpec(httpSpec());
    const first = await t.make();
    assert.equal((await first.reconciler.reconcile('test')).result, 'applied');
    assert.equal((await first.reconciler.reconcile('poll')).result, 'unchanged');
    await t.writeSpec(
      httpSpec((s) => {
        s.updated_at = '2026-11-26T10:00:00Z';
        (s.backends as Record<string, unknown>[])[0]!.status = 'down';
      }),
    );
    const restarted = await t.make();
    assert.equal((await restarted.reconciler.reconcile('start')).result, 'unchanged');
    assert.equal(t.events.filter((e) => e.type === 'config_updated').length, 1);
    assert.equal(restarted.history.list().length, 1);
  });

  it('an invalid spec leaves the last good config serving and is reported once per distinct document', async () => {
    const t = await setup();
    roots.push(t.root);
    await t.writeSpec(httpSpec());
    const { reconciler } = await t.make();
    await reconciler.reconcile('test');
    const good = await readFile(clustersPath(t.config), 'utf8');
    await t.writeSpec(
      httpSpec((s) => {
        (s.backends as Record<string, unknown>[])[1]!.port = 70000;
      }),
    );
    for (let i = 0; i < 3; i++) {
      const r = await reconciler.reconcile('poll');
      assert.equal(r.result, 'rejected');
      assert.ok(r.problems?.includes('backends[1].port: must be 1..65535, got 70000'), String(r.problems));
    }
    assert.equal(await readFile(clustersPath(t.config), 'utf8'), good);
    const rejected = t.events.filter((e) => e.type === 'config_rejected');
    assert.equal(rejected.length, 1);
    assert.match(rejected[0]!.message, /backends\[1\]\.port/);
    await t.writeSpec(
      httpSpec((s) => {
        s.port = 0;
      }),
    );
    assert.equal((await reconciler.reconcile('poll')).result, 'rejected');
    assert.equal(t.events.filter((e) => e.type === 'config_rejected').length, 2);
  });

  it('a change of weight is applied as a new generation and the listener file stays byte-identical', async () => {
    const t = await setup();
    roots.push(t.root);
    await t.writeSpec(httpSpec());
    const { reconciler } = await t.make();
    const first = await reconciler.reconcile('test');
    const listenersBefore = await readFile(listenersPath(t.config), 'utf8');
    const clustersBefore = await readFile(clustersPath(t.config), 'utf8');
    await t.writeSpec(
      httpSpec((s) => {
        (s.backends as Record<string, unknown>[])[0]!.weight = 5;
      }),
    );
    const second = await reconciler.reconcile('poll');
    assert.equal(second.result, 'applied');
    assert.notEqual(second.hash, first.hash);
    assert.match(await readFile(endpointsPath(t.config), 'utf8'), /"load_balancing_weight":5/);
    // Each file's version is the digest of its own resources: only the endpoints file changes.
    assert.equal(await readFile(listenersPath(t.config), 'utf8'), listenersBefore);
    assert.equal(await readFile(clustersPath(t.config), 'utf8'), clustersBefore);
  });

  it('a missing spec file is a source error that changes nothing', async () => {
    const t = await setup();
    roots.push(t.root);
    const { reconciler } = await t.make();
    const r = await reconciler.reconcile('test');
    assert.equal(r.result, 'source_error');
    assert.match(r.error ?? '', /spec\.json/);
    assert.equal(t.events.length, 0);
  });

  it('recovery after a crash mid-install puts the committed generation back and closes the transaction', async () => {
    const t = await setup();
    roots.push(t.root);
    await t.writeSpec(httpSpec());
    const first = await t.make();
    await first.reconciler.reconcile('test');
    const good = await readFile(clustersPath(t.config), 'utf8');
    // Simulate a crash half-way: a transaction left open and a half-installed clusters file.
    const open = await first.history.begin('f'.repeat(64), first.applier.committedHash(), 'files');
    await first.history.update(open.id, 'applying', { stage: 'apply' });
    await writeFile(clustersPath(t.config), 'resources: []\n');
    const restarted = await t.make();
    assert.equal(await readFile(clustersPath(t.config), 'utf8'), good);
    const record = restarted.history.list().find((r) => r.id === open.id);
    assert.equal(record?.state, 'rolled_back');
    assert.equal((await restarted.reconciler.reconcile('start')).result, 'unchanged');
  });
});

describe('idle polls', () => {
  it('a poll bringing the committed text again is not re-rendered, except every tenth and on other triggers', async () => {
    const t = await setup();
    roots.push(t.root);
    await t.writeSpec(httpSpec());
    const history = new TransactionLog(t.config.stateDir);
    await history.load();
    let prepared = 0;
    const reconciler = new Reconciler({
      source: new FileSpecSource(t.config.source.path!),
      parse: parseWith(t.config),
      prepare: (spec) => {
        prepared++;
        return prepareGeneration(spec, t.config, new Date());
      },
      applier: new FileApplier({ stateDir: t.config.stateDir }),
      history,
      events: { enqueue: async () => undefined },
      logger: silentLogger,
    });
    await reconciler.recover();
    assert.equal((await reconciler.reconcile('start')).result, 'applied');
    assert.equal(prepared, 1);
    for (let i = 0; i < 9; i++) assert.equal((await reconciler.reconcile('poll')).result, 'unchanged');
    assert.equal(prepared, 1, 'nine idle polls prepared nothing');
    assert.equal((await reconciler.reconcile('poll')).result, 'unchanged');
    assert.equal(prepared, 2, 'the tenth is checked in full');
    await reconciler.reconcile('certificate-changed');
    await reconciler.reconcile('sighup');
    assert.equal(prepared, 4, 'other triggers always check in full');
    await t.writeSpec(
      httpSpec((s) => {
        s.port = 8081;
      }),
    );
    assert.equal((await reconciler.reconcile('poll')).result, 'applied', 'a changed text is applied');
    assert.equal(prepared, 5);
  });
});

describe('config_rejected reporting', () => {
  it('a spec that breaks again after a good one is reported again', async () => {
    const t = await setup();
    roots.push(t.root);
    const bad = httpSpec((s) => {
      s.port = 0;
    });
    const { reconciler } = await t.make();
    await t.writeSpec(bad);
    await reconciler.reconcile('poll');
    await reconciler.reconcile('poll');
    await t.writeSpec(httpSpec());
    assert.equal((await reconciler.reconcile('poll')).result, 'applied');
    await t.writeSpec(bad);
    await reconciler.reconcile('poll');
    assert.equal(t.events.filter((e) => e.type === 'config_rejected').length, 2);
  });
});

describe('a configuration that fails to apply', () => {
  it('is not retried on every poll: it waits out a backoff (1 min, doubling), unless the spec changes', async () => {
    const t = await setup();
    roots.push(t.root);
    await t.writeSpec(httpSpec());
    // The Envoy config directory's parent is a file: every install fails.
    await writeFile(join(t.root, 'envoy'), 'not a directory');
    let clock = Date.parse('2026-11-26T10:00:00Z');
    const history = new TransactionLog(t.config.stateDir, () => new Date(clock));
    await history.load();
    const reconciler = new Reconciler({
      source: new FileSpecSource(t.config.source.path!),
      parse: parseWith(t.config),
      prepare: (spec) => prepareGeneration(spec, t.config, new Date()),
      applier: new FileApplier({ stateDir: t.config.stateDir }),
      history,
      events: { enqueue: async (type, message, metadata) => void t.events.push({ type, message, metadata }) },
      logger: silentLogger,
      now: () => new Date(clock),
    });
    const first = await reconciler.reconcile('poll');
    assert.equal(first.result, 'failed');
    assert.equal(history.list().length, 1);
    const failures = () => t.events.filter((e) => e.type === 'reload_failed').length;
    assert.equal(failures(), 1);

    clock += 30_000;
    const held = await reconciler.reconcile('poll');
    assert.equal(held.result, 'failed');
    assert.match(held.error ?? '', /not retried yet/);
    assert.equal(history.list().length, 1, 'no new transaction while held');
    assert.equal(failures(), 1);

    clock += 31_000;
    assert.equal((await reconciler.reconcile('poll')).result, 'failed');
    assert.equal(history.list().length, 2, 'retried after 1 min');
    clock += 90_000;
    assert.match(
      (await reconciler.reconcile('poll')).error ?? '',
      /not retried yet/,
      'second backoff is 2 min',
    );

    // An operator's SIGHUP means "try now".
    assert.equal((await reconciler.reconcile('sighup', { retryFailed: true })).result, 'failed');
    assert.equal(history.list().length, 3, 'SIGHUP lifts the backoff');

    // A different spec is tried at once.
    await t.writeSpec(
      httpSpec((s) => {
        s.port = 8081;
      }),
    );
    assert.equal((await reconciler.reconcile('poll')).result, 'failed');
    assert.equal(history.list().length, 4);
  });
});
