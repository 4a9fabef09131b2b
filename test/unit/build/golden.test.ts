// Golden files: every case's rendered documents, compared as text. `UPDATE_GOLDEN=1` rewrites them.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { caseNames, GOLDEN_DIR, OUTPUTS, renderCase } from './goldenCases.ts';

const update = process.env.UPDATE_GOLDEN === '1';
const names = caseNames();

test('there are golden cases', () => {
  assert.ok(names.length >= 12, `expected at least 12 golden cases, found ${names.length}`);
});

for (const name of names) {
  test(`golden: ${name}`, () => {
    const { documents } = renderCase(name);
    for (const output of OUTPUTS) {
      const file = join(GOLDEN_DIR, name, output);
      const actual = documents.get(output);
      if (update) {
        if (actual === undefined) rmSync(file, { force: true });
        else writeFileSync(file, actual);
        continue;
      }
      if (actual === undefined) {
        assert.ok(!existsSync(file), `${name}/${output} exists but nothing was rendered for it`);
        continue;
      }
      assert.ok(existsSync(file), `${name}/${output} is missing (run with UPDATE_GOLDEN=1 to create it)`);
      assert.equal(actual, readFileSync(file, 'utf8'), `${name}/${output} differs`);
    }
  });
}

test('rendering the same case twice gives identical documents and hash', () => {
  for (const name of names) {
    const a = renderCase(name);
    const b = renderCase(name);
    assert.equal(a.rendered.hash, b.rendered.hash, name);
    assert.deepEqual([...a.documents], [...b.documents], name);
  }
});

test('golden cases differ from each other (each case pins something of its own)', () => {
  const seen = new Map<string, string>();
  for (const name of names) {
    const { hash } = renderCase(name).rendered;
    assert.ok(!seen.has(hash), `${name} renders exactly like ${seen.get(hash)}`);
    seen.set(hash, name);
  }
});
