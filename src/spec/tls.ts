import { posix } from 'node:path';
import { certificatePemProblem, privateKeyPemProblem } from './pem.ts';
import {
  field,
  hasControlChar,
  indexPath,
  type JsonObject,
  keyPath,
  noteUnknown,
  problem,
  readArray,
  readEnum,
  readObject,
  readString,
  type Sink,
} from './read.ts';
import {
  type AlpnProtocol,
  CIPHER_SUITES,
  type CipherSuite,
  type SpecValidationContext,
  type TlsConfig,
  type TlsSource,
  type TlsVersion,
} from './types.ts';

const KNOWN = new Set([
  'certificate_path',
  'private_key_path',
  'ca_cert_path',
  'certificate_pem',
  'private_key_pem',
  'ca_cert_pem',
  'min_version',
  'max_version',
  'cipher_suites',
  'alpn',
]);
const VERSIONS: readonly TlsVersion[] = ['TLSv1.2', 'TLSv1.3'];
const ALPN: readonly AlpnProtocol[] = ['h2', 'http/1.1'];

/** The certificate directory, resolved once per validation. */
export type CertDir = { readonly resolved: string } | { readonly problem: string };

export function resolveCertDir(ctx: SpecValidationContext): CertDir {
  if (!ctx.certDir.startsWith('/'))
    return { problem: 'the agent certificate directory is not an absolute path' };
  try {
    return { resolved: posix.normalize(ctx.resolvePath(ctx.certDir)) };
  } catch (err) {
    return { problem: `the agent certificate directory cannot be resolved (${errorCode(err)})` };
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

function readCertPath(
  sink: Sink,
  v: unknown,
  path: string,
  ctx: SpecValidationContext,
  certDir: CertDir,
  secret: boolean,
): string | undefined {
  const s = readString(sink, v, path, secret);
  if (s === undefined) return undefined;
  // A key path is not secret, but someone may paste the key itself into it: never echo that field.
  const shown = secret ? '' : `, got ${JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s)}`;
  if (hasControlChar(s)) return void problem(sink, path, 'must not contain control characters');
  if (!s.startsWith('/')) return void problem(sink, path, `must be an absolute path${shown}`);
  if ('problem' in certDir) return void problem(sink, path, certDir.problem);
  let resolved: string;
  try {
    // normalize: defence in depth when an injected resolver leaves `..` in place.
    resolved = posix.normalize(ctx.resolvePath(s));
  } catch (err) {
    return void problem(sink, path, `cannot be resolved (${errorCode(err)})${shown}`);
  }
  const dir = certDir.resolved;
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  if (!resolved.startsWith(prefix) || resolved.length === prefix.length) {
    return void problem(
      sink,
      path,
      `must be inside the certificate directory ${ctx.certDir} after resolving ".." and symbolic links${shown}`,
    );
  }
  return resolved;
}

function readPem(sink: Sink, v: unknown, path: string, isKey: boolean): string | undefined {
  const s = readString(sink, v, path, true);
  if (s === undefined) return undefined;
  const why = isKey ? privateKeyPemProblem(s) : certificatePemProblem(s);
  if (why !== undefined) return void problem(sink, path, why);
  return s;
}

/** One item given as a path or inline PEM, never both; undefined means "not given" or invalid. */
function readSource(
  sink: Sink,
  obj: JsonObject,
  base: string,
  names: { path: string; pem: string },
  ctx: SpecValidationContext,
  certDir: CertDir,
  isKey: boolean,
  required: boolean,
): { source?: TlsSource; valid: boolean } {
  const rawPath = field(sink, obj, names.path, base, false);
  const rawPem = field(sink, obj, names.pem, base, false);
  const problemsBefore = sink.problems.length;
  const p =
    rawPath === undefined
      ? undefined
      : readCertPath(sink, rawPath, keyPath(base, names.path), ctx, certDir, isKey);
  const pem = rawPem === undefined ? undefined : readPem(sink, rawPem, keyPath(base, names.pem), isKey);
  if (rawPath !== undefined && rawPem !== undefined) {
    problem(sink, keyPath(base, names.pem), `must not be given together with ${names.path}`);
  } else if (rawPath === undefined && rawPem === undefined && required) {
    problem(sink, keyPath(base, names.path), `is required unless ${names.pem} is given`);
  }
  const valid = sink.problems.length === problemsBefore;
  if (p !== undefined && valid) return { source: { kind: 'path', path: p }, valid };
  if (pem !== undefined && valid) return { source: { kind: 'inline', pem }, valid };
  return { valid };
}

function readDistinct<T extends string>(
  sink: Sink,
  v: unknown,
  path: string,
  allowed: readonly T[],
): T[] | undefined {
  const arr = readArray(sink, v, path);
  if (arr === undefined) return undefined;
  const out: T[] = [];
  let ok = true;
  for (let i = 0; i < arr.length; i++) {
    const item = readEnum(sink, arr[i], indexPath(path, i), allowed);
    if (item === undefined) ok = false;
    else if (out.includes(item)) {
      problem(sink, indexPath(path, i), `duplicate ${JSON.stringify(item)}`);
      ok = false;
    } else out.push(item);
  }
  return ok ? out : undefined;
}

/** The VPSie form's TLS object differs only here: min_version optional, ALPN defaulting per rule scheme. */
export interface TlsReadOptions {
  readonly defaultMinVersion?: TlsVersion;
  readonly defaultAlpn?: readonly AlpnProtocol[];
}

export function readTlsConfig(
  sink: Sink,
  v: unknown,
  path: string,
  ctx: SpecValidationContext,
  certDir: CertDir,
  options: TlsReadOptions = {},
): TlsConfig | undefined {
  const obj = readObject(sink, v, path);
  if (obj === undefined) return undefined;
  noteUnknown(sink, obj, KNOWN, path);
  const before = sink.problems.length;
  const certificate = readSource(
    sink,
    obj,
    path,
    { path: 'certificate_path', pem: 'certificate_pem' },
    ctx,
    certDir,
    false,
    true,
  );
  const privateKey = readSource(
    sink,
    obj,
    path,
    { path: 'private_key_path', pem: 'private_key_pem' },
    ctx,
    certDir,
    true,
    true,
  );
  const ca = readSource(
    sink,
    obj,
    path,
    { path: 'ca_cert_path', pem: 'ca_cert_pem' },
    ctx,
    certDir,
    false,
    false,
  );

  const rawMin = field(sink, obj, 'min_version', path, options.defaultMinVersion === undefined);
  const minVersion =
    rawMin === undefined
      ? options.defaultMinVersion
      : readEnum(sink, rawMin, keyPath(path, 'min_version'), VERSIONS);
  const rawMax = field(sink, obj, 'max_version', path, false);
  const maxPath = keyPath(path, 'max_version');
  const maxVersion = rawMax === undefined ? undefined : readEnum(sink, rawMax, maxPath, VERSIONS);
  if (
    minVersion !== undefined &&
    maxVersion !== undefined &&
    VERSIONS.indexOf(maxVersion) < VERSIONS.indexOf(minVersion)
  ) {
    problem(sink, maxPath, `must not be below min_version (${minVersion}), got "${maxVersion}"`);
  }
  const rawCiphers = field(sink, obj, 'cipher_suites', path, false);
  const cipherSuites: readonly CipherSuite[] | undefined =
    rawCiphers === undefined
      ? CIPHER_SUITES
      : readDistinct(sink, rawCiphers, keyPath(path, 'cipher_suites'), CIPHER_SUITES);
  const rawAlpn = field(sink, obj, 'alpn', path, false);
  const alpn: readonly AlpnProtocol[] | undefined =
    rawAlpn === undefined
      ? (options.defaultAlpn ?? ALPN)
      : readDistinct(sink, rawAlpn, keyPath(path, 'alpn'), ALPN);

  if (sink.problems.length !== before) return undefined;
  if (certificate.source === undefined || privateKey.source === undefined || minVersion === undefined)
    return undefined;
  if (cipherSuites === undefined || alpn === undefined || !ca.valid) return undefined;
  return {
    certificate: certificate.source,
    privateKey: privateKey.source,
    ...(ca.source === undefined ? {} : { ca: ca.source }),
    minVersion,
    ...(maxVersion === undefined ? {} : { maxVersion }),
    cipherSuites,
    alpn,
  };
}
