// An operator's hold with the file applier (no Envoy): the events the API receives, the files that serve, and a
// fresh reconciler (an agent restart) that keeps holding until the spec changes.
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseWith } from '../../../src/agent.ts';
import { FileApplier } from '../../../src/apply/file-applier.ts';
import { TransactionLog } from '../../../src/apply/history.ts';
import { HoldStore } from '../../../src/apply/hold.ts';
import { SpecArchive } from '../../../src/apply/spec-archive.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import { prepareGeneration } from '../../../src/pipeline.ts';
import { type EventKind, Reconciler } from '../../../src/reconcile/reconciler.ts';
import { FileSpecSource } from '../../../src/source/file-source.ts';
import { httpSpec, tempAgentConfig } from '../../helpers/agent-config.ts';

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

const withPort = (port: number) =>
  httpSpec((s) => {
    s.backends = [{ id: 'b1', address: '10.0.0.11', port, weight: 1 }];
  });

describe('rollback and hold (file applier)', () => {
  it('rolls back, holds across a new reconciler, reports events, and ends on a changed spec', async () => {
    const { config, root } = await tempAgentConfig();
    roots.push(root);
    const events: { type: EventKind; metadata?: Record<string, unknown> }[] = [];
    const make = async () => {
      const history = new TransactionLog(config.stateDir);
      await history.load();
      const reconciler = new Reconciler({
        source: new FileSpecSource(config.source.path!),
        parse: parseWith(config),
        prepare: (spec) => prepareGeneration(spec, config, new Date()),
        applier: new FileApplier({ stateDir: config.stateDir }),
        history,
        hold: new HoldStore(config.stateDir),
        specs: new SpecArchive(config.stateDir),
        events: { enqueue: async (type, _message, metadata) => void events.push({ type, metadata }) },
        logger: silentLogger,
      });
      await reconciler.recover();
      return reconciler;
    };
    const write = (spec: unknown) => writeFile(config.source.path!, JSON.stringify(spec));
    // The endpoints Envoy is given (one EDS file per pool).
    const clusters = async () => {
      const dir = join(config.envoy.configPath, 'endpoints');
      const names = await readdir(dir);
      return (await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')))).join('\n');
    };

    await write(withPort(8001));
    let r = await make();
    const a = await r.reconcile('poll');
    await write(withPort(8002));
    const b = await r.reconcile('poll');
    assert.equal(b.result, 'applied');
    assert.match(await clusters(), /"port_value":8002/);

    const rolled = await r.rollback(undefined);
    assert.ok(rolled.ok, rolled.message);
    assert.match(await clusters(), /"port_value":8001/);
    assert.deepEqual(
      events.slice(-2).map((e) => [e.type, e.metadata?.operator, e.metadata?.hash]),
      [
        ['rollback', true, a.hash],
        ['config_held', true, a.hash],
      ],
    );
    assert.equal(events.at(-1)?.metadata?.held_from, b.hash);
    // While held, the spec described is the one that serves (8001), not the one that waits (8002).
    assert.equal(r.spec?.pools[0]?.backends[0]?.port, 8001);
    assert.equal((await r.reconcile('poll')).result, 'held');

    // A restart: a new reconciler on the same state_dir still holds, and still describes what serves.
    r = await make();
    const again = await r.reconcile('start');
    assert.equal(again.result, 'held');
    assert.equal(r.spec?.pools[0]?.backends[0]?.port, 8001);
    assert.match(await clusters(), /"port_value":8001/);

    // A changed spec ends the hold and is applied.
    await write(withPort(8003));
    const c = await r.reconcile('poll');
    assert.equal(c.result, 'applied');
    assert.equal(events.find((e) => e.type === 'hold_released')?.metadata?.reason, 'the spec changed');
    assert.match(await clusters(), /"port_value":8003/);
    assert.equal((await r.release('x')).ok, false);
  });
});
