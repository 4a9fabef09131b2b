/** Envoy reads YAML through yaml-cpp; these are the conversions that differ from a YAML 1.2 parser. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkEnvoyText } from '../../../src/envoy/schema/index.ts';
import { parseEnvoyText, plainScalar } from '../../../src/envoy/schema/text.ts';

describe('yaml-cpp scalars', () => {
  test('YAML 1.1 booleans', () => {
    for (const s of ['no', 'No', 'NO', 'off', 'n', 'false']) assert.equal(plainScalar(s), false, s);
    for (const s of ['yes', 'On', 'y', 'TRUE']) assert.equal(plainScalar(s), true, s);
    assert.equal(plainScalar('nO'), 'nO');
  });
  test('integers: decimal, hex, octal; beyond int32 as strings; decimals as strings', () => {
    assert.equal(plainScalar('8080'), 8080);
    assert.equal(plainScalar('0x1F'), 31);
    assert.equal(plainScalar('0600'), 384);
    assert.equal(plainScalar('5000000000'), '5000000000');
    assert.equal(plainScalar('0.25'), '0.25');
    assert.equal(plainScalar('08'), '08');
    assert.equal(plainScalar('~'), null);
  });
  test('quoted scalars stay strings', () => {
    const r = parseEnvoyText('a: "no"\nb: \'8080\'\nc: no\nd: 8080\n', 'x.yaml');
    assert.deepEqual(r, { ok: true, value: { a: 'no', b: '8080', c: false, d: 8080 } });
  });
  test('aliases resolve; merge keys stay plain keys', () => {
    const r = parseEnvoyText('base: &b {x: 1}\nuse: *b\nm:\n  <<: *b\n', 'x.yml');
    assert.deepEqual(r, { ok: true, value: { base: { x: 1 }, use: { x: 1 }, m: { '<<': { x: 1 } } } });
  });
  test('syntax errors are problems at <root> with a line number', () => {
    const r = parseEnvoyText('a: [1, 2\nb: 3\n', 'x.yaml');
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.problems[0]?.path, '<root>');
      assert.match(r.problems[0]?.message ?? '', /invalid YAML at line \d+/);
    }
  });
  test('non-YAML extensions are read as JSON', () => {
    const r = parseEnvoyText('{"a": 1}', 'bootstrap.json');
    assert.deepEqual(r, { ok: true, value: { a: 1 } });
    const bad = parseEnvoyText('a: 1', 'bootstrap.json');
    assert.equal(bad.ok, false);
  });
});

describe('checkEnvoyText', () => {
  test('an octal pipe mode from YAML is within its PGV bound (≤ 0777)', () => {
    const yaml = ['admin:', '  address:', '    pipe: {path: /tmp/admin.sock, mode: 0600}', ''].join('\n');
    assert.deepEqual(checkEnvoyText(yaml, 'b.yaml'), []);
    const tooWide = yaml.replace('0600', '1000');
    assert.ok(
      checkEnvoyText(tooWide, 'b.yaml').some(
        (p) => p.path === 'admin.address.pipe.mode' && p.message.includes('less than or equal to 511'),
      ),
    );
  });
  test('the type can be chosen', () => {
    const problems = checkEnvoyText('name: ""\n', 'c.yaml', 'envoy.config.cluster.v3.Cluster');
    assert.ok(problems.some((p) => p.path === 'name' && p.message.includes('at least 1 characters')));
  });
});
