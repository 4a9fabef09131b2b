import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateSpec } from '../../../src/spec/validate.ts';
import {
  assertOnlyProblem,
  problemsOf,
  testContext,
  validDoc,
  validHealthCheck,
  accepted,
  withField,
} from './helpers.ts';

const ctx = testContext();
const withHc = (patch: Record<string, unknown>) => {
  const hc: Record<string, unknown> = { ...validHealthCheck(), ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete hc[k];
  return validateSpec(withField(validDoc(), 'health_check', hc), ctx);
};
const hcOf = (patch: Record<string, unknown>) => {
  const hc = accepted(withHc(patch)).value.healthCheck;
  assert.ok(hc);
  return hc;
};

describe('HealthCheck', () => {
  it('reads a full http check and applies defaults', () => {
    assert.deepEqual(hcOf({}), {
      type: 'http',
      intervalSeconds: 10,
      timeoutSeconds: 5,
      unhealthyThreshold: 3,
      healthyThreshold: 2,
      path: '/healthz',
      expectedStatus: [200],
      headers: [],
    });
  });

  it('accepts boundary values', () => {
    assert.equal(hcOf({ interval: 3600, timeout: 3599 }).intervalSeconds, 3600);
    assert.equal(hcOf({ interval: 2, timeout: 1 }).timeoutSeconds, 1);
    assert.equal(hcOf({ unhealthy_threshold: 1, healthy_threshold: 100 }).healthyThreshold, 100);
    assert.equal(hcOf({ unhealthy_threshold: 100 }).unhealthyThreshold, 100);
    assert.equal(hcOf({ type: 'https' }).type, 'https');
    assert.equal(hcOf({ path: `/${'a'.repeat(1023)}` }).path?.length, 1024);
    assert.equal(hcOf({ path: '/a?b=c&d=%20#"{{x}}"~' }).path, '/a?b=c&d=%20#"{{x}}"~');
    assert.deepEqual(hcOf({ expected_status: [100, 599, 204] }).expectedStatus, [100, 599, 204]);
    assert.deepEqual(hcOf({ expected_status: null }).expectedStatus, [200]);
    assert.deepEqual(hcOf({ headers: null }).headers, []);
    assert.deepEqual(hcOf({ headers: {} }).headers, []);
  });

  it('keeps header names and values in document order', () => {
    const headers = {
      Host: 'web.example.com',
      "x-a!#$%&'*+.^_`|~": 'v "quoted" {{ x }}\ttab',
      'X-Empty': '',
    };
    assert.deepEqual(hcOf({ headers }).headers, [
      { name: 'Host', value: 'web.example.com' },
      { name: "x-a!#$%&'*+.^_`|~", value: 'v "quoted" {{ x }}\ttab' },
      { name: 'X-Empty', value: '' },
    ]);
  });

  it('does not need a path for tcp, but validates one that is there and warns it has no effect', () => {
    const tcp = hcOf({ type: 'tcp', path: undefined });
    assert.equal(tcp.path, undefined);
    const r = accepted(withHc({ type: 'tcp', path: '/x' }));
    assert.equal(r.value.healthCheck?.path, undefined);
    assert.deepEqual(
      r.warnings.map((w) => w.path),
      ['health_check'],
    );
    assertOnlyProblem(withHc({ type: 'tcp', path: 'x' }), 'health_check.path', 'must start with "/"');
    assertOnlyProblem(
      withHc({ type: 'tcp', expected_status: [] }),
      'health_check.expected_status',
      'not be empty',
    );
  });

  const bad: [Record<string, unknown>, string, string][] = [
    [{ type: undefined }, 'health_check.type', 'is required'],
    [{ type: 'HTTP' }, 'health_check.type', 'must be one of "tcp", "http", "https"'],
    [{ type: 'grpc' }, 'health_check.type', 'must be one of'],
    [{ interval: undefined }, 'health_check.interval', 'is required'],
    [{ interval: null }, 'health_check.interval', 'is required, got null'],
    [{ interval: 0 }, 'health_check.interval', 'must be 1..3600, got 0'],
    [{ interval: 3601 }, 'health_check.interval', 'must be 1..3600'],
    [{ interval: '10' }, 'health_check.interval', 'must be an integer'],
    [{ timeout: undefined }, 'health_check.timeout', 'is required'],
    [{ timeout: 0 }, 'health_check.timeout', 'must be 1..3600, got 0'],
    [{ timeout: 3601, interval: 3600 }, 'health_check.timeout', 'must be 1..3600'],
    [{ timeout: 10 }, 'health_check.timeout', 'must be less than interval (10), got 10'],
    [{ timeout: 11 }, 'health_check.timeout', 'must be less than interval'],
    [{ timeout: 2.5 }, 'health_check.timeout', 'must be an integer'],
    [{ unhealthy_threshold: undefined }, 'health_check.unhealthy_threshold', 'is required'],
    [{ unhealthy_threshold: 0 }, 'health_check.unhealthy_threshold', 'must be 1..100, got 0'],
    [{ unhealthy_threshold: 101 }, 'health_check.unhealthy_threshold', 'must be 1..100'],
    [{ healthy_threshold: undefined }, 'health_check.healthy_threshold', 'is required'],
    [{ healthy_threshold: 0 }, 'health_check.healthy_threshold', 'must be 1..100'],
    [{ healthy_threshold: 101 }, 'health_check.healthy_threshold', 'must be 1..100, got 101'],
    [{ path: undefined }, 'health_check.path', 'is required'],
    [{ path: null }, 'health_check.path', 'is required, got null'],
    [{ path: undefined, type: 'https' }, 'health_check.path', 'is required'],
    [{ path: 'healthz' }, 'health_check.path', 'must start with "/"'],
    [{ path: '' }, 'health_check.path', 'must start with "/"'],
    [{ path: `/${'a'.repeat(1024)}` }, 'health_check.path', 'at most 1024 characters, got 1025'],
    [{ path: '/a b' }, 'health_check.path', 'visible ASCII'],
    [{ path: '/a\tb' }, 'health_check.path', 'visible ASCII'],
    [{ path: '/a\r\nHost: evil' }, 'health_check.path', 'visible ASCII'],
    [{ path: '/a\u0000' }, 'health_check.path', 'visible ASCII'],
    [{ path: '/a\u007f' }, 'health_check.path', 'visible ASCII'],
    [{ path: '/a\u0085' }, 'health_check.path', 'visible ASCII'],
    [{ path: '/café' }, 'health_check.path', 'visible ASCII'],
    [{ path: '/ｈｅａｌｔｈ' }, 'health_check.path', 'visible ASCII'],
    [{ path: 42 }, 'health_check.path', 'must be a string'],
    [{ expected_status: [] }, 'health_check.expected_status', 'must not be empty'],
    [{ expected_status: 200 }, 'health_check.expected_status', 'must be an array'],
    [{ expected_status: [200, 99] }, 'health_check.expected_status[1]', 'must be 100..599, got 99'],
    [{ expected_status: [600] }, 'health_check.expected_status[0]', 'must be 100..599'],
    [{ expected_status: ['200'] }, 'health_check.expected_status[0]', 'must be an integer'],
    [{ expected_status: [200.5] }, 'health_check.expected_status[0]', 'must be an integer'],
    [{ expected_status: [null] }, 'health_check.expected_status[0]', 'must be an integer, got null'],
    [{ expected_status: [200, 204, 200] }, 'health_check.expected_status[2]', 'duplicate status 200'],
    [{ headers: [] }, 'health_check.headers', 'must be an object'],
    [{ headers: 'Host: x' }, 'health_check.headers', 'must be an object'],
    [{ headers: { 'X-A': null } }, 'health_check.headers.X-A', 'must be a string, got null'],
    [{ headers: { 'X-A': 1 } }, 'health_check.headers.X-A', 'must be a string'],
    [{ headers: { 'X-A': ['a'] } }, 'health_check.headers.X-A', 'must be a string'],
    [{ headers: { 'X-A': 'a\r\nX-Injected: 1' } }, 'health_check.headers.X-A', 'CR, LF or NUL'],
    [{ headers: { 'X-A': 'a\nb' } }, 'health_check.headers.X-A', 'CR, LF or NUL'],
    [{ headers: { 'X-A': 'a\u0000' } }, 'health_check.headers.X-A', 'CR, LF or NUL'],
    [{ headers: { 'bad name': 'v' } }, 'health_check.headers["bad name"]', 'HTTP token'],
    [{ headers: { '': 'v' } }, 'health_check.headers[""]', 'HTTP token'],
    [{ headers: { ':authority': 'v' } }, 'health_check.headers[":authority"]', 'HTTP token'],
    [{ headers: { 'X-A\r\n': 'v' } }, 'health_check.headers["X-A\\r\\n"]', 'HTTP token'],
    [{ headers: { 'X-Ä': 'v' } }, 'health_check.headers["X-Ä"]', 'HTTP token'],
    [{ headers: { '{{x}}': 'v' } }, 'health_check.headers["{{x}}"]', 'HTTP token'],
    [
      { headers: { 'X-A': 'a', 'x-a': 'b' } },
      'health_check.headers.x-a',
      'duplicate header name (also "X-A"',
    ],
  ];
  for (const [patch, path, fragment] of bad) {
    it(`rejects ${JSON.stringify(patch).slice(0, 60)} at ${path}`, () => {
      assertOnlyProblem(withHc(patch), path, fragment);
    });
  }

  it('reports every mistake in a health check at once', () => {
    const problems = problemsOf(
      withHc({ interval: 0, timeout: 'x', path: 'nope', expected_status: [1], headers: [] }),
    );
    assert.deepEqual(problems.map((p) => p.path).sort(), [
      'health_check.expected_status[0]',
      'health_check.headers',
      'health_check.interval',
      'health_check.path',
      'health_check.timeout',
    ]);
  });
});
