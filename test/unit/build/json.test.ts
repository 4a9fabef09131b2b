import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toJson } from '../../../src/envoy/build/json.ts';

const endpoint = (i: number) => ({
  endpoint: { address: { socket_address: { address: `10.0.${i >> 8}.${i & 255}`, port_value: 8000 + i } } },
  load_balancing_weight: 1 + (i % 3),
});
const eds = (n: number) => ({
  version_info: 'v1',
  resources: [
    {
      '@type': 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
      cluster_name: 'lb-x',
      endpoints: [{ lb_endpoints: Array.from({ length: n }, (_, i) => endpoint(i)) }],
    },
  ],
});

describe('toJson', () => {
  it('parses back to the same document, for short and long lists', () => {
    for (const n of [0, 1, 5, 40, 1000]) assert.deepEqual(JSON.parse(toJson(eds(n))), eds(n), `${n}`);
  });

  it('puts one endpoint per line, and version_info on the second line (where fileVersion looks)', () => {
    const lines = toJson(eds(1000)).split('\n');
    assert.equal(lines[1], '  "version_info": "v1",');
    const endpointLines = lines.filter((l) => l.includes('"socket_address"'));
    assert.equal(endpointLines.length, 1000);
    for (const l of endpointLines) assert.ok(l.length <= 170, l);
    assert.ok(
      lines.every((l) => l.length <= 200),
      'no line holds more than a small container',
    );
  });

  it('leaves out undefined fields, and refuses a value Envoy would misread', () => {
    assert.deepEqual(JSON.parse(toJson({ a: 1, b: undefined, c: [] })), { a: 1, c: [] });
    assert.throws(() => toJson({ port_value: Number.NaN }), /non-finite/);
    assert.throws(() => toJson({ f: () => 1 }), /function value/);
  });

  it('keeps strings quoted, so "on", "1e3" and "null" stay strings', () => {
    const doc = { a: 'on', b: '1e3', c: 'null', d: 'x"y\n' };
    assert.deepEqual(JSON.parse(toJson(doc)), doc);
  });
});
