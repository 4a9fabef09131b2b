// Test-time certificate factory: real keys and X.509 certificates, made fresh for every run.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
type EcKeyGenParams = webcrypto.EcKeyGenParams;

import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type KeySpec = { kind: 'rsa'; bits: number } | { kind: 'ec'; curve: 'P-256' | 'P-384' | 'P-521' };

export interface CertOptions {
  readonly commonName?: string;
  readonly key?: KeySpec;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Sign with this issuer instead of self-signing. */
  readonly issuer?: IssuedCert;
  readonly isCa?: boolean;
  /** DNS names and IPs for the subjectAltName (TLS servers need them). */
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
}

export interface IssuedCert {
  readonly certPem: string;
  readonly keyPem: string;
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
  readonly signingAlgorithm: RsaHashedKeyGenParams | EcKeyGenParams;
}

function algorithmFor(key: KeySpec): RsaHashedKeyGenParams | EcKeyGenParams {
  if (key.kind === 'rsa') {
    return {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: key.bits,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    };
  }
  return { name: 'ECDSA', namedCurve: key.curve, hash: 'SHA-256' } as EcKeyGenParams;
}

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.trimEnd()}\n-----END ${label}-----\n`;
}

let serial = 1;

export async function makeCert(options: CertOptions = {}): Promise<IssuedCert> {
  const key = options.key ?? { kind: 'ec', curve: 'P-256' };
  const alg = algorithmFor(key);
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const notBefore = options.notBefore ?? new Date(now - 60_000);
  const notAfter = options.notAfter ?? new Date(now + 90 * 86_400_000);
  const name = `CN=${options.commonName ?? 'test.example'}`;
  const extensions: x509.Extension[] = [];
  if (options.isCa) {
    extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
    extensions.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    );
  }
  const sans: x509.JsonGeneralName[] = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  const serialNumber = (serial++).toString(16).padStart(2, '0');
  const cert = options.issuer
    ? await x509.X509CertificateGenerator.create({
        serialNumber,
        subject: name,
        issuer: options.issuer.cert.subject,
        notBefore,
        notAfter,
        signingAlgorithm: options.issuer.signingAlgorithm,
        publicKey: keys.publicKey,
        signingKey: options.issuer.keys.privateKey,
        extensions,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber,
        name,
        notBefore,
        notAfter,
        signingAlgorithm: alg,
        keys,
        extensions,
      });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    certPem: `${cert.toString('pem')}\n`,
    keyPem: toPem('PRIVATE KEY', pkcs8),
    cert,
    keys,
    signingAlgorithm: alg,
  };
}
