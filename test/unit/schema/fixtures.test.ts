/**
 * Data-driven: every real Envoy config in the shared fixtures checks clean, and every single-mistake mutant
 * is reported at the manifest's path with the manifest's message fragment.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatProblem } from '../../../src/util/result.ts';
import { checkEnvoyText } from '../../../src/envoy/schema/index.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = resolve(repoRoot, '..', 'shared', 'third_party', 'envoy-configs');

interface ValidCase {
  file: string;
  type?: string;
}
interface InvalidCase {
  file: string;
  description: string;
  type?: string;
  args?: string[];
  expect: { path: string; message: string };
}

const readJson = <T>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;
const validCases = readJson<ValidCase[]>(join(fixtures, 'valid', 'manifest.json'));
const invalidCases = readJson<InvalidCase[]>(join(fixtures, 'invalid', 'manifest.json'));

describe('valid Envoy configs check clean', () => {
  test('the manifest lists the fixtures', () => assert.ok(validCases.length >= 60));
  for (const c of validCases) {
    test(c.file, () => {
      const file = join(fixtures, 'valid', c.file);
      const problems = checkEnvoyText(readFileSync(file, 'utf8'), file, c.type);
      assert.deepEqual(problems.map(formatProblem), []);
    });
  }
});

describe('each invalid mutant is reported where the manifest says', () => {
  test('the manifest lists all 83 cases', () => assert.equal(invalidCases.length, 83));
  for (const c of invalidCases) {
    test(`${c.file}: ${c.description}`, () => {
      const file = join(fixtures, 'invalid', c.file);
      const options = c.args?.includes('--check-files') ? { checkFiles: true, baseDir: dirname(file) } : {};
      const problems = checkEnvoyText(readFileSync(file, 'utf8'), file, c.type, options);
      const hit = problems.find((p) => p.path === c.expect.path && p.message.includes(c.expect.message));
      assert.ok(
        hit,
        `expected ${c.expect.path}: …${c.expect.message}… among:\n${problems.map(formatProblem).join('\n')}`,
      );
    });
  }
});
