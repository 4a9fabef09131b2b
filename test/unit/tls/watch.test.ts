import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TlsConfig } from '../../../src/spec/types.ts';
import { CertificateWatcher, watchedCertificateFiles } from '../../../src/tls/watch.ts';

const roots: string[] = [];
const watchers: CertificateWatcher[] = [];
after(async () => {
  for (const w of watchers) w.close();
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

const tlsAt = (cert: string, key: string): TlsConfig => ({
  certificate: { kind: 'path', path: cert },
  privateKey: { kind: 'path', path: key },
  minVersion: 'TLSv1.2',
  cipherSuites: [],
  alpn: [],
});

/** Resolves with the next onChange, or rejects after a bound. */
function nextChange(
  w: { next?: (files: readonly string[]) => void },
  ms = 10_000,
): Promise<readonly string[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no change reported')), ms);
    w.next = (files) => {
      clearTimeout(timer);
      resolve(files);
    };
  });
}

async function setup() {
  const root = await mkdtemp(join(tmpdir(), 'certwatch-'));
  roots.push(root);
  const dir = join(root, 'site');
  await mkdir(dir);
  await writeFile(join(dir, 'tls.crt'), 'a');
  await writeFile(join(dir, 'tls.key'), 'a');
  const hook: { next?: (files: readonly string[]) => void } = {};
  const calls: (readonly string[])[] = [];
  const w = new CertificateWatcher({
    debounceMs: 50,
    onChange: (files) => {
      calls.push(files);
      hook.next?.(files);
    },
  });
  watchers.push(w);
  w.update(tlsAt(join(dir, 'tls.crt'), join(dir, 'tls.key')));
  return { dir, w, hook, calls };
}

describe('CertificateWatcher', () => {
  it('lists only path sources', () => {
    const tls: TlsConfig = { ...tlsAt('/c/a.crt', '/c/a.key'), privateKey: { kind: 'inline', pem: 'x' } };
    assert.deepEqual(watchedCertificateFiles(tls), ['/c/a.crt']);
    assert.deepEqual(watchedCertificateFiles(undefined), []);
  });

  it('a replacement by rename of cert and key is one debounced change; other files in the directory do not count', async () => {
    const { dir, hook } = await setup();
    const change = nextChange(hook);
    // Unrelated names first (the agent's own copies, a tool's temp file): not reported.
    await writeFile(join(dir, 'inline-0123456789abcdef.crt.pem'), 'x');
    await writeFile(join(dir, '.tmp-new-cert'), 'b');
    await rename(join(dir, '.tmp-new-cert'), join(dir, 'tls.crt'));
    await writeFile(join(dir, '.tmp-new-key'), 'b');
    await rename(join(dir, '.tmp-new-key'), join(dir, 'tls.key'));
    const files = await change;
    for (const f of files) assert.ok(f === join(dir, 'tls.crt') || f === join(dir, 'tls.key'), f);
    assert.ok(files.includes(join(dir, 'tls.crt')));
  });

  it('stops watching a directory the spec no longer names, and after close', async () => {
    const { dir, w, hook, calls } = await setup();
    const other = join(dir, '..', 'other');
    await mkdir(other);
    w.update(tlsAt(join(other, 'o.crt'), join(other, 'o.key')));
    assert.deepEqual(w.files, [join(other, 'o.crt'), join(other, 'o.key')]);
    // A change in the old directory, then one in the new: only the new one is reported.
    await writeFile(join(dir, 'tls.crt'), 'c');
    const change = nextChange(hook);
    await writeFile(join(other, 'o.crt'), 'c');
    assert.deepEqual(await change, [join(other, 'o.crt')]);
    assert.equal(calls.length, 1);
    w.close();
    w.update(tlsAt(join(dir, 'tls.crt'), join(dir, 'tls.key')));
    assert.deepEqual(w.files, [join(other, 'o.crt'), join(other, 'o.key')]);
  });
});
