import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TlsConfig, TlsSource } from '../../../src/spec/types.ts';
import {
  CERT_FILE_MODE,
  KEY_FILE_MODE,
  readTlsSources,
  removeUnreferenced,
  tlsSpecPaths,
  writeInlineCertificates,
} from '../../../src/tls/store.ts';
import { type IssuedCert, makeCert } from '../../helpers/certs.ts';
import { REPO_ROOT } from '../../helpers/cli-process.ts';

let dir: string;
let cert: IssuedCert;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tls-store-'));
  cert = await makeCert({ key: { kind: 'ec', curve: 'P-256' } });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tlsOf = (certificate: TlsSource, privateKey: TlsSource, ca?: TlsSource): TlsConfig => ({
  certificate,
  privateKey,
  ...(ca ? { ca } : {}),
  minVersion: 'TLSv1.2',
  cipherSuites: [],
  alpn: ['h2', 'http/1.1'],
});
const file = (path: string): TlsSource => ({ kind: 'path', path });
const inline = (pem: string): TlsSource => ({ kind: 'inline', pem });
const isRoot = process.getuid?.() === 0;

/**
 * Root reads any file (CAP_DAC_OVERRIDE): the read runs in a child whose root has no capabilities (setpriv drops
 * the bounding set), as an agent unit without them would. Returns the first problem's message.
 */
function unreadableAsRootWithoutCapabilities(locked: string, certPem: string): string | undefined {
  const script = join(dir, 'read-locked.mts');
  const tls = {
    certificate: { kind: 'inline', pem: certPem },
    privateKey: { kind: 'path', path: locked },
    minVersion: 'TLSv1.2',
    cipherSuites: [],
    alpn: ['h2', 'http/1.1'],
  };
  writeFileSync(
    script,
    `import { readTlsSources } from ${JSON.stringify(join(REPO_ROOT, 'src/tls/store.ts'))};\n` +
      `const r = await readTlsSources(${JSON.stringify(tls)});\n` +
      'process.stdout.write(JSON.stringify(r.ok ? null : r.problems[0]?.message));\n',
  );
  const r = spawnSync(
    'setpriv',
    ['--bounding-set=-all', '--inh-caps=-all', '--', process.execPath, '--import', 'tsx', script],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  assert.ifError(r.error);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string | undefined;
}

describe('readTlsSources', () => {
  it('reads path items and passes inline items through', async () => {
    const certPath = join(dir, 'read-cert.pem');
    await writeFile(certPath, cert.certPem);
    const r = await readTlsSources(tlsOf(file(certPath), inline(cert.keyPem), inline(cert.certPem)));
    assert.ok(r.ok);
    assert.equal(r.value.certificatePem, cert.certPem);
    assert.equal(r.value.privateKeyPem, cert.keyPem);
    assert.equal(r.value.caPem, cert.certPem);
    const noCa = await readTlsSources(tlsOf(file(certPath), inline(cert.keyPem)));
    assert.ok(noCa.ok && !('caPem' in noCa.value));
  });

  it('names the spec path and the file of each missing item, all at once', async () => {
    const missingCert = join(dir, 'nope-cert.pem');
    const missingKey = join(dir, 'nope-key.pem');
    const r = await readTlsSources(tlsOf(file(missingCert), file(missingKey)));
    assert.ok(!r.ok);
    assert.deepEqual(r.problems, [
      { path: 'tls_config.certificate_path', message: `file ${missingCert} does not exist` },
      { path: 'tls_config.private_key_path', message: `file ${missingKey} does not exist` },
    ]);
  });

  it('rejects a directory, a symbolic link, an empty file, a DER file and a file over 1 MiB', async () => {
    const sub = join(dir, 'a-directory');
    await mkdir(sub);
    const link = join(dir, 'link.pem');
    const target = join(dir, 'target.pem');
    await writeFile(target, cert.certPem);
    await symlink(target, link);
    const empty = join(dir, 'empty.pem');
    await writeFile(empty, '');
    const der = join(dir, 'key.der');
    await writeFile(der, Buffer.from([0x30, 0x82, 0x01, 0x00, 0x02, 0x01]));
    const big = join(dir, 'big.pem');
    await writeFile(big, Buffer.alloc(1024 * 1024 + 1, 0x41));
    const exact = join(dir, 'exact.pem');
    await writeFile(exact, Buffer.alloc(1024 * 1024, 0x41));

    const problemOf = async (path: string) => {
      const r = await readTlsSources(tlsOf(inline(cert.certPem), file(path)));
      assert.ok(!r.ok);
      assert.equal(r.problems.length, 1);
      assert.equal(r.problems[0]?.path, 'tls_config.private_key_path');
      return r.problems[0]?.message;
    };
    assert.equal(await problemOf(sub), `file ${sub} is not a regular file (directory)`);
    assert.equal(await problemOf(link), `file ${link} is a symbolic link (not followed)`);
    assert.equal(await problemOf(empty), `file ${empty} is empty`);
    assert.equal(await problemOf(der), `file ${der} holds binary data (DER?); PEM text is expected`);
    assert.equal(await problemOf(big), `file ${big} is too big (1048577 bytes; at most 1 MiB)`);
    const ok = await readTlsSources(tlsOf(inline(cert.certPem), file(exact)));
    assert.ok(ok.ok, 'exactly 1 MiB is allowed');
  });

  it('reports an unreadable file', async () => {
    const locked = join(dir, 'locked.pem');
    await writeFile(locked, cert.keyPem, { mode: 0o000 });
    await chmod(locked, 0o000);
    const message = isRoot
      ? unreadableAsRootWithoutCapabilities(locked, cert.certPem)
      : await (async () => {
          const r = await readTlsSources(tlsOf(inline(cert.certPem), file(locked)));
          assert.ok(!r.ok);
          return r.problems[0]?.message;
        })();
    assert.equal(message, `file ${locked} is not readable (permission denied)`);
  });

  it('tlsSpecPaths follows the kind of each item', () => {
    assert.deepEqual(tlsSpecPaths(tlsOf(inline('x'), file('/k'), inline('y'))), {
      certificate: 'tls_config.certificate_pem',
      privateKey: 'tls_config.private_key_path',
      ca: 'tls_config.ca_cert_pem',
    });
  });
});

describe('writeInlineCertificates', () => {
  it('writes keys 0600 and certificates 0644 exactly, even under a restrictive umask', async () => {
    const keyPath = join(dir, 'w', 'inline-lb-key.pem');
    const certPath = join(dir, 'w', 'inline-lb-cert.pem');
    const old = process.umask(0o077);
    try {
      await writeInlineCertificates(
        [
          { path: keyPath, pem: cert.keyPem, mode: KEY_FILE_MODE },
          { path: certPath, pem: cert.certPem, mode: CERT_FILE_MODE },
        ],
        {},
      );
    } finally {
      process.umask(old);
    }
    assert.equal((await stat(keyPath)).mode & 0o777, 0o600);
    assert.equal((await stat(certPath)).mode & 0o777, 0o644);
    assert.equal(await readFile(keyPath, 'utf8'), cert.keyPem);
    assert.equal(await readFile(certPath, 'utf8'), cert.certPem);
  });

  it('replaces changed content by rename and leaves no temp files', async () => {
    const path = join(dir, 'r', 'inline-lb-cert.pem');
    await writeInlineCertificates([{ path, pem: 'one\n', mode: CERT_FILE_MODE }]);
    const first = await stat(path);
    await writeInlineCertificates([{ path, pem: 'two\n', mode: CERT_FILE_MODE }]);
    const second = await stat(path);
    assert.equal(await readFile(path, 'utf8'), 'two\n');
    assert.notEqual(second.ino, first.ino, 'a new inode: the file was renamed into place, not rewritten');
    assert.deepEqual(await readdir(join(dir, 'r')), ['inline-lb-cert.pem']);
  });

  it('does not rewrite a file whose content, mode and owner already match', async () => {
    const path = join(dir, 'u', 'inline-lb-key.pem');
    await writeInlineCertificates([{ path, pem: cert.keyPem, mode: KEY_FILE_MODE }]);
    const before = await stat(path);
    await writeInlineCertificates([{ path, pem: cert.keyPem, mode: KEY_FILE_MODE }]);
    const again = await stat(path);
    assert.equal(again.ino, before.ino);
    assert.equal(again.mtimeMs, before.mtimeMs);
  });

  it('rewrites identical content whose mode is wrong (a key left world-readable is fixed)', async () => {
    const path = join(dir, 'm', 'inline-lb-key.pem');
    await mkdir(join(dir, 'm'));
    await writeFile(path, cert.keyPem);
    await chmod(path, 0o644);
    const before = await stat(path);
    await writeInlineCertificates([{ path, pem: cert.keyPem, mode: KEY_FILE_MODE }]);
    const after = await stat(path);
    assert.equal(after.mode & 0o777, 0o600);
    assert.notEqual(after.ino, before.ino);
  });

  it('chowns to the configured owner', {
    skip: isRoot ? false : 'chown to another user needs root',
  }, async () => {
    const path = join(dir, 'o', 'inline-lb-key.pem');
    await writeInlineCertificates([{ path, pem: cert.keyPem, mode: KEY_FILE_MODE }], {
      owner: { uid: 65534, gid: 65534 },
    });
    const st = await stat(path);
    assert.equal(st.uid, 65534);
    assert.equal(st.gid, 65534);
    assert.equal(st.mode & 0o777, 0o600);
    // Same content and mode but another owner wanted: rewritten with the new owner.
    await writeInlineCertificates([{ path, pem: cert.keyPem, mode: KEY_FILE_MODE }], {
      owner: { uid: 0, gid: 0 },
    });
    assert.equal((await stat(path)).uid, 0);
  });

  it('refuses a relative path or a mode with more than permission bits', async () => {
    await assert.rejects(writeInlineCertificates([{ path: 'rel.pem', pem: 'x', mode: 0o600 }]), RangeError);
    await assert.rejects(
      writeInlineCertificates([{ path: join(dir, 'x.pem'), pem: 'x', mode: 0o4755 }]),
      RangeError,
    );
  });
});

describe('removeUnreferenced', () => {
  it('removes only prefixed regular files not kept, and stale temp files', async () => {
    const d = join(dir, 'rm');
    await mkdir(d);
    for (const name of ['inline-a-cert.pem', 'inline-b-cert.pem', 'inline-c-key.pem', 'customer.pem']) {
      await writeFile(join(d, name), 'x');
    }
    await writeFile(join(d, '.inline-b-key.pem.123.abcdef.tmp'), 'x');
    await writeFile(join(d, '.customer.pem.swp'), 'x');
    await mkdir(join(d, 'inline-dir'));
    const removed = await removeUnreferenced(d, new Set([join(d, 'inline-a-cert.pem'), 'inline-c-key.pem']));
    assert.deepEqual(removed.sort(), [
      join(d, '.inline-b-key.pem.123.abcdef.tmp'),
      join(d, 'inline-b-cert.pem'),
    ]);
    assert.deepEqual((await readdir(d)).sort(), [
      '.customer.pem.swp',
      'customer.pem',
      'inline-a-cert.pem',
      'inline-c-key.pem',
      'inline-dir',
    ]);
  });

  it('returns nothing for a missing directory and refuses an unsafe prefix', async () => {
    assert.deepEqual(await removeUnreferenced(join(dir, 'absent'), new Set()), []);
    await assert.rejects(removeUnreferenced(dir, new Set(), ''), RangeError);
    await assert.rejects(removeUnreferenced(dir, new Set(), '../'), RangeError);
  });
});
