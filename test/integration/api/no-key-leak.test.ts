// Runs the failure scenarios a hostile or broken network produces (including a server that echoes the key back)
// and checks that the API key appears in no log line, error, stored event or delivered event.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEventQueue } from '../../../src/events/queue.ts';
import { sendOutcomeOf } from '../../../src/events/send.ts';
import { createVpsieClient } from '../../../src/source/vpsie/client.ts';
import { Secret } from '../../../src/util/secret.ts';
import { FakeVpsieApi } from '../../fakes/vpsie-api.ts';
import { API_KEY, devConfig, recordingLogger, recordingSleep, strictConfig } from './setup.ts';

describe('the API key never leaks', () => {
  let api: FakeVpsieApi;
  let dir: string;
  before(async () => {
    api = await FakeVpsieApi.start({ apiKey: API_KEY });
    dir = await mkdtemp(join(tmpdir(), 'no-leak-'));
  });
  after(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('across failures, retries, refusals and event delivery', async () => {
    const { logger, lines } = recordingLogger();
    const apiKey = new Secret(API_KEY);
    const outputs: string[] = [];
    const client = createVpsieClient({
      vpsie: devConfig(api),
      apiKey,
      ca: api.caPem,
      logger,
      sleep: recordingSleep().sleep,
      limits: { maxAttempts: 2, headersTimeoutMs: 100, maxBodyBytes: 64 * 1024 },
    });
    const echo = `{"error":"invalid token ${API_KEY}"}`;
    const scenarios: { script: Parameters<FakeVpsieApi['script']>; call: () => Promise<unknown> }[] = [
      { script: [{ status: 401, body: echo }], call: () => client.fetchSpec() },
      {
        script: [
          { status: 500, body: echo },
          { status: 503, body: echo },
        ],
        call: () => client.fetchSpec(),
      },
      {
        script: [
          { status: 429, body: echo, headers: { 'retry-after': '1' } },
          { status: 429, body: echo, headers: { 'retry-after': '1' } },
        ],
        call: () => client.fetchSpec(),
      },
      { script: [{ match: { method: 'PUT' }, status: 422, body: echo }], call: () => client.putStatus('x') },
      {
        script: [{ status: 302, headers: { location: `https://${API_KEY}.evil.example/` } }],
        call: () => client.fetchSpec(),
      },
      { script: [{ stall: 'before_headers' }, { stall: 'before_headers' }], call: () => client.fetchSpec() },
      { script: [{ hugeBodyBytes: 1024 * 1024 }], call: () => client.fetchSpec() },
      { script: [{ destroySocket: true }, { destroySocket: true }], call: () => client.fetchSpec() },
      { script: [{ status: 400, body: echo }], call: () => client.postMetrics({ note: 'x' }) },
    ];
    for (const s of scenarios) {
      api.script(...s.script);
      const r = await s.call();
      outputs.push(JSON.stringify(r));
      assert.ok(!(r as { ok: boolean }).ok, `scenario should fail: ${JSON.stringify(r)}`);
      api.clearScript();
    }
    const strict = createVpsieClient({
      vpsie: strictConfig(`https://127.0.0.1:${api.port}/v2`, { allowedHosts: ['127.0.0.1'] }),
      apiKey,
      logger,
    });
    outputs.push(JSON.stringify(await strict.fetchSpec()));

    const queue = createEventQueue({
      dir,
      logger,
      secrets: [apiKey],
      sleep: recordingSleep().sleep,
      send: async (e) => sendOutcomeOf(await client.postEvent(e)),
    });
    api.script({ match: { method: 'POST', pathIncludes: '/events' }, status: 503, body: echo });
    await queue.enqueue('critical_failure', `request failed: Authorization: Bearer ${API_KEY}`, {
      detail: API_KEY,
      apiKey: apiKey.toString(),
    });
    const stored = await Promise.all((await readdir(dir)).map((f) => readFile(join(dir, f), 'utf8')));
    await queue.start();
    assert.equal(await queue.flush(5_000), true);
    await queue.stop();
    client.close();
    strict.close();
    logger.info({ apiKey }, 'a careless log line');

    // The key did go out, as a header, to the right server: the checks below are not vacuous.
    assert.ok(api.requests.some((r) => r.headers.authorization === `Bearer ${API_KEY}`));
    assert.ok(lines.length > 0 && stored.length === 1 && api.events.length === 1);
    const everything = [...lines, ...outputs, ...stored, ...api.events.map((e) => JSON.stringify(e))];
    for (const text of everything) assert.ok(!text.includes(API_KEY), `leaked in: ${text.slice(0, 300)}`);
  });
});
