import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { toYaml } from '../../../src/envoy/build/yaml.ts';

// Envoy reads YAML 1.1-ish scalars: the emitter must quote every string so that none of these changes type.
const TRICKY = [
  'on',
  'off',
  'yes',
  'no',
  'y',
  'n',
  'true',
  'null',
  '~',
  '1e3',
  '0x1f',
  '0777',
  '12:30',
  '',
  ' x',
  '- a',
  '#c',
  '"q"',
  'a: b',
  '@type',
  '\n',
  'é',
];

describe('toYaml', () => {
  it('round-trips arbitrary JSON data through a YAML parser', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const doc = { value };
        assert.deepEqual(parse(toYaml(doc)), JSON.parse(JSON.stringify(doc)));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps every string a string, whatever it looks like', () => {
    const doc = Object.fromEntries(TRICKY.map((s, i) => [`k${i}`, s]));
    assert.deepEqual(parse(toYaml(doc)), doc);
    for (const line of toYaml(doc).trimEnd().split('\n')) assert.match(line, /^k\d+: "/);
  });

  it('quotes keys only when a plain key would be read differently', () => {
    assert.equal(
      toYaml({ '@type': 'x', a_b: 1, 'x/y': true, 'a b': null }),
      '"@type": "x"\na_b: 1\nx/y: true\n"a b": null\n',
    );
  });

  it('writes block style with list items aligned as Envoy configs usually are', () => {
    assert.equal(
      toYaml({ resources: [{ name: 'a', ports: [1, 2], empty: [], none: {} }] }),
      'resources:\n  - name: "a"\n    ports:\n      - 1\n      - 2\n    empty: []\n    none: {}\n',
    );
  });
});
