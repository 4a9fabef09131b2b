import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { before, describe, it } from 'node:test';
import * as x509 from '@peculiar/x509';
import {
  checkTlsMaterial,
  parseOpensslTime,
  parseSubjectAltName,
  type TlsCheckResult,
} from '../../../src/tls/check.ts';
import { type IssuedCert, makeCert } from '../../helpers/certs.ts';

const PATHS = {
  certificate: 'tls_config.certificate_pem',
  privateKey: 'tls_config.private_key_pem',
  ca: 'tls_config.ca_cert_path',
};
const NOW = new Date();
const DAY = 86_400_000;

/** Every key PEM any test hands to the checker, so the last test can prove none leaked into a message. */
const keysSeen: string[] = [];
const messagesSeen: string[] = [];

function check(certificatePem: string, privateKeyPem: string, caPem?: string, now = NOW): TlsCheckResult {
  keysSeen.push(privateKeyPem);
  const result = checkTlsMaterial(
    { certificatePem, privateKeyPem, ...(caPem !== undefined ? { caPem } : {}) },
    now,
    PATHS,
  );
  for (const p of result.problems) messagesSeen.push(`${p.path}: ${p.message}`);
  messagesSeen.push(JSON.stringify(result.info ?? {}));
  return result;
}

const at = (r: TlsCheckResult, path: string) =>
  r.problems.filter((p) => p.path === path).map((p) => p.message);

/** Cuts a PEM after `fraction` of its lines (a truncated download). */
const truncate = (pem: string, fraction: number) => {
  const lines = pem.trimEnd().split('\n');
  return `${lines.slice(0, Math.max(2, Math.floor(lines.length * fraction))).join('\n')}\n`;
};

let rsa2048: IssuedCert;
let rsa1024: IssuedCert;
let p256: IssuedCert;
let p384: IssuedCert;
let p521: IssuedCert;
let root: IssuedCert;
let intermediate: IssuedCert;
let leaf: IssuedCert;

before(async () => {
  [rsa2048, rsa1024, p256, p384, p521] = await Promise.all([
    makeCert({
      key: { kind: 'rsa', bits: 2048 },
      dnsNames: ['lb.example', 'a,b.example'],
      ips: ['192.0.2.7'],
    }),
    makeCert({ key: { kind: 'rsa', bits: 1024 } }),
    makeCert({ key: { kind: 'ec', curve: 'P-256' }, dnsNames: ['p256.example'] }),
    makeCert({ key: { kind: 'ec', curve: 'P-384' } }),
    makeCert({ key: { kind: 'ec', curve: 'P-521' } }),
  ]);
  root = await makeCert({ commonName: 'Test Root', isCa: true, key: { kind: 'ec', curve: 'P-384' } });
  intermediate = await makeCert({ commonName: 'Test Intermediate', isCa: true, issuer: root });
  leaf = await makeCert({ commonName: 'leaf.example', issuer: intermediate, dnsNames: ['leaf.example'] });
});

describe('checkTlsMaterial: accepted material', () => {
  it('accepts RSA 2048 and describes it without key material', () => {
    const r = check(rsa2048.certPem, rsa2048.keyPem);
    assert.deepEqual(r.problems, []);
    const x = new X509Certificate(rsa2048.certPem);
    assert.ok(r.info);
    assert.equal(r.info.keyType, 'rsa');
    assert.equal(r.info.keyBits, 2048);
    assert.equal(r.info.curve, undefined);
    assert.equal(r.info.fingerprint256, x.fingerprint256);
    assert.equal(r.info.serialNumber, x.serialNumber);
    assert.equal(r.info.subject, 'CN=test.example');
    assert.equal(r.info.notAfter.getTime(), rsa2048.cert.notAfter.getTime());
    assert.equal(r.info.notBefore.getTime(), rsa2048.cert.notBefore.getTime());
    assert.deepEqual(r.info.dnsNames, ['lb.example', 'a,b.example']);
    assert.deepEqual(r.info.ipAddresses, ['192.0.2.7']);
    assert.equal(r.info.chainLength, 1);
  });

  for (const [name, curve, bits] of [
    ['P-256', 'P-256', 256],
    ['P-384', 'P-384', 384],
    ['P-521', 'P-521', 521],
  ] as const) {
    it(`accepts ECDSA ${name}`, () => {
      const c = name === 'P-256' ? p256 : name === 'P-384' ? p384 : p521;
      const r = check(c.certPem, c.keyPem);
      assert.deepEqual(r.problems, []);
      assert.equal(r.info?.keyType, 'ec');
      assert.equal(r.info?.curve, curve);
      assert.equal(r.info?.keyBits, bits);
    });
  }

  it('accepts PKCS#1 and SEC1 keys, an EC PARAMETERS block, and text outside the armour', () => {
    const pkcs1 = createPrivateKey(rsa2048.keyPem).export({ format: 'pem', type: 'pkcs1' }).toString();
    assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
    assert.deepEqual(check(rsa2048.certPem, pkcs1).problems, []);
    const sec1 = createPrivateKey(p256.keyPem).export({ format: 'pem', type: 'sec1' }).toString();
    const params = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';
    assert.deepEqual(check(`subject=CN=test\n${p256.certPem}`, `${params}${sec1}`).problems, []);
  });

  it('accepts a chain in order: leaf, intermediate, root', () => {
    const r = check(leaf.certPem + intermediate.certPem + root.certPem, leaf.keyPem);
    assert.deepEqual(r.problems, []);
    assert.equal(r.info?.chainLength, 3);
    assert.equal(r.info?.subject, 'CN=leaf.example');
    assert.equal(r.info?.issuer, 'CN=Test Intermediate');
  });

  it('is valid through the last second of notAfter and from the first of notBefore', () => {
    assert.deepEqual(check(p256.certPem, p256.keyPem, undefined, p256.cert.notAfter).problems, []);
    assert.deepEqual(check(p256.certPem, p256.keyPem, undefined, p256.cert.notBefore).problems, []);
  });
});

describe('checkTlsMaterial: rejected material', () => {
  it('rejects RSA 1024 at the certificate path', () => {
    const r = check(rsa1024.certPem, rsa1024.keyPem);
    assert.deepEqual(at(r, PATHS.certificate), [
      'RSA key of 1024 bits is too small; Envoy requires at least 2048',
    ]);
    assert.equal(r.info?.keyBits, 1024, 'the certificate is still described');
  });

  it('rejects Ed25519 (Envoy serves only RSA or ECDSA certificates)', async () => {
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    const alg = { name: 'Ed25519' };
    const keys = (await webcrypto.subtle.generateKey(alg, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '7e',
      name: 'CN=ed25519.example',
      notBefore: new Date(NOW.getTime() - DAY),
      notAfter: new Date(NOW.getTime() + DAY),
      signingAlgorithm: alg,
      keys,
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8}\n-----END PRIVATE KEY-----\n`;
    const r = check(cert.toString('pem'), keyPem);
    assert.deepEqual(at(r, PATHS.certificate), [
      'key type ed25519 is not supported by Envoy for server certificates (RSA or ECDSA only)',
    ]);
    assert.deepEqual(at(r, PATHS.privateKey), [], 'the key itself matches');
  });

  it('rejects an expired and a not-yet-valid certificate, with the date', async () => {
    const old = await makeCert({
      notBefore: new Date('2025-10-01T00:00:00Z'),
      notAfter: new Date('2026-01-02T03:04:05Z'),
    });
    const r = check(old.certPem, old.keyPem, undefined, new Date('2026-01-02T03:04:06Z'));
    assert.deepEqual(at(r, PATHS.certificate), ['expired on 2026-01-02T03:04:05.000Z']);
    const early = check(old.certPem, old.keyPem, undefined, new Date('2025-09-30T23:59:59Z'));
    assert.deepEqual(at(early, PATHS.certificate), ['not valid before 2025-10-01T00:00:00.000Z']);
  });

  it('rejects a key that does not belong to the certificate, at the key path', () => {
    const r = check(p256.certPem, p384.keyPem);
    assert.deepEqual(at(r, PATHS.certificate), []);
    assert.deepEqual(at(r, PATHS.privateKey), [
      'does not match the certificate (the public key of certificate block 1 differs)',
    ]);
    const sameType = check(rsa2048.certPem, rsa1024.keyPem);
    assert.equal(at(sameType, PATHS.privateKey).length, 1);
  });

  it('rejects a truncated certificate PEM (no END line, or a short body)', () => {
    const r = check(truncate(rsa2048.certPem, 0.5), rsa2048.keyPem);
    assert.deepEqual(at(r, PATHS.certificate), ['not a valid certificate (block 1): truncated: no END line']);
    assert.equal(r.info, undefined);
    const lines = rsa2048.certPem.trimEnd().split('\n');
    const shortBody = [...lines.slice(0, 6), ...lines.slice(-1)].join('\n');
    const r2 = check(shortBody, rsa2048.keyPem);
    assert.equal(r2.problems.length, 1);
    assert.match(r2.problems[0]?.message ?? '', /^not a valid certificate \(block 1\): /);
    const tail = lines.slice(Math.floor(lines.length / 2)).join('\n');
    assert.deepEqual(at(check(tail, rsa2048.keyPem), PATHS.certificate), [
      'not a valid certificate (block 1): truncated: END line without BEGIN line',
    ]);
  });

  it('rejects garbage base64 and reports which block', () => {
    const garbage = '-----BEGIN CERTIFICATE-----\nMIIB!!not*base64\n-----END CERTIFICATE-----\n';
    const r = check(garbage, p256.keyPem);
    assert.deepEqual(at(r, PATHS.certificate), ['not a valid certificate (block 1): garbled base64']);
    const second = check(p256.certPem + garbage, p256.keyPem);
    assert.deepEqual(at(second, PATHS.certificate), ['not a valid certificate (block 2): garbled base64']);
    const badPadding = '-----BEGIN CERTIFICATE-----\nAAA=AAAA\n-----END CERTIFICATE-----\n';
    assert.match(at(check(badPadding, p256.keyPem), PATHS.certificate)[0] ?? '', /garbled base64/);
  });

  it('rejects trailing bytes after the certificate DER', () => {
    const der = Buffer.concat([new X509Certificate(p256.certPem).raw, Buffer.from([0, 0])]);
    const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    assert.deepEqual(at(check(pem, p256.keyPem), PATHS.certificate), [
      'not a valid certificate (block 1): trailing data after the certificate',
    ]);
  });

  it('rejects an empty certificate item and a non-certificate block', () => {
    assert.deepEqual(at(check('hello\n', p256.keyPem), PATHS.certificate), [
      'no PEM CERTIFICATE block found',
    ]);
    const pub = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n';
    assert.deepEqual(at(check(p256.certPem + pub, p256.keyPem), PATHS.certificate), [
      'block 2 is a PUBLIC KEY, expected CERTIFICATE',
    ]);
  });

  it('rejects a private key inside the certificate item (it would land in a world-readable file)', () => {
    const r = check(p256.certPem + p256.keyPem, p256.keyPem);
    assert.deepEqual(at(r, PATHS.certificate), [
      'block 2 is a private key; keys never go with certificates (certificate files are world-readable)',
    ]);
  });

  it('rejects a chain out of order: intermediate before leaf', () => {
    const r = check(intermediate.certPem + leaf.certPem + root.certPem, leaf.keyPem);
    const messages = at(r, PATHS.certificate);
    assert.ok(
      messages.some((m) => m.startsWith('block 2 did not issue block 1')),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => m.startsWith('block 3 did not issue block 2')),
      messages.join('\n'),
    );
  });

  it('rejects a chain with a missing link, naming where the issuer is when present', () => {
    const gap = at(check(leaf.certPem + root.certPem, leaf.keyPem), PATHS.certificate);
    assert.deepEqual(gap, [
      'block 2 did not issue block 1 (the leaf comes first, each certificate followed by its issuer)',
    ]);
    const swapped = at(
      check(leaf.certPem + root.certPem + intermediate.certPem, leaf.keyPem),
      PATHS.certificate,
    );
    assert.ok(
      swapped.includes(
        'block 2 did not issue block 1 (its issuer is block 3; the leaf comes first, each certificate followed by its issuer)',
      ),
      swapped.join('\n'),
    );
  });

  it('rejects a chain whose issuer is not a CA certificate', async () => {
    const notCa = await makeCert({ commonName: 'Not A CA' });
    const child = await makeCert({ commonName: 'child.example', issuer: notCa });
    assert.deepEqual(at(check(child.certPem + notCa.certPem, child.keyPem), PATHS.certificate), [
      'block 2 issued block 1 but is not a CA certificate (basicConstraints CA:TRUE missing)',
    ]);
  });

  it('rejects an expired intermediate', async () => {
    const oldInter = await makeCert({
      commonName: 'Old Intermediate',
      isCa: true,
      issuer: root,
      notBefore: new Date(NOW.getTime() - 100 * DAY),
      notAfter: new Date(NOW.getTime() - DAY),
    });
    const child = await makeCert({ issuer: oldInter });
    const messages = at(check(child.certPem + oldInter.certPem, child.keyPem), PATHS.certificate);
    assert.deepEqual(messages, [`block 2 expired on ${oldInter.cert.notAfter.toISOString()}`]);
  });
});

describe('checkTlsMaterial: private key item', () => {
  it('rejects a truncated, garbled, missing, doubled or encrypted key with fixed messages', () => {
    const keyAt = (key: string) => at(check(p256.certPem, key), PATHS.privateKey);
    assert.deepEqual(keyAt(truncate(p256.keyPem, 0.6)), [
      'not a valid private key (block 1): truncated: no END line',
    ]);
    const b64 = p256.keyPem.split('\n').filter((l) => !l.startsWith('-----') && l !== '');
    const scrambled = `-----BEGIN PRIVATE KEY-----\n${[...b64].reverse().join('\n')}\n-----END PRIVATE KEY-----\n`;
    const garbled = keyAt(scrambled);
    assert.equal(garbled.length, 1);
    assert.match(garbled[0] ?? '', /^(not a valid private key \(block 1\): .*|.*garbled base64.*)$/);
    assert.deepEqual(keyAt(p256.certPem), [
      'no PEM private key block found (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)',
    ]);
    assert.deepEqual(keyAt(p256.keyPem + p384.keyPem), ['holds 2 private key blocks; exactly one expected']);
    const encrypted = createPrivateKey(p256.keyPem)
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'not-a-secret' })
      .toString();
    assert.deepEqual(keyAt(encrypted), [
      'block 1: encrypted private keys are not supported (Envoy is given no password)',
    ]);
  });

  it('rejects key DER that does not parse, without echoing library text', () => {
    const bogus = `-----BEGIN PRIVATE KEY-----\n${Buffer.from('0123456789abcdef').toString('base64')}\n-----END PRIVATE KEY-----\n`;
    assert.deepEqual(at(check(p256.certPem, bogus), PATHS.privateKey), [
      'not a valid private key (block 1): the data does not parse as a PRIVATE KEY',
    ]);
  });
});

describe('checkTlsMaterial: CA bundle for client certificates', () => {
  it('accepts a CA and a bundle of CAs', () => {
    assert.deepEqual(check(p256.certPem, p256.keyPem, root.certPem).problems, []);
    assert.deepEqual(check(p256.certPem, p256.keyPem, root.certPem + intermediate.certPem).problems, []);
  });

  it('rejects garbage, an empty bundle, and a non-CA certificate at the CA path', () => {
    const garbage = at(check(p256.certPem, p256.keyPem, 'not a pem at all'), PATHS.ca);
    assert.deepEqual(garbage, ['no PEM CERTIFICATE block found']);
    const cut = at(check(p256.certPem, p256.keyPem, truncate(root.certPem, 0.5)), PATHS.ca);
    assert.deepEqual(cut, ['not a valid certificate (block 1): truncated: no END line']);
    const notCa = at(check(p256.certPem, p256.keyPem, root.certPem + p384.certPem), PATHS.ca);
    assert.deepEqual(notCa, [
      'block 2 is not a CA certificate (basicConstraints CA:TRUE missing); client certificates cannot chain to it',
    ]);
  });

  it('rejects a bundle in which no certificate is currently valid', () => {
    const later = new Date(root.cert.notAfter.getTime() + DAY);
    const r = check(p256.certPem, p256.keyPem, root.certPem, later);
    assert.ok(at(r, PATHS.ca).includes(`block 1 expired on ${root.cert.notAfter.toISOString()}`));
  });
});

describe('helpers', () => {
  it('parses OpenSSL times and SAN text', () => {
    assert.equal(parseOpensslTime('Jan  2 03:04:05 2026 GMT')?.toISOString(), '2026-01-02T03:04:05.000Z');
    assert.equal(parseOpensslTime('Dec 31 23:59:59 9999 GMT')?.toISOString(), '9999-12-31T23:59:59.000Z');
    assert.equal(parseOpensslTime('2026-01-02'), undefined);
    assert.deepEqual(parseSubjectAltName('DNS:a.example, DNS:"b\\u002cc.example", IP Address:10.0.0.1'), [
      { type: 'DNS', value: 'a.example' },
      { type: 'DNS', value: 'b,c.example' },
      { type: 'IP Address', value: '10.0.0.1' },
    ]);
  });
});

describe('no private key material in any message', () => {
  it('holds for every problem and description produced above', () => {
    assert.ok(keysSeen.length > 20 && messagesSeen.length > 20);
    const text = messagesSeen.join('\n');
    assert.doesNotMatch(text, /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    for (const key of keysSeen) {
      for (const line of key.split('\n')) {
        const body = line.trim();
        if (body.length < 16 || body.startsWith('-----') || body.includes(':')) continue;
        // Any 16-character run of a key's base64 in a message is a leak.
        for (let i = 0; i + 16 <= body.length; i += 8) {
          assert.ok(!text.includes(body.slice(i, i + 16)), 'a problem message carries private key bytes');
        }
      }
    }
  });
});
