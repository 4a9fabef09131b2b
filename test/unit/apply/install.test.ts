import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { installFiles, installOrder, removeStaleResourceFiles } from '../../../src/apply/install.ts';
import type { PlannedFile } from '../../../src/apply/types.ts';
import { lookupUser } from '../../../src/util/users.ts';
import { REPO_ROOT } from '../../helpers/cli-process.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'vpsie-lb-install-'));
  dirs.push(d);
  return d;
};

describe('installFiles', () => {
  it('installs certificates first and the bootstrap last (make before break)', () => {
    const f = (role: PlannedFile['role']): PlannedFile => ({
      role,
      path: `/x/${role}`,
      content: '',
      mode: 0o644,
    });
    const order = installOrder([
      f('bootstrap'),
      f('listeners'),
      f('certificate'),
      f('clusters'),
      f('secrets'),
      f('static'),
    ]);
    assert.deepEqual(
      order.map((x) => x.role),
      ['certificate', 'secrets', 'clusters', 'listeners', 'static', 'bootstrap'],
    );
  });

  it("hands certificate and key files to Envoy's user with their exact modes; config files stay the agent's", async (t) => {
    if (process.getuid?.() !== 0) return t.skip('chown needs root (CI runs as root)');
    const dir = await tempDir();
    const owner = { uid: 65534, gid: 65534 };
    const files: PlannedFile[] = [
      { role: 'certificate', path: join(dir, 'inline-a.key.pem'), content: 'KEY', mode: 0o600 },
      { role: 'certificate', path: join(dir, 'inline-a.crt.pem'), content: 'CERT', mode: 0o644 },
      { role: 'clusters', path: join(dir, 'clusters.yaml'), content: 'resources: []\n', mode: 0o644 },
    ];
    await installFiles(files, { certificateOwner: owner });
    const key = await stat(files[0]!.path);
    assert.equal(key.mode & 0o777, 0o600);
    assert.deepEqual([key.uid, key.gid], [65534, 65534]);
    assert.equal((await stat(files[1]!.path)).mode & 0o777, 0o644);
    assert.equal((await stat(files[1]!.path)).uid, 65534);
    assert.equal((await stat(files[2]!.path)).uid, 0);
  });

  it('leaves identical files alone (no rename, so Envoy sees no change) and replaces changed ones', async () => {
    const dir = await tempDir();
    const file: PlannedFile = {
      role: 'clusters',
      path: join(dir, 'clusters.yaml'),
      content: 'a\n',
      mode: 0o644,
    };
    assert.deepEqual(await installFiles([file]), [file.path]);
    const inode = (await stat(file.path)).ino;
    assert.deepEqual(await installFiles([file]), []);
    assert.equal((await stat(file.path)).ino, inode);
    assert.deepEqual(await installFiles([{ ...file, content: 'b\n' }]), [file.path]);
    assert.notEqual((await stat(file.path)).ino, inode);
    assert.equal(await readFile(file.path, 'utf8'), 'b\n');
  });
});

describe('lookupUser', () => {
  it('reads uid and primary gid from a passwd file; unknown users are undefined', async () => {
    const dir = await tempDir();
    const passwd = join(dir, 'passwd');
    await writeFile(
      passwd,
      'root:x:0:0:root:/root:/bin/bash\nenvoy:x:101:101::/nonexistent:/usr/sbin/nologin\n',
    );
    assert.deepEqual(await lookupUser('envoy', passwd), { uid: 101, gid: 101 });
    assert.equal(await lookupUser('envo', passwd), undefined);
  });
});

describe('installFiles without CAP_DAC_OVERRIDE (as the packaged agent runs)', () => {
  it("does not rewrite a key it already handed to Envoy's user, although it can no longer read it", async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to hand files to another user');
    const dir = await tempDir();
    const key = join(dir, 'inline-0123456789abcdef.key.pem');
    const owner = { uid: 65534, gid: 65534 };
    await installFiles([{ role: 'certificate', path: key, content: 'KEY\n', mode: 0o600 }], {
      certificateOwner: owner,
    });
    const inode = (await stat(key)).ino;
    // Run a second install in a process whose root has no capabilities (setpriv drops the bounding set).
    const script = join(dir, 'again.mts');
    await writeFile(
      script,
      `import { installFiles } from ${JSON.stringify(join(REPO_ROOT, 'src/apply/install.ts'))};\n` +
        `const replaced = await installFiles([{ role: 'certificate', path: ${JSON.stringify(key)}, content: 'KEY\\n', mode: 0o600 }], { certificateOwner: { uid: 65534, gid: 65534 } });\n` +
        'process.stdout.write(JSON.stringify(replaced));\n',
    );
    const r = spawnSync(
      'setpriv',
      ['--bounding-set=-all', '--inh-caps=-all', '--', process.execPath, '--import', 'tsx', script],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.ifError(r.error);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '[]');
    assert.equal((await stat(key)).ino, inode);
  });
});

describe('removeStaleResourceFiles', () => {
  it('removes per-resource files and crashed temp files the committed generation does not hold, nothing else', async () => {
    const dir = await tempDir();
    const routes = join(dir, 'routes');
    const endpoints = join(dir, 'endpoints');
    await mkdir(routes);
    await mkdir(join(routes, 'sub.yaml'));
    const live = (role: PlannedFile['role'], path: string): PlannedFile => ({
      role,
      path,
      content: 'x',
      mode: 0o644,
    });
    const committed = [
      live('routes', join(routes, 'a.yaml')),
      live('listeners', join(dir, 'listeners.yaml')),
    ];
    for (const name of ['a.yaml', 'b.yaml', 'c.json', '.b.yaml.123.abc.tmp', 'notes.txt', '.hidden'])
      await writeFile(join(routes, name), 'x');
    await writeFile(join(dir, 'listeners.yaml'), 'x');
    await writeFile(join(dir, 'old.yaml'), 'x');

    const removed = await removeStaleResourceFiles(committed, [routes, endpoints]);

    assert.deepEqual(removed.sort(), [
      join(routes, '.b.yaml.123.abc.tmp'),
      join(routes, 'b.yaml'),
      join(routes, 'c.json'),
    ]);
    assert.deepEqual((await readdir(routes)).sort(), ['.hidden', 'a.yaml', 'notes.txt', 'sub.yaml']);
    assert.deepEqual(
      (await readdir(dir)).sort(),
      ['listeners.yaml', 'old.yaml', 'routes'],
      'only the named directories',
    );
    assert.deepEqual(await removeStaleResourceFiles(committed, [routes]), [], 'idempotent');
  });
});
