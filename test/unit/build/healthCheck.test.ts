import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildHealthCheck as buildModelCheck, statusRanges } from '../../../src/envoy/build/healthCheck.ts';
import { flatHealthCheck } from '../../../src/model/flat.ts';

/** The flat form's check, through the model. */
const buildHealthCheck = (hc: HealthCheck) => buildModelCheck(flatHealthCheck(hc));
import type { HealthCheck } from '../../../src/spec/types.ts';

test('consecutive statuses merge into half-open ranges', () => {
  assert.deepEqual(statusRanges([204, 200, 201, 202, 301, 302, 404]), [
    { start: 200, end: 203 },
    { start: 204, end: 205 },
    { start: 301, end: 303 },
    { start: 404, end: 405 },
  ]);
  assert.deepEqual(statusRanges([200]), [{ start: 200, end: 201 }]);
  assert.deepEqual(statusRanges([599, 100]), [
    { start: 100, end: 101 },
    { start: 599, end: 600 },
  ]);
});

test('ranges accept exactly the given statuses, sorted, disjoint and never adjacent', () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.integer({ min: 100, max: 599 }), { minLength: 1, maxLength: 60 }),
      (statuses) => {
        const ranges = statusRanges(statuses);
        const wanted = new Set(statuses);
        for (let s = 100; s < 600; s++) {
          const covered = ranges.some((r) => r.start <= s && s < r.end);
          assert.equal(covered, wanted.has(s), `status ${s}`);
        }
        for (let i = 1; i < ranges.length; i++) {
          const prev = ranges[i - 1]!;
          const cur = ranges[i]!;
          assert.ok(prev.end < cur.start, 'sorted, disjoint and not adjacent');
        }
        for (const r of ranges) assert.ok(r.start >= 100 && r.end <= 600 && r.start < r.end);
      },
    ),
    { numRuns: 200 },
  );
});

const http: HealthCheck = {
  type: 'http',
  intervalSeconds: 10,
  timeoutSeconds: 3,
  unhealthyThreshold: 4,
  healthyThreshold: 2,
  path: '/healthz',
  expectedStatus: [200, 204],
  headers: [
    { name: 'X-Probe', value: 'vpsie' },
    { name: 'host', value: 'app.example.com' },
    { name: 'Accept', value: 'text/plain' },
  ],
};

test('an http check: timings, path, statuses; Host becomes the check host, other headers are added sorted', () => {
  assert.deepEqual(buildHealthCheck(http), {
    timeout: '3s',
    interval: '10s',
    no_traffic_interval: '10s',
    unhealthy_threshold: 4,
    healthy_threshold: 2,
    http_health_check: {
      path: '/healthz',
      host: 'app.example.com',
      request_headers_to_add: [
        { header: { key: 'Accept', value: 'text/plain' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
        { header: { key: 'X-Probe', value: 'vpsie' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' },
      ],
      expected_statuses: [
        { start: 200, end: 201 },
        { start: 204, end: 205 },
      ],
    },
  });
});

test('the order of headers in the spec does not change the check', () => {
  const reversed = { ...http, headers: [...http.headers].reverse() };
  assert.deepEqual(buildHealthCheck(reversed), buildHealthCheck(http));
});

test('a check without headers adds none', () => {
  const check = buildHealthCheck({ ...http, headers: [] });
  assert.ok('http_health_check' in check);
  assert.deepEqual(Object.keys(check.http_health_check), ['path', 'expected_statuses']);
});

test('a tcp check only connects', () => {
  const check = buildHealthCheck({ ...http, type: 'tcp', headers: [] });
  assert.ok('tcp_health_check' in check);
  assert.deepEqual(check.tcp_health_check, {});
  assert.ok(!('http_health_check' in check));
});
