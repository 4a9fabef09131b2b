// The files of resources a committed generation no longer holds go, on commit and on recovery after a crash.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileApplier } from '../../../src/apply/file-applier.ts';
import type { Generation, PlannedFile } from '../../../src/apply/types.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('FileApplier and the per-resource directories', () => {
  it('a commit removes the route file of a removed rule; recovery removes what a crash left', async () => {
    const root = await mkdtemp(join(tmpdir(), 'vpsie-lb-file-applier-'));
    dirs.push(root);
    const routes = join(root, 'envoy', 'routes');
    const file = (name: string): PlannedFile => ({
      role: 'routes',
      path: join(routes, name),
      content: `version_info: "${name}"\n`,
      mode: 0o644,
      resource: name,
    });
    const generation = (hash: string, names: string[]): Generation => ({
      hash: hash.repeat(64),
      files: names.map(file),
    });
    const options = { stateDir: join(root, 'state'), resourceDirectories: [routes] };
    const applier = new FileApplier(options);
    await applier.recover();
    assert.deepEqual(await applier.apply(generation('a', ['a.yaml', 'b.yaml']), 't1'), { ok: true });
    assert.deepEqual((await readdir(routes)).sort(), ['a.yaml', 'b.yaml']);
    assert.deepEqual(await applier.apply(generation('b', ['a.yaml']), 't2'), { ok: true });
    assert.deepEqual(await readdir(routes), ['a.yaml'], 'the removed rule leaves no file behind');

    // A crash between a commit and its cleanup (or a crashed write) leaves files: the next start removes them.
    await writeFile(join(routes, 'b.yaml'), 'stale');
    await writeFile(join(routes, '.a.yaml.123.abcdef.tmp'), 'half');
    await new FileApplier(options).recover();
    assert.deepEqual(await readdir(routes), ['a.yaml']);
  });
});
