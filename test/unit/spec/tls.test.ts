import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolvePathOnDisk } from '../../../src/spec/realpath.ts';
import { CIPHER_SUITES } from '../../../src/spec/types.ts';
import { validateSpec } from '../../../src/spec/validate.ts';
import {
  assertOnlyProblem,
  CERT_PEM,
  KEY_BODY,
  KEY_PEM,
  problemsOf,
  testContext,
  validHttpsDoc,
  accepted,
  withField,
} from './helpers.ts';

const ctx = testContext();
const withTls = (patch: Record<string, unknown>, base = validHttpsDoc()) => {
  const tls: Record<string, unknown> = { ...(base.tls_config as object), ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete tls[k];
  return validateSpec(withField(base, 'tls_config', tls), ctx);
};
const tlsOf = (patch: Record<string, unknown>) => {
  const tls = accepted(withTls(patch)).value.tls;
  assert.ok(tls);
  return tls;
};
const pem = (label: string, body = 'QUJDRA==') =>
  `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const PATHS = {
  certificate_pem: undefined,
  private_key_pem: undefined,
  certificate_path: '/etc/vpsie-lb/certs/lb.crt',
  private_key_path: '/etc/vpsie-lb/certs/lb.key',
};

describe('TLSConfig', () => {
  it('reads inline PEM and applies defaults', () => {
    assert.deepEqual(tlsOf({}), {
      certificate: { kind: 'inline', pem: CERT_PEM },
      privateKey: { kind: 'inline', pem: KEY_PEM },
      minVersion: 'TLSv1.2',
      cipherSuites: [...CIPHER_SUITES],
      alpn: ['h2', 'http/1.1'],
    });
  });

  it('reads paths inside the certificate directory', () => {
    const tls = tlsOf({ ...PATHS, ca_cert_path: '/etc/vpsie-lb/certs/sub/../ca.pem' });
    assert.deepEqual(tls.certificate, { kind: 'path', path: '/etc/vpsie-lb/certs/lb.crt' });
    assert.deepEqual(tls.privateKey, { kind: 'path', path: '/etc/vpsie-lb/certs/lb.key' });
    assert.deepEqual(tls.ca, { kind: 'path', path: '/etc/vpsie-lb/certs/ca.pem' });
  });

  it('accepts the other allowed forms', () => {
    assert.equal(tlsOf({ max_version: 'TLSv1.3' }).maxVersion, 'TLSv1.3');
    assert.equal(tlsOf({ min_version: 'TLSv1.3', max_version: 'TLSv1.3' }).minVersion, 'TLSv1.3');
    assert.deepEqual(tlsOf({ cipher_suites: ['ECDHE-RSA-CHACHA20-POLY1305'] }).cipherSuites, [
      'ECDHE-RSA-CHACHA20-POLY1305',
    ]);
    assert.deepEqual(tlsOf({ alpn: ['http/1.1'] }).alpn, ['http/1.1']);
    assert.deepEqual(tlsOf({ alpn: null, cipher_suites: null, max_version: null }).alpn, ['h2', 'http/1.1']);
    assert.deepEqual(tlsOf({ ca_cert_pem: CERT_PEM + CERT_PEM }).ca, {
      kind: 'inline',
      pem: CERT_PEM + CERT_PEM,
    });
    for (const label of ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']) {
      assert.equal(tlsOf({ private_key_pem: pem(label) }).privateKey.kind, 'inline');
    }
    // `openssl ecparam -genkey` output: parameters, then the key.
    assert.equal(
      tlsOf({ private_key_pem: pem('EC PARAMETERS') + pem('EC PRIVATE KEY') }).privateKey.kind,
      'inline',
    );
    // Text around the armour, CRLF line ends.
    const crlf = `Bag Attributes\r\n${pem('CERTIFICATE').replaceAll('\n', '\r\n')}trailer`;
    assert.equal(tlsOf({ certificate_pem: crlf }).certificate.kind, 'inline');
    // A path for one item and inline PEM for another.
    assert.equal(
      tlsOf({ certificate_pem: undefined, certificate_path: PATHS.certificate_path }).certificate.kind,
      'path',
    );
  });

  it('is required for https only, and validated whenever present', () => {
    const without = validHttpsDoc();
    delete without.tls_config;
    assertOnlyProblem(validateSpec(without, ctx), 'tls_config', 'is required');
    assertOnlyProblem(
      validateSpec({ ...without, tls_config: null }, ctx),
      'tls_config',
      'is required, got null',
    );
    const http = { ...validHttpsDoc(), protocol: 'http', port: 80 };
    const r = accepted(withTls({}, http));
    assert.ok(r.value.tls, 'kept');
    assert.deepEqual(
      r.warnings.map((w) => w.path),
      ['tls_config'],
    );
    assertOnlyProblem(withTls({ min_version: 'TLSv1.0' }, http), 'tls_config.min_version');
    assertOnlyProblem(
      withTls({ min_version: 'TLSv1.0' }, { ...http, protocol: 'tcp' }),
      'tls_config.min_version',
    );
  });

  const bad: [Record<string, unknown>, string, string][] = [
    [
      { certificate_pem: undefined },
      'tls_config.certificate_path',
      'is required unless certificate_pem is given',
    ],
    [
      { private_key_pem: undefined },
      'tls_config.private_key_path',
      'is required unless private_key_pem is given',
    ],
    [{ certificate_pem: null }, 'tls_config.certificate_path', 'is required unless'],
    [
      { certificate_path: PATHS.certificate_path },
      'tls_config.certificate_pem',
      'not be given together with',
    ],
    [
      { private_key_path: PATHS.private_key_path },
      'tls_config.private_key_pem',
      'not be given together with',
    ],
    [
      { ca_cert_path: '/etc/vpsie-lb/certs/ca.pem', ca_cert_pem: CERT_PEM },
      'tls_config.ca_cert_pem',
      'together',
    ],
    [{ ...PATHS, certificate_path: 'lb.crt' }, 'tls_config.certificate_path', 'must be an absolute path'],
    [{ ...PATHS, certificate_path: '' }, 'tls_config.certificate_path', 'must be an absolute path'],
    [
      { ...PATHS, certificate_path: '/etc/vpsie-lb/certs' },
      'tls_config.certificate_path',
      'inside the certificate',
    ],
    [
      { ...PATHS, certificate_path: '/etc/vpsie-lb/certs/' },
      'tls_config.certificate_path',
      'inside the certificate',
    ],
    [
      { ...PATHS, certificate_path: '/etc/vpsie-lb/certs/.' },
      'tls_config.certificate_path',
      'inside the certificate',
    ],
    [{ ...PATHS, certificate_path: '/etc/vpsie-lb/certs/../x' }, 'tls_config.certificate_path', 'inside'],
    [{ ...PATHS, certificate_path: '/etc/vpsie-lb/certsX/a.pem' }, 'tls_config.certificate_path', 'inside'],
    [{ ...PATHS, certificate_path: '/etc/shadow' }, 'tls_config.certificate_path', 'inside'],
    [{ ...PATHS, certificate_path: '/etc/vpsie-lb/certs/a\npem' }, 'tls_config.certificate_path', 'control'],
    [{ ...PATHS, certificate_path: '/etc/vpsie-lb/certs/a\u0000' }, 'tls_config.certificate_path', 'control'],
    [{ ...PATHS, certificate_path: '/etc/vpsie-lb/certs/a\u009b' }, 'tls_config.certificate_path', 'control'],
    [{ ...PATHS, certificate_path: '/etc/vpsie-lb/certs/a\u007f' }, 'tls_config.certificate_path', 'control'],
    [{ ...PATHS, certificate_path: 7 }, 'tls_config.certificate_path', 'must be a string'],
    [{ ...PATHS, private_key_path: '../lb.key' }, 'tls_config.private_key_path', 'must be an absolute path'],
    [{ ...PATHS, private_key_path: '/root/lb.key' }, 'tls_config.private_key_path', 'inside'],
    [{ ca_cert_path: '/tmp/ca.pem' }, 'tls_config.ca_cert_path', 'inside'],
    [{ certificate_pem: 'MIIB' }, 'tls_config.certificate_pem', 'BEGIN CERTIFICATE'],
    [{ certificate_pem: '' }, 'tls_config.certificate_pem', 'BEGIN CERTIFICATE'],
    [{ certificate_pem: pem('PRIVATE KEY') }, 'tls_config.certificate_pem', 'only CERTIFICATE blocks'],
    [{ certificate_pem: CERT_PEM + pem('RSA PRIVATE KEY') }, 'tls_config.certificate_pem', 'block 2 is RSA'],
    [{ certificate_pem: pem('X509 CRL') }, 'tls_config.certificate_pem', 'only CERTIFICATE'],
    [
      { certificate_pem: '-----BEGIN CERTIFICATE-----\nQUJD\n' },
      'tls_config.certificate_pem',
      'no matching END',
    ],
    [
      { certificate_pem: '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERT-----' },
      'tls_config.certificate_pem',
      'END',
    ],
    [{ certificate_pem: pem('CERTIFICATE', '') }, 'tls_config.certificate_pem', 'base64'],
    [{ certificate_pem: pem('CERTIFICATE', 'not base64!') }, 'tls_config.certificate_pem', 'base64'],
    [
      { certificate_pem: '-----BEGIN certificate-----\nQUJD\n-----END certificate-----' },
      'tls_config.certificate_pem',
      'malformed',
    ],
    [{ certificate_pem: 42 }, 'tls_config.certificate_pem', 'must be a string, got a number'],
    [{ ca_cert_pem: pem('PUBLIC KEY') }, 'tls_config.ca_cert_pem', 'only CERTIFICATE'],
    [{ private_key_pem: CERT_PEM }, 'tls_config.private_key_pem', 'block 1 is CERTIFICATE'],
    [
      { private_key_pem: pem('ENCRYPTED PRIVATE KEY') },
      'tls_config.private_key_pem',
      'ENCRYPTED PRIVATE KEY',
    ],
    [{ private_key_pem: pem('DSA PRIVATE KEY') }, 'tls_config.private_key_pem', 'DSA PRIVATE KEY'],
    [{ private_key_pem: pem('PUBLIC KEY') }, 'tls_config.private_key_pem', 'PUBLIC KEY'],
    [
      { private_key_pem: KEY_PEM + KEY_PEM },
      'tls_config.private_key_pem',
      'exactly one private key block, found 2',
    ],
    [{ private_key_pem: pem('EC PARAMETERS') }, 'tls_config.private_key_pem', 'must hold a PEM private key'],
    [{ private_key_pem: 'just text' }, 'tls_config.private_key_pem', 'must hold a PEM private key'],
    [{ min_version: undefined }, 'tls_config.min_version', 'is required'],
    [{ min_version: null }, 'tls_config.min_version', 'is required, got null'],
    [{ min_version: 'TLSv1.1' }, 'tls_config.min_version', 'must be one of "TLSv1.2", "TLSv1.3"'],
    [{ min_version: 'tlsv1.2' }, 'tls_config.min_version', 'must be one of'],
    [{ min_version: 1.2 }, 'tls_config.min_version', 'must be a string'],
    [{ max_version: 'TLSv1.4' }, 'tls_config.max_version', 'must be one of'],
    [
      { min_version: 'TLSv1.3', max_version: 'TLSv1.2' },
      'tls_config.max_version',
      'not be below min_version',
    ],
    [{ cipher_suites: [] }, 'tls_config.cipher_suites', 'must not be empty'],
    [{ cipher_suites: 'ECDHE-RSA-AES128-GCM-SHA256' }, 'tls_config.cipher_suites', 'must be an array'],
    [
      { cipher_suites: ['ECDHE-RSA-AES128-GCM-SHA256', 'RC4-MD5'] },
      'tls_config.cipher_suites[1]',
      'must be one of',
    ],
    [{ cipher_suites: ['ecdhe-rsa-aes128-gcm-sha256'] }, 'tls_config.cipher_suites[0]', 'must be one of'],
    [
      { cipher_suites: ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'] },
      'tls_config.cipher_suites[1]',
      'duplicate',
    ],
    [{ alpn: [] }, 'tls_config.alpn', 'must not be empty'],
    [{ alpn: ['h3'] }, 'tls_config.alpn[0]', 'must be one of "h2", "http/1.1"'],
    [{ alpn: ['http/1.0'] }, 'tls_config.alpn[0]', 'must be one of'],
    [{ alpn: ['h2', 'h2'] }, 'tls_config.alpn[1]', 'duplicate "h2"'],
    [{ alpn: [null] }, 'tls_config.alpn[0]', 'must be a string'],
  ];
  for (const [patch, path, fragment] of bad) {
    it(`rejects ${JSON.stringify(patch).slice(0, 70)} at ${path}`, () => {
      assertOnlyProblem(withTls(patch), path, fragment);
    });
  }

  it('never shows private key material or key paths in messages', () => {
    const leaks = [
      { private_key_pem: `${KEY_PEM}${KEY_PEM}` },
      { private_key_pem: `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}` },
      { private_key_pem: `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}!\n-----END PRIVATE KEY-----` },
      { private_key_pem: KEY_BODY },
      { private_key_pem: { pem: KEY_BODY } },
      { private_key_pem: [KEY_BODY] },
      { private_key_pem: KEY_PEM, private_key_path: `/x/${KEY_BODY}` },
      { private_key_pem: undefined, private_key_path: KEY_PEM },
      { private_key_pem: undefined, private_key_path: `/etc/vpsie-lb/certs/../${KEY_BODY}` },
      { private_key_pem: undefined, private_key_path: [KEY_BODY] },
      { certificate_pem: KEY_PEM },
    ];
    for (const patch of leaks) {
      const problems = problemsOf(withTls(patch));
      const text = JSON.stringify(problems);
      assert.ok(!text.includes(KEY_BODY.slice(0, 12)), text);
      assert.ok(!text.includes('SECRETKEY') && !text.includes('U0VDUkVU'), text);
    }
  });

  it('reports every TLS mistake at once', () => {
    const problems = problemsOf(
      withTls({ certificate_pem: 'x', private_key_pem: undefined, min_version: 'old', alpn: ['h3'] }),
    );
    assert.deepEqual(problems.map((p) => p.path).sort(), [
      'tls_config.alpn[0]',
      'tls_config.certificate_pem',
      'tls_config.min_version',
      'tls_config.private_key_path',
    ]);
  });
});

describe('certificate paths on disk', () => {
  let root = '';
  let certDir = '';
  before(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'spec-tls-')));
    certDir = join(root, 'certs');
    mkdirSync(join(certDir, 'sub'), { recursive: true });
    mkdirSync(join(root, 'outside', 'deep'), { recursive: true });
    writeFileSync(join(certDir, 'lb.crt'), 'x');
    writeFileSync(join(certDir, 'lb.key'), 'x');
    writeFileSync(join(root, 'outside', 'stolen.key'), 'x');
    symlinkSync(join(root, 'outside'), join(certDir, 'escape'));
    symlinkSync(join(root, 'outside', 'deep'), join(certDir, 'deep'));
    symlinkSync('../outside/stolen.key', join(certDir, 'relative.key'));
    symlinkSync(join(root, 'outside', 'not-yet.key'), join(certDir, 'dangling.key'));
    symlinkSync(join(certDir, 'lb.key'), join(certDir, 'sub', 'inside-link.key'));
    symlinkSync(join(certDir, 'loop-a'), join(certDir, 'loop-b'));
    symlinkSync(join(certDir, 'loop-b'), join(certDir, 'loop-a'));
    symlinkSync(certDir, join(root, 'certs-link'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const diskCtx = (dir = certDir) => testContext({ certDir: dir, resolvePath: resolvePathOnDisk });
  const keyAt = (keyPath: string, dir?: string) =>
    validateSpec(
      withField(validHttpsDoc(), 'tls_config', {
        certificate_path: join(certDir, 'lb.crt'),
        private_key_path: keyPath,
        min_version: 'TLSv1.2',
      }),
      diskCtx(dir),
    );

  it('accepts files inside, existing or not, and links that stay inside', () => {
    const tls = (p: string) => accepted(keyAt(p)).value.tls!.privateKey;
    assert.deepEqual(tls(join(certDir, 'lb.key')), { kind: 'path', path: join(certDir, 'lb.key') });
    assert.deepEqual(tls(join(certDir, 'new', 'later.key')), {
      kind: 'path',
      path: join(certDir, 'new', 'later.key'),
    });
    assert.deepEqual(tls(join(certDir, 'sub', 'inside-link.key')), {
      kind: 'path',
      path: join(certDir, 'lb.key'),
    });
    assert.deepEqual(tls(`${certDir}/sub/../lb.key`), { kind: 'path', path: join(certDir, 'lb.key') });
  });

  it('rejects symbolic links that lead outside', () => {
    for (const p of [
      join(certDir, 'escape', 'stolen.key'),
      join(certDir, 'relative.key'),
      join(certDir, 'dangling.key'),
      `${certDir}/deep/../stolen.key`, // the kernel applies ".." after following "deep"
      `${certDir}/escape`,
    ]) {
      assertOnlyProblem(keyAt(p), 'tls_config.private_key_path', 'inside the certificate directory');
    }
  });

  it('reports a path that cannot be resolved', () => {
    assertOnlyProblem(
      keyAt(join(certDir, 'loop-a')),
      'tls_config.private_key_path',
      'cannot be resolved (ELOOP)',
    );
  });

  it('resolves the certificate directory itself when it is a link', () => {
    const linked = join(root, 'certs-link');
    assert.equal(accepted(keyAt(join(linked, 'lb.key'), linked)).value.tls!.privateKey.kind, 'path');
    assert.equal(accepted(keyAt(join(certDir, 'lb.key'), linked)).value.tls!.privateKey.kind, 'path');
    assertOnlyProblem(keyAt(linked, linked), 'tls_config.private_key_path', 'inside');
    assertOnlyProblem(keyAt(certDir, linked), 'tls_config.private_key_path', 'inside');
  });

  it('rejects every path when the certificate directory is not absolute', () => {
    const problems = problemsOf(keyAt(join(certDir, 'lb.key'), 'certs'));
    assert.deepEqual(
      problems.map((p) => [p.path, p.message]),
      ['certificate_path', 'private_key_path'].map((f) => [
        `tls_config.${f}`,
        'the agent certificate directory is not an absolute path',
      ]),
    );
  });
});
