import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseSpecText } from '../../../src/spec/validate.ts';
import { testContext } from './helpers.ts';

const read = (name: string) => readFileSync(new URL(`../../fixtures/specs/${name}`, import.meta.url), 'utf8');
const ctx = testContext();
const parse = (name: string) => {
  const r = parseSpecText(read(name), ctx);
  if (!r.ok) assert.fail(`${name}: ${JSON.stringify(r.problems)}`);
  return r;
};

describe('example specs', () => {
  it('http-basic.json', () => {
    const { value, warnings } = parse('http-basic.json');
    assert.equal(value.protocol, 'http');
    assert.deepEqual(value.healthCheck?.expectedStatus, [200, 204]);
    assert.deepEqual(
      value.healthCheck?.headers.map((h) => h.name),
      ['Host', 'User-Agent'],
    );
    assert.deepEqual(value.timeouts, { connectSeconds: 5, idleSeconds: 300, requestSeconds: 60 });
    assert.equal(value.maxConnections, 10000);
    assert.equal(value.createdAt, '2024-02-29T10:15:00Z');
    assert.deepEqual(
      value.backends.map((b) => b.enabled),
      [true, true, false],
    );
    assert.deepEqual(warnings, []);
  });
  it('https-inline.json (an envelope)', () => {
    const { value } = parse('https-inline.json');
    assert.equal(value.tls?.certificate.kind, 'inline');
    assert.equal(value.tls?.maxVersion, 'TLSv1.3');
    assert.deepEqual(
      value.backends.map((b) => b.addressKind),
      ['ipv4', 'ipv6', 'hostname'],
    );
  });
  it('https-paths.json', () => {
    const { value } = parse('https-paths.json');
    assert.deepEqual(value.tls?.ca, { kind: 'path', path: '/etc/vpsie-lb/certs/api/clients-ca.pem' });
    assert.equal(value.tls?.minVersion, 'TLSv1.3');
  });
  it('tcp-basic.json', () => {
    const { value } = parse('tcp-basic.json');
    assert.equal(value.healthCheck?.type, 'tcp');
    assert.deepEqual(
      value.backends.map((b) => b.weight),
      [1, 1],
    );
  });
  it('ring-hash.json', () => {
    const { value } = parse('ring-hash.json');
    assert.equal(value.algorithm, 'ring_hash');
    assert.equal(value.backends[1]?.address, 'cache-2.example.net');
    assert.equal(value.maxConnections, undefined);
  });
  it('all-disabled.json warns and ignores the unknown field', () => {
    const { warnings, ignored } = parse('all-disabled.json');
    assert.deepEqual(
      warnings.map((w) => w.path),
      ['backends'],
    );
    assert.deepEqual(ignored, ['future_field']);
  });
  it('api-error.json is an API error', () => {
    const r = parseSpecText(read('api-error.json'), ctx);
    assert.ok(!r.ok);
    assert.equal(r.apiError, 'load balancer not found');
  });
});
