/** A VPSie-form Domain: served host, pool settings (effective, LB-wide defaults applied), certificate. */
import type { AddressPolicy } from '../address.ts';
import { hostnameProblem } from '../address.ts';
import { readPath, TOKEN } from '../health.ts';
import {
  describe,
  field,
  keyPath,
  noteUnknown,
  problem,
  readEnum,
  readId,
  readObject,
  type Sink,
} from '../read.ts';
import type { CertDir, TlsReadOptions } from '../tls.ts';
import { readTlsConfig } from '../tls.ts';
import type { Algorithm, SpecValidationContext, TlsConfig } from '../types.ts';
import { readVpsieBackends, type VpsieBackend } from './backends.ts';
import { optAlgorithm, optFlag, optInt0, optString, reqString } from './fields.ts';

/** The LB-wide defaults a domain falls back to (raw: undefined when the LB does not set them). */
export interface LbDefaults {
  readonly algorithm?: Algorithm;
  readonly healthCheckPath?: string;
  readonly checkInterval?: number;
  readonly fastInterval?: number;
  readonly rise?: number;
  readonly fall?: number;
  readonly redirectHTTP?: boolean;
  readonly cookieCheck?: boolean;
  readonly cookieName?: string;
}

export const DEFAULTS = { checkInterval: 2000, fastInterval: 1000, rise: 2, fall: 3, path: '/' } as const;

export interface HealthSettings {
  readonly path: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly rise: number;
  readonly fall: number;
}

export interface VpsieDomain {
  readonly domainId: string;
  /** Lower case; `*.suffix` for a wildcard. */
  readonly host: string;
  readonly backendScheme: 'http' | 'https';
  /** Undefined: the rule's backPort (the rule reader checks it is there). */
  readonly backPort?: number;
  readonly algorithm: Algorithm;
  readonly redirect: boolean;
  readonly health: HealthSettings;
  readonly stickyCookie?: string;
  readonly tls?: TlsConfig;
  readonly backends: readonly VpsieBackend[];
}

const KNOWN = new Set([
  'domainId',
  'domainName',
  'subdomain',
  'backendScheme',
  'backPort',
  'algorithm',
  'redirectHTTP',
  'healthCheckPath',
  'checkInterval',
  'fastInterval',
  'rise',
  'fall',
  'cookieCheck',
  'cookieName',
  'tls',
  'backends',
  'created_on',
]);
const INTERVAL = [100, 3_600_000] as const;

/** `name`, or `*.name`; the problem (if any) is returned, not reported. */
function domainNameProblem(s: string): string | undefined {
  const name = s.startsWith('*.') ? s.slice(2) : s;
  const why = hostnameProblem(name);
  return why === undefined
    ? undefined
    : `must be a hostname or "*." and a hostname: ${why}, got ${describe(s)}`;
}

/** A cookie name: an HTTP token of 1..64 characters. */
export function cookieNameProblem(s: string): string | undefined {
  if (s.length > 64) return `must be 1..64 characters, got ${s.length}`;
  if (!TOKEN.test(s)) return `must be an HTTP token (RFC 9110), got ${describe(s)}`;
  return undefined;
}

/** LB-wide or domain health fields with the same rules; undefined fields are unset. */
export function readHealthFields(sink: Sink, obj: Readonly<Record<string, unknown>>, path: string) {
  const rawPath = optString(sink, obj, 'healthCheckPath', path);
  const hcPath =
    rawPath === undefined ? undefined : readPath(sink, rawPath, keyPath(path, 'healthCheckPath'));
  return {
    healthCheckPath: hcPath,
    checkInterval: optInt0(sink, obj, 'checkInterval', path, INTERVAL[0], INTERVAL[1])?.value,
    fastInterval: optInt0(sink, obj, 'fastInterval', path, INTERVAL[0], INTERVAL[1])?.value,
    rise: optInt0(sink, obj, 'rise', path, 1, 100)?.value,
    fall: optInt0(sink, obj, 'fall', path, 1, 100)?.value,
  };
}

export function effectiveHealth(
  own: {
    healthCheckPath?: string;
    checkInterval?: number;
    fastInterval?: number;
    rise?: number;
    fall?: number;
  },
  lb: LbDefaults,
): HealthSettings {
  return {
    path: own.healthCheckPath ?? lb.healthCheckPath ?? DEFAULTS.path,
    intervalMs: own.checkInterval ?? lb.checkInterval ?? DEFAULTS.checkInterval,
    timeoutMs: own.fastInterval ?? lb.fastInterval ?? DEFAULTS.fastInterval,
    rise: own.rise ?? lb.rise ?? DEFAULTS.rise,
    fall: own.fall ?? lb.fall ?? DEFAULTS.fall,
  };
}

export interface DomainContext {
  readonly ctx: SpecValidationContext;
  readonly certDir: CertDir;
  readonly policy: AddressPolicy;
  readonly lb: LbDefaults;
  readonly tlsOptions: TlsReadOptions;
}

export function readDomain(sink: Sink, v: unknown, path: string, dc: DomainContext): VpsieDomain | undefined {
  const obj = readObject(sink, v, path);
  if (obj === undefined) return undefined;
  noteUnknown(sink, obj, KNOWN, path);
  const before = sink.problems.length;
  const rawId = field(sink, obj, 'domainId', path, true);
  const domainId = rawId === undefined ? undefined : readId(sink, rawId, keyPath(path, 'domainId'), 64);
  const name = reqString(sink, obj, 'domainName', path);
  let host: string | undefined;
  if (name !== undefined) {
    const why = domainNameProblem(name);
    if (why !== undefined) problem(sink, keyPath(path, 'domainName'), why);
    else host = name.toLowerCase();
  }
  const sub = optString(sink, obj, 'subdomain', path);
  if (sub !== undefined && host !== undefined) {
    const at = keyPath(path, 'subdomain');
    if (host.startsWith('*.')) {
      problem(sink, at, 'must not be given with a wildcard domainName');
      host = undefined;
    } else {
      const full = `${sub}.${host}`;
      const why = hostnameProblem(sub) ?? hostnameProblem(full);
      if (why !== undefined) {
        problem(sink, at, `must be hostname labels that make ${describe(full)} a hostname: ${why}`);
        host = undefined;
      } else host = full.toLowerCase();
    }
  }
  const rawScheme = optString(sink, obj, 'backendScheme', path);
  const backendScheme =
    rawScheme === undefined
      ? 'http'
      : readEnum(sink, rawScheme, keyPath(path, 'backendScheme'), ['http', 'https'] as const);
  const backPort = optInt0(sink, obj, 'backPort', path, 1, 65535);
  const algorithm = optAlgorithm(sink, obj, 'algorithm', path);
  const redirect = optFlag(sink, obj, 'redirectHTTP', path);
  const healthBefore = sink.problems.length;
  const health = readHealthFields(sink, obj, path);
  const healthValid = sink.problems.length === healthBefore;
  const cookieCheck = optFlag(sink, obj, 'cookieCheck', path);
  const cookieName = optString(sink, obj, 'cookieName', path);
  if (cookieName !== undefined) {
    const why = cookieNameProblem(cookieName);
    if (why !== undefined) problem(sink, keyPath(path, 'cookieName'), why);
  }
  const rawTls = field(sink, obj, 'tls', path, false);
  const tls =
    rawTls === undefined
      ? undefined
      : readTlsConfig(sink, rawTls, keyPath(path, 'tls'), dc.ctx, dc.certDir, dc.tlsOptions);
  const rawBackends = field(sink, obj, 'backends', path, true);
  const backends =
    rawBackends === undefined
      ? undefined
      : readVpsieBackends(sink, rawBackends, keyPath(path, 'backends'), dc.policy);

  const eff = effectiveHealth(health, dc.lb);
  const fromDomain = health.checkInterval !== undefined || health.fastInterval !== undefined;
  // Only when both fields read well: an invalid interval is its own problem, not also a wrong pair.
  if (healthValid && fromDomain && eff.timeoutMs >= eff.intervalMs) {
    problem(
      sink,
      keyPath(path, 'fastInterval'),
      `must be less than checkInterval (${eff.intervalMs}), got ${eff.timeoutMs}`,
    );
  }
  const sticky = cookieCheck?.value ?? dc.lb.cookieCheck ?? false;
  const effCookie = cookieName ?? dc.lb.cookieName;
  if (sticky && effCookie === undefined) {
    problem(sink, keyPath(path, 'cookieName'), 'is required when cookieCheck is 1');
  }
  if (sink.problems.length !== before) return undefined;
  if (domainId === undefined || host === undefined || backendScheme === undefined || backends === undefined)
    return undefined;
  if (backPort === undefined || algorithm === undefined || redirect === undefined) return undefined;
  return {
    domainId,
    host,
    backendScheme,
    ...(backPort.value === undefined ? {} : { backPort: backPort.value }),
    algorithm: algorithm.value ?? dc.lb.algorithm ?? 'round_robin',
    redirect: redirect.value ?? dc.lb.redirectHTTP ?? false,
    health: eff,
    ...(sticky && effCookie !== undefined ? { stickyCookie: effCookie } : {}),
    ...(tls === undefined ? {} : { tls }),
    backends,
  };
}
