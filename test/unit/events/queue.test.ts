import assert from 'node:assert/strict';
import { recordingLogger } from '../../helpers/logging.ts';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createEventQueue, type EventQueueOptions } from '../../../src/events/queue.ts';
import { sendOutcomeOf } from '../../../src/events/send.ts';
import type { AgentEvent, SendOutcome } from '../../../src/events/types.ts';
import { Secret } from '../../../src/util/secret.ts';

/** A stand-in for the API: down for the first `downFor` deliveries, then taking events; checks one-at-a-time. */
function fakeApi(downFor = 0) {
  const received: AgentEvent[] = [];
  let calls = 0;
  let concurrent = 0;
  let maxConcurrent = 0;
  const send = async (e: AgentEvent): Promise<SendOutcome> => {
    calls++;
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    await new Promise((r) => setImmediate(r));
    concurrent--;
    if (calls <= downFor) return { kind: 'retry', reason: 'HTTP 503' };
    received.push(e);
    return { kind: 'sent' };
  };
  return { send, received, calls: () => calls, maxConcurrent: () => maxConcurrent };
}

const instantSleep = () => {
  const calls: number[] = [];
  const sleep = (ms: number): Promise<void> => {
    calls.push(ms);
    return new Promise<void>((r) => setImmediate(r));
  };
  return { calls, sleep };
};

const logLines = recordingLogger;

describe('durable event queue', () => {
  let dir: string;
  const queues: { stop(): Promise<void> }[] = [];
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'events-')), 'queue');
  });
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.stop();
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  const queue = (opts: Partial<EventQueueOptions> & Pick<EventQueueOptions, 'send'>) => {
    const q = createEventQueue({ dir, sleep: instantSleep().sleep, random: () => 0.5, ...opts });
    queues.push(q);
    return q;
  };
  const files = async () => (await readdir(dir)).sort();
  const messages = (events: AgentEvent[]) => events.map((e) => e.message);

  it('has the event on disk when enqueue resolves', async () => {
    const q = queue({ send: fakeApi().send, now: () => Date.parse('2025-03-04T05:06:07Z') });
    await q.enqueue('config_updated', 'applied v3', { version: 3 });
    const names = await files();
    assert.deepEqual(names, ['0000000000000001.event.json']);
    const stored = JSON.parse(await readFile(join(dir, names[0]!), 'utf8'));
    assert.equal(stored.type, 'config_updated');
    assert.equal(stored.message, 'applied v3');
    assert.deepEqual(stored.metadata, { version: 3 });
    assert.equal(stored.timestamp, '2025-03-04T05:06:07.000Z');
    assert.equal(typeof stored.id, 'string');
    assert.equal(q.depth(), 1);
  });

  it('delivers in order, one at a time, and deletes what was delivered', async () => {
    const api = fakeApi();
    const q = queue({ send: api.send });
    for (const m of ['a', 'b', 'c', 'd']) await q.enqueue('config_updated', m);
    await q.start();
    await q.enqueue('rollback', 'e');
    assert.equal(await q.flush(5_000), true);
    assert.deepEqual(messages(api.received), ['a', 'b', 'c', 'd', 'e']);
    assert.equal(api.maxConcurrent(), 1);
    assert.deepEqual(await files(), []);
    assert.equal(q.depth(), 0);
  });

  it('holds events while the API is down and delivers them in order when it returns', async () => {
    const api = fakeApi(6);
    const s = instantSleep();
    const q = queue({ send: api.send, sleep: s.sleep, backoff: { baseDelayMs: 100, maxDelayMs: 1_000 } });
    await q.start();
    for (const m of ['a', 'b', 'c']) await q.enqueue('reload_failed', m);
    assert.equal(await q.flush(5_000), true);
    assert.deepEqual(messages(api.received), ['a', 'b', 'c']);
    assert.equal(api.calls(), 9);
    // Full jitter at 0.5 of 100·2ⁿ, capped at 1000.
    assert.deepEqual(s.calls, [50, 100, 200, 400, 500, 500]);
  });

  it('survives a restart: a new queue on the same directory delivers what the old one held, in order', async () => {
    const down = queue({ send: async () => ({ kind: 'retry', reason: 'HTTP 503' }) });
    await down.start();
    for (const m of ['a', 'b', 'c']) await down.enqueue('critical_failure', m);
    await down.stop();
    assert.equal((await files()).length, 3);

    const api = fakeApi();
    const q = queue({ send: api.send });
    await q.enqueue('agent_started', 'd'); // enqueued before start: after the reloaded ones
    await q.start();
    assert.equal(await q.flush(5_000), true);
    assert.deepEqual(messages(api.received), ['a', 'b', 'c', 'd']);
    assert.equal(new Set(api.received.map((e) => e.id)).size, 4);
  });

  it('after a crash: reloads acknowledged events, discards torn temp files, drops unreadable ones', async () => {
    const first = queue({ send: fakeApi().send });
    await first.enqueue('config_updated', 'a');
    await first.enqueue('config_updated', 'b');
    // A crash mid-write leaves a temp file; a damaged disk leaves garbage.
    await writeFile(join(dir, '.0000000000000003.event.json.123.abc.tmp'), '{"half":');
    await writeFile(join(dir, '0000000000000004.event.json'), 'not json');
    const drops: string[] = [];
    const api = fakeApi();
    const q = queue({ send: api.send, onDrop: (_e, reason) => drops.push(reason) });
    await q.start();
    assert.equal(await q.flush(5_000), true);
    assert.deepEqual(messages(api.received), ['a', 'b']);
    assert.deepEqual(drops, ['corrupt']);
    assert.equal(q.dropped(), 1);
    assert.deepEqual(await files(), []);
  });

  it('is bounded: past maxEvents the oldest are dropped, counted and logged', async () => {
    const { lines, logger } = logLines();
    const dropped: string[] = [];
    const q = queue({
      send: fakeApi().send,
      maxEvents: 3,
      logger,
      onDrop: (e) => dropped.push(e?.message ?? '?'),
    });
    for (const m of ['1', '2', '3', '4', '5']) await q.enqueue('config_updated', m);
    assert.equal(q.depth(), 3);
    assert.equal(q.dropped(), 2);
    assert.deepEqual(dropped, ['1', '2']);
    assert.equal((await files()).length, 3);
    assert.equal(lines.filter((l) => l.includes('event dropped')).length, 2);
    const api = fakeApi();
    const again = queue({ send: api.send, maxEvents: 3 });
    await again.start();
    await again.flush(5_000);
    assert.deepEqual(messages(api.received), ['3', '4', '5']);
  });

  it('drops an event the API rejects for good and moves on', async () => {
    const { lines, logger } = logLines();
    const received: string[] = [];
    const send = async (e: AgentEvent): Promise<SendOutcome> => {
      if (e.message === 'bad') return { kind: 'drop', reason: 'HTTP 422' };
      received.push(e.message);
      return { kind: 'sent' };
    };
    const q = queue({ send, logger });
    for (const m of ['a', 'bad', 'c']) await q.enqueue('config_rejected', m);
    await q.start();
    assert.equal(await q.flush(5_000), true);
    assert.deepEqual(received, ['a', 'c']);
    assert.equal(q.dropped(), 1);
    assert.ok(lines.some((l) => l.includes('event dropped') && l.includes('HTTP 422')));
  });

  it('treats a throwing sender as a failed delivery to retry', async () => {
    let n = 0;
    const received: string[] = [];
    const q = queue({
      send: async (e) => {
        if (n++ === 0) throw new Error('socket hang up');
        received.push(e.message);
        return { kind: 'sent' };
      },
    });
    await q.enqueue('rollback', 'a');
    await q.start();
    assert.equal(await q.flush(5_000), true);
    assert.deepEqual(received, ['a']);
  });

  it('flush reports false while the API stays down; stop interrupts the backoff', async () => {
    const q = queue({
      send: async () => ({ kind: 'retry', reason: 'down' }),
      sleep: () => new Promise<void>(() => undefined), // a backoff that would never end by itself
    });
    await q.enqueue('agent_stopping', 'bye');
    await q.start();
    assert.equal(await q.flush(50), false);
    await q.stop();
    assert.equal(q.depth(), 1);
    assert.equal((await files()).length, 1);
  });

  it('scrubs the API key from message and metadata before writing', async () => {
    const key = 'vk_live_0123456789abcdef0123456789abcdef';
    const q = queue({ send: fakeApi().send, secrets: [new Secret(key)] });
    await q.enqueue('critical_failure', `auth failed with Bearer ${key}`, {
      header: `Authorization: Bearer ${key}`,
      nested: { list: ['ok', `x${key}y`] },
      [key]: 'as a key',
      fine: 'kept',
    });
    const text = await readFile(join(dir, (await files())[0]!), 'utf8');
    assert.ok(!text.includes(key));
    const stored = JSON.parse(text);
    assert.equal(stored.message, '[redacted]');
    assert.deepEqual(stored.metadata, {
      header: '[redacted]',
      nested: { list: ['ok', '[redacted]'] },
      '[redacted]': 'as a key',
      fine: 'kept',
    });
  });
});

describe('sendOutcomeOf', () => {
  const err = (
    kind: 'http' | 'network' | 'refused_address',
    status: number | undefined,
    retryable: boolean,
  ) => ({ ok: false, error: { kind, retryable, message: 'm', ...(status ? { status } : {}) } }) as const;
  it('maps delivery results to queue actions', () => {
    assert.deepEqual(sendOutcomeOf({ ok: true, value: undefined }), { kind: 'sent' });
    assert.equal(sendOutcomeOf(err('http', 503, true)).kind, 'retry');
    assert.equal(sendOutcomeOf(err('network', undefined, true)).kind, 'retry');
    assert.equal(sendOutcomeOf(err('http', 422, false)).kind, 'drop');
    assert.equal(sendOutcomeOf(err('http', 400, false)).kind, 'drop');
    // Not the event's fault: keep it.
    assert.equal(sendOutcomeOf(err('http', 401, false)).kind, 'retry');
    assert.equal(sendOutcomeOf(err('refused_address', undefined, false)).kind, 'retry');
  });
});
