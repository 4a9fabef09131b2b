/**
 * Checks TLS material before it may reach Envoy: every PEM block parses, the leaf matches the private key,
 * the dates hold, the chain runs leaf first with each certificate followed by its issuer, and the key is
 * one Envoy accepts. Pure: the clock comes in as `now`.
 *
 * Private key material never appears in a problem: messages about the key are our own fixed texts, never
 * library errors or excerpts of the input.
 */
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import type { Problem } from '../util/result.ts';
import { type PemBlock, scanPem } from './pem.ts';

export interface TlsMaterial {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly caPem?: string;
}

/** The spec paths problems are reported at (`tls_config.certificate_pem` or `tls_config.certificate_path`, …). */
export interface TlsMaterialPaths {
  readonly certificate: string;
  readonly privateKey: string;
  readonly ca: string;
}

export type EcCurve = 'P-256' | 'P-384' | 'P-521';

/** What may be shown about a certificate: public facts only, no key material. */
export interface CertificateInfo {
  /** Distinguished names as `CN=a, O=b`. */
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Hex, upper case, as OpenSSL prints it. */
  readonly serialNumber: string;
  /** SHA-256 of the DER, `AB:CD:…`. */
  readonly fingerprint256: string;
  /** Node's name for the public key type: `rsa`, `ec`, `ed25519`, … (only `rsa` and `ec` pass the check). */
  readonly keyType: string;
  /** RSA modulus length, or the EC field size. */
  readonly keyBits?: number;
  readonly curve?: EcCurve;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  /** Certificates in the certificate item, leaf included. */
  readonly chainLength: number;
}

export interface TlsCheckResult {
  readonly problems: Problem[];
  /** Present whenever the leaf certificate parsed, even if other checks failed (an expired leaf is still shown). */
  readonly info?: CertificateInfo;
}

/**
 * Key policy. Envoy's server certificate loading (BoringSSL, non-FIPS) rejects RSA below 2048 bits and any
 * ECDSA curve other than P-256, P-384 and P-521, and supports only RSA and ECDSA keys (so no Ed25519):
 * https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/security/ssl#certificate-selection
 * ("Non-P-256, P-384 or P-521 server ECDSA certificates are rejected"; "only two kinds of key type are
 * supported, RSA or ECDSA"). Envoy sets no RSA upper bound (FIPS builds accept exactly 2048, 3072 or 4096);
 * the 8192-bit ceiling is ours: larger keys make every handshake expensive for no real gain.
 */
export const RSA_MIN_BITS = 2048;
export const RSA_MAX_BITS = 8192;
const CURVES: ReadonlyMap<string, EcCurve> = new Map([
  ['prime256v1', 'P-256'],
  ['secp384r1', 'P-384'],
  ['secp521r1', 'P-521'],
]);
const CURVE_BITS: Readonly<Record<EcCurve, number>> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 };

const KEY_LABELS: ReadonlyMap<string, 'pkcs8' | 'pkcs1' | 'sec1' | 'encrypted'> = new Map([
  ['PRIVATE KEY', 'pkcs8'],
  ['RSA PRIVATE KEY', 'pkcs1'],
  ['EC PRIVATE KEY', 'sec1'],
  ['ENCRYPTED PRIVATE KEY', 'encrypted'],
]);

interface ParsedCert {
  readonly block: number;
  readonly cert: X509Certificate;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export function checkTlsMaterial(input: TlsMaterial, now: Date, paths: TlsMaterialPaths): TlsCheckResult {
  const problems: Problem[] = [];
  const at = (path: string) => (message: string) => problems.push({ path, message });

  const chain = parseCertificates(input.certificatePem, 'certificate', at(paths.certificate));
  const key = parsePrivateKey(input.privateKeyPem, at(paths.privateKey));
  const leaf = chain?.[0];

  if (chain && leaf) {
    checkKeyPolicy(leaf.cert.publicKey, at(paths.certificate));
    if (key && !matches(leaf.cert, key)) {
      at(paths.privateKey)('does not match the certificate (the public key of certificate block 1 differs)');
    }
    for (const c of chain) checkDates(c, now, c === leaf ? '' : `block ${c.block} `, at(paths.certificate));
    checkChainOrder(chain, at(paths.certificate));
  }

  if (input.caPem !== undefined) checkCaBundle(input.caPem, now, at(paths.ca));

  if (!leaf) return { problems };
  return { problems, info: describe(leaf, chain?.length ?? 1) };
}

type Report = (message: string) => void;

/** Parses every block of a certificate item (or a CA bundle, which may also carry CRLs). */
function parseCertificates(
  pem: string,
  kind: 'certificate' | 'ca',
  report: Report,
): ParsedCert[] | undefined {
  const scan = scanPem(pem);
  if (!scan.ok) {
    report(`not a valid certificate (block ${scan.index}): ${scan.reason}`);
    return undefined;
  }
  const certs: ParsedCert[] = [];
  let failed = false;
  for (const block of scan.blocks) {
    if (block.label === 'X509 CRL' && kind === 'ca') continue; // Envoy's trusted_ca may carry CRLs.
    if (block.label !== 'CERTIFICATE') {
      failed = true;
      report(
        block.label.includes('PRIVATE KEY')
          ? `block ${block.index} is a private key; keys never go with certificates (certificate files are world-readable)`
          : `block ${block.index} is a ${block.label}, expected CERTIFICATE`,
      );
      continue;
    }
    const parsed = parseCertificate(block, report);
    if (parsed) certs.push(parsed);
    else failed = true;
  }
  if (scan.blocks.length === 0) report('no PEM CERTIFICATE block found');
  else if (certs.length === 0 && !failed) report('no PEM CERTIFICATE block found (only CRLs)');
  return failed || certs.length === 0 ? undefined : certs;
}

function parseCertificate(block: PemBlock, report: Report): ParsedCert | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(block.der);
  } catch (err) {
    report(`not a valid certificate (block ${block.index}): ${opensslReason(err)}`);
    return undefined;
  }
  if (!cert.raw.equals(block.der)) {
    report(`not a valid certificate (block ${block.index}): trailing data after the certificate`);
    return undefined;
  }
  const notBefore = parseOpensslTime(cert.validFrom);
  const notAfter = parseOpensslTime(cert.validTo);
  if (!notBefore || !notAfter) {
    report(`not a valid certificate (block ${block.index}): unreadable validity dates`);
    return undefined;
  }
  return { block: block.index, cert, notBefore, notAfter };
}

function parsePrivateKey(pem: string, report: Report): KeyObject | undefined {
  const scan = scanPem(pem);
  if (!scan.ok) {
    report(`not a valid private key (block ${scan.index}): ${scan.reason}`);
    return undefined;
  }
  // Other blocks (EC PARAMETERS from `openssl ecparam`, a certificate) are ignored, as Envoy ignores them.
  const keys = scan.blocks.filter((b) => KEY_LABELS.has(b.label));
  const block = keys[0];
  if (!block) {
    report('no PEM private key block found (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)');
    return undefined;
  }
  if (keys.length > 1) {
    report(`holds ${keys.length} private key blocks; exactly one expected`);
    return undefined;
  }
  const type = KEY_LABELS.get(block.label);
  if (type === 'encrypted' || block.hasHeaders || type === undefined) {
    report(`block ${block.index}: encrypted private keys are not supported (Envoy is given no password)`);
    return undefined;
  }
  try {
    return createPrivateKey({ key: block.der, format: 'der', type });
  } catch {
    // The library's text is not echoed: it is about the key's bytes.
    report(`not a valid private key (block ${block.index}): the data does not parse as a ${block.label}`);
    return undefined;
  }
}

function checkKeyPolicy(publicKey: KeyObject, report: Report): void {
  const type = publicKey.asymmetricKeyType ?? 'unknown';
  const details = publicKey.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    const bits = details.modulusLength ?? 0;
    if (bits < RSA_MIN_BITS) {
      report(`RSA key of ${bits} bits is too small; Envoy requires at least ${RSA_MIN_BITS}`);
    } else if (bits > RSA_MAX_BITS) {
      report(`RSA key of ${bits} bits is larger than the agent accepts (at most ${RSA_MAX_BITS})`);
    }
    return;
  }
  if (type === 'ec') {
    const curve = details.namedCurve ?? 'unknown';
    if (!CURVES.has(curve)) {
      report(`ECDSA curve ${curve} is not supported by Envoy (P-256, P-384 or P-521 only)`);
    }
    return;
  }
  report(`key type ${type} is not supported by Envoy for server certificates (RSA or ECDSA only)`);
}

function matches(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.checkPrivateKey(key);
  } catch {
    return false;
  }
}

function checkDates(c: ParsedCert, now: Date, prefix: string, report: Report): void {
  const t = now.getTime();
  if (t > c.notAfter.getTime()) report(`${prefix}expired on ${c.notAfter.toISOString()}`);
  else if (t < c.notBefore.getTime()) report(`${prefix}not valid before ${c.notBefore.toISOString()}`);
}

/** Each certificate must be followed by its issuer: names and key identifiers agree and the signature verifies. */
function checkChainOrder(chain: readonly ParsedCert[], report: Report): void {
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i];
    const parent = chain[i + 1];
    if (!child || !parent) continue;
    if (!issued(parent.cert, child.cert)) {
      const actual = chain.find((c) => c !== child && issued(c.cert, child.cert));
      const where = actual ? `its issuer is block ${actual.block}; ` : '';
      const hint = ` (${where}the leaf comes first, each certificate followed by its issuer)`;
      report(`block ${parent.block} did not issue block ${child.block}${hint}`);
    } else if (!parent.cert.ca) {
      report(
        `block ${parent.block} issued block ${child.block} but is not a CA certificate (basicConstraints CA:TRUE missing)`,
      );
    }
  }
}

function issued(issuer: X509Certificate, subject: X509Certificate): boolean {
  try {
    return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/**
 * The mTLS trust bundle. Decision: a certificate without basicConstraints CA:TRUE is rejected, not warned
 * about: a client certificate it signed fails verification, so accepting it would only defer the failure
 * to the first client handshake. Expired CA certificates are rejected only when none in the bundle is valid
 * (bundles commonly carry a retiring root next to its successor).
 */
function checkCaBundle(pem: string, now: Date, report: Report): void {
  const certs = parseCertificates(pem, 'ca', report);
  if (!certs) return;
  for (const c of certs) {
    if (!c.cert.ca) {
      report(
        `block ${c.block} is not a CA certificate (basicConstraints CA:TRUE missing); client certificates cannot chain to it`,
      );
    }
  }
  const t = now.getTime();
  const valid = certs.filter((c) => t >= c.notBefore.getTime() && t <= c.notAfter.getTime());
  if (valid.length === 0) {
    for (const c of certs) checkDates(c, now, `block ${c.block} `, report);
  }
}

function describe(leaf: ParsedCert, chainLength: number): CertificateInfo {
  const pub = leaf.cert.publicKey;
  const keyType = pub.asymmetricKeyType ?? 'unknown';
  const details = pub.asymmetricKeyDetails ?? {};
  const curve = keyType === 'ec' ? CURVES.get(details.namedCurve ?? '') : undefined;
  const keyBits = keyType === 'rsa' ? details.modulusLength : curve ? CURVE_BITS[curve] : undefined;
  const sans = parseSubjectAltName(leaf.cert.subjectAltName ?? '');
  return {
    subject: leaf.cert.subject.split('\n').join(', '),
    issuer: leaf.cert.issuer.split('\n').join(', '),
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    serialNumber: leaf.cert.serialNumber,
    fingerprint256: leaf.cert.fingerprint256,
    keyType,
    ...(keyBits !== undefined ? { keyBits } : {}),
    ...(curve !== undefined ? { curve } : {}),
    dnsNames: sans.filter((s) => s.type === 'DNS').map((s) => s.value),
    ipAddresses: sans.filter((s) => s.type === 'IP Address').map((s) => s.value),
    chainLength,
  };
}

/** Node prints SANs as `DNS:a, IP Address:1.2.3.4`, JSON-quoting values that hold separators. */
export function parseSubjectAltName(text: string): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) break;
    const type = text.slice(i, colon);
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      const close = findClosingQuote(text, colon + 2);
      const literal = text.slice(colon + 1, close + 1);
      try {
        const parsed: unknown = JSON.parse(literal);
        value = typeof parsed === 'string' ? parsed : literal;
      } catch {
        value = literal;
      }
      next = close + 1;
    } else {
      const sep = text.indexOf(', ', colon + 1);
      next = sep < 0 ? text.length : sep;
      value = text.slice(colon + 1, next);
    }
    out.push({ type, value });
    i = text.startsWith(', ', next) ? next + 2 : next + 1;
  }
  return out;
}

function findClosingQuote(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j;
  }
  return text.length - 1;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** OpenSSL's `Jan  2 03:04:05 2026 GMT` (Node 20 has no validFromDate). */
export function parseOpensslTime(s: string): Date | undefined {
  const m = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(s);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1] ?? '');
  if (month < 0) return undefined;
  const ms = Date.UTC(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** `error:0680009B:asn1 encoding routines::too long` → `too long` (certificates are public; this is safe). */
function opensslReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const reason = message.split('::').pop() ?? message;
  return `does not parse as X.509 (${reason.slice(0, 120)})`;
}
