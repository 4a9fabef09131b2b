/**
 * The VPSie form (/work/shared/contract/vpsie-form.md): LoadBalancer → rules → domains → backends, read with
 * every effective value resolved (LB-wide defaults, Go zero values as unset). Every problem at once, with paths.
 */
import { posix } from 'node:path';
import { buildAddressPolicy, type AddressPolicy } from '../address.ts';
import {
  describe,
  field,
  hasControlChar,
  indexPath,
  isObject,
  type JsonObject,
  keyPath,
  noteUnknown,
  own,
  problem,
  readEnum,
  readId,
  readInt,
  readObject,
  type Sink,
} from '../read.ts';
import { forEachDuplicate, idForUniqueness, reportDuplicateIds } from '../backend.ts';
import { type CertDir, readTlsConfig, resolveCertDir } from '../tls.ts';
import { CIPHER_SUITES, type SpecValidationContext, type TlsConfig } from '../types.ts';
import { readVpsieBackends, type VpsieBackend } from './backends.ts';
import {
  DEFAULTS,
  effectiveHealth,
  type HealthSettings,
  type LbDefaults,
  readDomain,
  readHealthFields,
  type VpsieDomain,
  cookieNameProblem,
} from './domain.ts';
import { optAlgorithm, optFlag, optInt0, optString, reqString } from './fields.ts';

export type VpsieScheme = 'http' | 'https' | 'http2' | 'tcp';

export interface VpsieRule {
  readonly ruleId: string;
  readonly scheme: VpsieScheme;
  readonly frontPort: number;
  readonly backPort?: number;
  readonly backends: readonly VpsieBackend[];
  readonly domains: readonly VpsieDomain[];
  /** https/http2 without domains: the default pool's certificate (given, or the files named by the ruleId). */
  readonly tls?: TlsConfig;
  /** Index in the document, for paths. */
  readonly index: number;
}

export interface VpsieLoadBalancer {
  readonly identifier: string;
  readonly lbName: string;
  readonly rules: readonly VpsieRule[];
  readonly algorithm: LbDefaults['algorithm'];
  /** LB-wide effective health settings (tcp rules and default pools). */
  readonly health: HealthSettings;
  readonly connectTimeoutSeconds: number;
}

const LB_KNOWN = new Set([
  'identifier',
  'lbName',
  'rules',
  'algorithm',
  'healthCheckPath',
  'checkInterval',
  'fastInterval',
  'rise',
  'fall',
  'redirectHTTP',
  'cookieCheck',
  'cookieName',
  'timeout',
]);
const RULE_KNOWN = new Set([
  'ruleId',
  'scheme',
  'frontPort',
  'backPort',
  'backends',
  'domains',
  'tls',
  'created_on',
]);
const SCHEMES: readonly VpsieScheme[] = ['http', 'https', 'http2', 'tcp'];
const MAX_RULES = 64;
const MAX_DOMAINS = 1000;

/** The certificate files of a domain (or rule) without a `tls` object: `<cert_dir>/<id>.crt` and `.key`. */
function fileCertificate(certDir: CertDir, id: string, alpn: TlsConfig['alpn']): TlsConfig | undefined {
  if ('problem' in certDir) return undefined;
  return {
    certificate: { kind: 'path', path: posix.join(certDir.resolved, `${id}.crt`) },
    privateKey: { kind: 'path', path: posix.join(certDir.resolved, `${id}.key`) },
    minVersion: 'TLSv1.2',
    cipherSuites: CIPHER_SUITES,
    alpn,
  };
}

export function readVpsieLoadBalancer(
  sink: Sink,
  obj: JsonObject,
  path: string,
  ctx: SpecValidationContext,
): VpsieLoadBalancer | undefined {
  noteUnknown(sink, obj, LB_KNOWN, path);
  for (const key of ['protocol', 'port', 'backends']) {
    if (own(obj, key) !== undefined)
      problem(
        sink,
        keyPath(path, key),
        'is a flat-form field; a document with "rules" is the VPSie form (ambiguous)',
      );
  }
  const before = sink.problems.length;
  const rawId = field(sink, obj, 'identifier', path, true);
  const identifier = rawId === undefined ? undefined : readId(sink, rawId, keyPath(path, 'identifier'), 64);
  const lbName = reqString(sink, obj, 'lbName', path);
  if (lbName !== undefined && (lbName.length > 255 || hasControlChar(lbName)))
    problem(
      sink,
      keyPath(path, 'lbName'),
      `must be 1..255 characters without control characters, got ${describe(lbName)}`,
    );
  const algorithm = optAlgorithm(sink, obj, 'algorithm', path)?.value;
  const healthBefore = sink.problems.length;
  const hf = readHealthFields(sink, obj, path);
  const healthValid = sink.problems.length === healthBefore;
  const redirectHTTP = optFlag(sink, obj, 'redirectHTTP', path)?.value;
  const cookieCheck = optFlag(sink, obj, 'cookieCheck', path)?.value;
  const cookieName = optString(sink, obj, 'cookieName', path);
  if (cookieName !== undefined) {
    const why = cookieNameProblem(cookieName);
    if (why !== undefined) problem(sink, keyPath(path, 'cookieName'), why);
  }
  const timeout = optInt0(sink, obj, 'timeout', path, 0, 3600)?.value;
  const lb: LbDefaults = { algorithm, ...hf, redirectHTTP, cookieCheck, cookieName };
  // A domain pairing its own fastInterval with an invalid LB checkInterval is not blamed for the LB's mistake.
  const health = effectiveHealth(hf, lb);
  if (healthValid && health.timeoutMs >= health.intervalMs) {
    const at =
      hf.fastInterval !== undefined || hf.checkInterval === undefined ? 'fastInterval' : 'checkInterval';
    problem(
      sink,
      keyPath(path, at),
      `fastInterval must be less than checkInterval (${health.intervalMs}), got ${health.timeoutMs}`,
    );
  }
  const { policy, invalid } = buildAddressPolicy(ctx.denyCidrs, ctx.allowCidrs);
  const rulesPath = keyPath(path, 'rules');
  if (invalid.length > 0)
    problem(sink, rulesPath, `agent config has invalid CIDRs: ${invalid.map(describe).join(', ')}`);
  const rawRules = field(sink, obj, 'rules', path, true);
  let rules: VpsieRule[] | undefined;
  if (rawRules !== undefined) {
    if (!Array.isArray(rawRules)) problem(sink, rulesPath, `must be an array, got ${describe(rawRules)}`);
    else if (rawRules.length > MAX_RULES)
      problem(sink, rulesPath, `must have 0..${MAX_RULES} items, got ${rawRules.length}`);
    else if (invalid.length === 0)
      rules = readRules(sink, rawRules, rulesPath, { ctx, certDir: resolveCertDir(ctx), policy, lb });
  }
  if (rules !== undefined && rules.length === 0)
    sink.warnings.push({ path: rulesPath, message: 'no rules: the load balancer serves nothing' });
  if (
    sink.problems.length !== before ||
    identifier === undefined ||
    lbName === undefined ||
    rules === undefined
  )
    return undefined;
  return {
    identifier,
    lbName,
    rules,
    algorithm,
    health: { ...health, path: hf.healthCheckPath ?? DEFAULTS.path },
    connectTimeoutSeconds: timeout === undefined ? 5 : timeout,
  };
}

interface RuleContext {
  readonly ctx: SpecValidationContext;
  readonly certDir: CertDir;
  readonly policy: AddressPolicy;
  readonly lb: LbDefaults;
}

function readRules(
  sink: Sink,
  arr: readonly unknown[],
  path: string,
  rc: RuleContext,
): VpsieRule[] | undefined {
  const before = sink.problems.length;
  const out: VpsieRule[] = [];
  const ids: (string | undefined)[] = [];
  const ports: (string | undefined)[] = [];
  for (let i = 0; i < arr.length; i++) {
    const item = arr[i];
    const r = readRule(sink, item, indexPath(path, i), i, rc);
    if (r !== undefined) out.push(r);
    const rawPort = isObject(item) ? own(item, 'frontPort') : undefined;
    ids.push(idForUniqueness(item, 'ruleId'));
    ports.push(typeof rawPort === 'number' && Number.isInteger(rawPort) ? String(rawPort) : undefined);
  }
  reportDuplicateIds(sink, ids, path, 'ruleId');
  forEachDuplicate(ports, (i, first) =>
    problem(
      sink,
      `${indexPath(path, i)}.frontPort`,
      `duplicate frontPort ${ports[i]} (also ${indexPath(path, first)})`,
    ),
  );
  return sink.problems.length === before ? out : undefined;
}

function readRule(
  sink: Sink,
  v: unknown,
  path: string,
  index: number,
  rc: RuleContext,
): VpsieRule | undefined {
  const obj = readObject(sink, v, path);
  if (obj === undefined) return undefined;
  noteUnknown(sink, obj, RULE_KNOWN, path);
  const before = sink.problems.length;
  const rawId = field(sink, obj, 'ruleId', path, true);
  const ruleId = rawId === undefined ? undefined : readId(sink, rawId, keyPath(path, 'ruleId'), 64);
  const rawScheme = reqString(sink, obj, 'scheme', path);
  const scheme =
    rawScheme === undefined ? undefined : readEnum(sink, rawScheme, keyPath(path, 'scheme'), SCHEMES);
  const rawFront = field(sink, obj, 'frontPort', path, true);
  const portAt = keyPath(path, 'frontPort');
  let frontPort = rawFront === undefined ? undefined : readInt(sink, rawFront, portAt, 1, 65535);
  if (frontPort !== undefined && frontPort === rc.ctx.envoyAdminPort) {
    problem(sink, portAt, `must not be the Envoy admin port (${frontPort})`);
    frontPort = undefined;
  } else if (frontPort !== undefined && frontPort === rc.ctx.agentPort) {
    problem(sink, portAt, `must not be the agent's own HTTP port (${frontPort})`);
    frontPort = undefined;
  }
  const backPort = optInt0(sink, obj, 'backPort', path, 1, 65535);
  const tcp = scheme === 'tcp';
  const rawBackends = field(sink, obj, 'backends', path, tcp);
  const backends =
    rawBackends === undefined
      ? []
      : readVpsieBackends(sink, rawBackends, keyPath(path, 'backends'), rc.policy);
  const alpn = scheme === 'http2' ? (['h2', 'http/1.1'] as const) : (['http/1.1'] as const);
  const tlsOptions = { defaultMinVersion: 'TLSv1.2', defaultAlpn: alpn } as const;
  const rawTls = field(sink, obj, 'tls', path, false);
  let tls: TlsConfig | undefined;
  if (rawTls !== undefined) {
    if (tcp) problem(sink, keyPath(path, 'tls'), 'is not allowed on a tcp rule');
    tls = readTlsConfig(sink, rawTls, keyPath(path, 'tls'), rc.ctx, rc.certDir, tlsOptions);
  }
  const domains = readDomains(sink, field(sink, obj, 'domains', path, false), keyPath(path, 'domains'), tcp, {
    ...rc,
    tlsOptions,
  });
  const needsBackPort =
    (backends !== undefined && backends.length > 0) ||
    tcp ||
    (domains?.some((d) => d.backPort === undefined) ?? false);
  if (backPort !== undefined && backPort.value === undefined && needsBackPort) {
    const why = tcp
      ? 'a tcp rule'
      : backends !== undefined && backends.length > 0
        ? 'the rule has backends'
        : 'a domain gives no backPort';
    problem(sink, keyPath(path, 'backPort'), `is required (${why})`);
  }
  const secure = scheme === 'https' || scheme === 'http2';
  if (
    sink.problems.length !== before ||
    ruleId === undefined ||
    scheme === undefined ||
    frontPort === undefined
  )
    return undefined;
  if (backPort === undefined || backends === undefined || domains === undefined) return undefined;
  if (!secure && tls !== undefined)
    sink.warnings.push({ path: keyPath(path, 'tls'), message: `has no effect on a ${scheme} rule` });
  if (secure && domains.length > 0 && tls !== undefined)
    sink.warnings.push({
      path: keyPath(path, 'tls'),
      message: 'has no effect on a rule with domains (each domain has its own)',
    });
  const ruleTls =
    secure && domains.length === 0 ? (tls ?? fileCertificate(rc.certDir, ruleId, alpn)) : undefined;
  return {
    ruleId,
    scheme,
    frontPort,
    ...(backPort.value === undefined ? {} : { backPort: backPort.value }),
    backends,
    domains: secure
      ? domains.map((d) => (d.tls !== undefined ? d : withFiles(d, rc.certDir, alpn)))
      : domains,
    ...(ruleTls === undefined ? {} : { tls: ruleTls }),
    index,
  };
}

function withFiles(d: VpsieDomain, certDir: CertDir, alpn: TlsConfig['alpn']): VpsieDomain {
  const tls = fileCertificate(certDir, d.domainId, alpn);
  return tls === undefined ? d : { ...d, tls };
}

function readDomains(
  sink: Sink,
  v: unknown,
  path: string,
  tcp: boolean,
  dc: Parameters<typeof readDomain>[3],
): VpsieDomain[] | undefined {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return void problem(sink, path, `must be an array, got ${describe(v)}`);
  if (tcp && v.length > 0) return void problem(sink, path, 'must be absent or empty on a tcp rule');
  if (v.length > MAX_DOMAINS)
    return void problem(sink, path, `must have 0..${MAX_DOMAINS} items, got ${v.length}`);
  const before = sink.problems.length;
  const out: VpsieDomain[] = [];
  const ids: (string | undefined)[] = [];
  const hosts: (string | undefined)[] = [];
  for (let i = 0; i < v.length; i++) {
    const item: unknown = v[i];
    const d = readDomain(sink, item, indexPath(path, i), dc);
    if (d !== undefined) out.push(d);
    ids.push(idForUniqueness(item, 'domainId'));
    hosts.push(d?.host);
  }
  reportDuplicateIds(sink, ids, path, 'domainId');
  forEachDuplicate(hosts, (i, first) =>
    problem(
      sink,
      indexPath(path, i),
      `serves the same host ${describe(hosts[i])} as ${indexPath(path, first)}`,
    ),
  );
  return sink.problems.length === before ? out : undefined;
}
