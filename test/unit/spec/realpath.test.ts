import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolvePathOnDisk } from '../../../src/spec/realpath.ts';

describe('resolvePathOnDisk', () => {
  let root = '';
  before(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'spec-realpath-')));
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    mkdirSync(join(root, 'x', 'y'), { recursive: true });
    writeFileSync(join(root, 'a', 'file'), 'x');
    symlinkSync(join(root, 'x', 'y'), join(root, 'a', 'to-y'));
    symlinkSync('b', join(root, 'a', 'rel-b'));
    symlinkSync('to-y', join(root, 'a', 'chain'));
    symlinkSync(join(root, 'nowhere', 'z'), join(root, 'a', 'dangling'));
    symlinkSync('self', join(root, 'a', 'self'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('agrees with fs.realpathSync on existing paths', () => {
    for (const p of ['a', 'a/b', 'a/file', 'a/to-y', 'a/rel-b', 'a/chain', 'a/b/../to-y/..', 'a/./b/.']) {
      assert.equal(resolvePathOnDisk(join(root, p).replace(/\/$/, '')), realpathSync(`${root}/${p}`), p);
    }
    assert.equal(resolvePathOnDisk('/'), '/');
  });
  it('applies ".." after following a link, as the kernel does', () => {
    assert.equal(resolvePathOnDisk(`${root}/a/to-y/../q`), join(root, 'x', 'q'));
    assert.equal(resolvePathOnDisk(`${root}/a/chain/..`), join(root, 'x'));
  });
  it('tolerates a missing tail', () => {
    assert.equal(resolvePathOnDisk(`${root}/a/b/new/deeper.pem`), join(root, 'a', 'b', 'new', 'deeper.pem'));
    assert.equal(resolvePathOnDisk(`${root}/a/to-y/new.pem`), join(root, 'x', 'y', 'new.pem'));
    assert.equal(resolvePathOnDisk(`${root}/a/missing/../to-y/k`), join(root, 'x', 'y', 'k'));
    assert.equal(resolvePathOnDisk(`${root}/a/file/under-a-file`), join(root, 'a', 'file', 'under-a-file'));
  });
  it('follows a dangling link to where it points', () => {
    assert.equal(resolvePathOnDisk(`${root}/a/dangling`), join(root, 'nowhere', 'z'));
  });
  it('throws ELOOP on a link loop', () => {
    assert.throws(() => resolvePathOnDisk(`${root}/a/self`), { code: 'ELOOP' });
  });
  it('never climbs above the root', () => {
    assert.equal(resolvePathOnDisk('/../../etc/../tmp'), realpathSync('/tmp'));
  });
});
