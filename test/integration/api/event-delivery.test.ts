// The durable queue delivering through the real client to the HTTPS fake: outage, recovery, restart.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEventQueue } from '../../../src/events/queue.ts';
import { sendOutcomeOf } from '../../../src/events/send.ts';
import { createVpsieClient } from '../../../src/source/vpsie/client.ts';
import { Secret } from '../../../src/util/secret.ts';
import { FakeVpsieApi } from '../../fakes/vpsie-api.ts';
import { API_KEY, devConfig, recordingSleep } from './setup.ts';

describe('event delivery through the API client', () => {
  let api: FakeVpsieApi;
  let dir: string;
  before(async () => {
    api = await FakeVpsieApi.start({ apiKey: API_KEY });
    dir = await mkdtemp(join(tmpdir(), 'event-delivery-'));
  });
  after(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('queues through an outage and a restart, then delivers every event once, in order', async () => {
    const client = createVpsieClient({
      vpsie: devConfig(api),
      apiKey: new Secret(API_KEY),
      ca: api.caPem,
      sleep: recordingSleep().sleep,
      limits: { maxAttempts: 1 },
    });
    const send = async (e: Parameters<typeof client.postEvent>[0]) =>
      sendOutcomeOf(await client.postEvent(e));
    // The API is down for the first queue's whole life.
    const outage = { match: { method: 'POST', pathIncludes: '/events' }, status: 503 };
    api.setOutage(outage);
    const first = createEventQueue({ dir, send, sleep: recordingSleep().sleep, random: () => 0 });
    await first.start();
    await first.enqueue('agent_started', 'agent 1.0 started');
    await first.enqueue('config_updated', 'applied generation 7', { generation: 7 });
    assert.equal(await first.flush(100), false);
    await first.stop();
    assert.equal(api.events.length, 0);
    assert.ok(api.eventRequests().length >= 1);

    // "Restart": a new queue on the same directory; the API answers 503 a few more times, then recovers.
    api.setOutage(undefined);
    api.script(outage, outage, outage);
    const second = createEventQueue({ dir, send, sleep: recordingSleep().sleep, random: () => 0 });
    await second.enqueue('rollback', 'rolled back to generation 6', { generation: 6 });
    await second.start();
    assert.equal(await second.flush(5_000), true);
    await second.stop();
    client.close();

    assert.equal(api.pendingScript(), 0);
    assert.deepEqual(
      api.events.map((e) => (e as { type: string; message: string }).message),
      ['agent 1.0 started', 'applied generation 7', 'rolled back to generation 6'],
    );
    assert.deepEqual((api.events[1] as { metadata: unknown }).metadata, { generation: 7 });
    const keys = api.eventRequests().map((r) => r.headers['idempotency-key']);
    assert.equal(new Set(keys).size, 3);
    assert.deepEqual(await readdir(dir), []);
  });
});
