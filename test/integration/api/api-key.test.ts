import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { readApiKey } from '../../../src/source/vpsie/api-key.ts';
import { formatProblem } from '../../../src/util/result.ts';

describe('readApiKey', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'api-key-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const keyFile = async (name: string, content: string, mode = 0o600) => {
    const p = join(dir, name);
    await writeFile(p, content);
    await chmod(p, mode);
    return p;
  };

  it('reads and trims the key, which then prints as [redacted]', async () => {
    const r = await readApiKey(await keyFile('ok', '  sekrit-123\n'));
    assert.ok(r.ok);
    assert.equal(r.value.reveal(), 'sekrit-123');
    assert.equal(`${r.value}`, '[redacted]');
    assert.equal(inspect(r.value), '[redacted]');
    assert.deepEqual(r.warnings, []);
  });

  it('names the file when it is empty', async () => {
    const p = await keyFile('empty', ' \n\t\n');
    const r = await readApiKey(p);
    assert.ok(!r.ok);
    assert.equal(formatProblem(r.problems[0]!), `${p}: API key file is empty`);
  });

  it('names the file when it is missing', async () => {
    const p = join(dir, 'missing');
    const r = await readApiKey(p);
    assert.ok(!r.ok);
    assert.equal(formatProblem(r.problems[0]!), `${p}: cannot open API key file (ENOENT)`);
  });

  it('refuses a key with inner whitespace without echoing it', async () => {
    const r = await readApiKey(await keyFile('two', 'first-part second-part'));
    assert.ok(!r.ok);
    assert.ok(!JSON.stringify(r).includes('first-part'));
  });

  it('warns when group or others can read the file', async () => {
    const p = await keyFile('open', 'sekrit-456', 0o644);
    const r = await readApiKey(p);
    assert.ok(r.ok);
    assert.deepEqual(r.warnings, [
      `${p}: API key file is accessible by group or others (mode 0644); chmod 600 it`,
    ]);
  });

  it('refuses a directory', async () => {
    const r = await readApiKey(dir);
    assert.ok(!r.ok);
    assert.match(r.problems[0]!.message, /not a regular file/);
  });
});
