import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/log/logger.ts';
import { Secret } from '../../../src/util/secret.ts';

/** A destination that keeps what is written to it. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const API_KEY = 'vpsie-api-key-0123456789abcdef';
const BEARER = 'Bearer tok-9f8e7d6c5b4a';
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';

function logSecrets(format: 'json' | 'text'): string {
  const out = capture();
  const log = createLogger({ level: 'debug', format }, out.stream);
  log.info(
    {
      apiKey: new Secret(API_KEY),
      request: { headers: { authorization: BEARER, 'vpsie-auth': API_KEY, accept: 'application/json' } },
      tls: { private_key_pem: PEM },
      deep: { a: { b: { c: { token: API_KEY, password: API_KEY } } } },
      list: [{ api_key: API_KEY }],
    },
    'fetched spec',
  );
  log.child({ component: 'source', token: BEARER }).warn({ Authorization: BEARER }, 'retrying');
  log.error({ err: new Error('boom'), key: PEM }, 'apply failed');
  return out.text();
}

describe('createLogger', () => {
  for (const format of ['json', 'text'] as const) {
    it(`never writes secrets (${format})`, () => {
      const text = logSecrets(format);
      assert.match(text, /fetched spec/);
      assert.match(text, /retrying/);
      assert.match(text, /\[redacted\]/);
      for (const secret of [
        API_KEY,
        'tok-9f8e7d6c5b4a',
        'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
        'BEGIN PRIVATE KEY',
      ]) {
        assert.ok(!text.includes(secret), `${format} output contains ${secret}:\n${text}`);
      }
      assert.match(text, /application\/json/, 'fields that are not secrets are kept');
    });
  }

  it('json: one object per line, with level, time, message and fields', () => {
    const out = capture();
    const log = createLogger({ level: 'info', format: 'json' }, out.stream);
    log.info({ generation: 7 }, 'applied');
    log.child({ component: 'apply' }).warn('slow');
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.msg, 'applied');
    assert.equal(lines[0]!.generation, 7);
    assert.equal(lines[0]!.level, 30);
    assert.equal(typeof lines[0]!.time, 'string');
    assert.equal(lines[1]!.component, 'apply');
    assert.equal(lines[1]!.level, 40);
  });

  it('text: human-readable lines, not JSON', () => {
    const out = capture();
    const log = createLogger({ level: 'info', format: 'text' }, out.stream);
    log.info({ generation: 7 }, 'applied');
    log.error(new Error('envoy rejected the configuration'));
    const lines = out.text().trim().split('\n');
    assert.match(lines[0]!, /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\] INFO: applied/);
    assert.match(lines[0]!, /generation/);
    assert.throws(() => JSON.parse(lines[0]!));
    assert.match(out.text(), /ERROR: envoy rejected the configuration/);
  });

  it('honours the level', () => {
    const out = capture();
    const log = createLogger({ level: 'warn', format: 'json' }, out.stream);
    log.debug('hidden');
    log.info('hidden');
    log.warn('shown');
    log.error('shown too');
    assert.doesNotMatch(out.text(), /hidden/);
    assert.equal(out.text().trim().split('\n').length, 2);
  });
});
