import assert from 'node:assert/strict';
import { test } from 'node:test';
import { re2Error } from '../../../src/envoy/schema/re2.ts';

test('RE2 syntax that JavaScript lacks is accepted', () => {
  for (const re of [
    '(?i)abc',
    '(?P<id>[0-9]+)',
    '\\Aabc\\z',
    '[[:alpha:]]+',
    '\\pL+',
    '\\Q(a)\\E',
    'a{2,1000}',
    '[]a]',
    '',
  ]) {
    assert.equal(re2Error(re), undefined, re);
  }
});

test('constructs RE2 does not support are rejected', () => {
  for (const re of [
    'a(?=b)',
    'a(?!b)',
    '(?<=a)b',
    '(?<!a)b',
    '(a)\\1',
    '(?>a)',
    'a\\Z',
    'a{1001}',
    '[[:nope:]]',
  ]) {
    assert.notEqual(re2Error(re), undefined, re);
  }
});

test('plain syntax errors are reported', () => {
  for (const re of ['^/api/([a-z', '(abc', 'a**', '*a', 'a\\']) assert.notEqual(re2Error(re), undefined, re);
});
