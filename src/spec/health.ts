import {
  describe,
  field,
  indexPath,
  isObject,
  keyPath,
  noteUnknown,
  problem,
  readArray,
  readEnum,
  readInt,
  readObject,
  readString,
  type Sink,
} from './read.ts';
import type { HealthCheck, HealthCheckHeader, HealthCheckType } from './types.ts';

const KNOWN = new Set([
  'type',
  'interval',
  'timeout',
  'unhealthy_threshold',
  'healthy_threshold',
  'path',
  'expected_status',
  'headers',
]);
const TYPES: readonly HealthCheckType[] = ['tcp', 'http', 'https'];

// RFC 9110 token: 1*tchar.
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function readPath(sink: Sink, v: unknown, path: string): string | undefined {
  const s = readString(sink, v, path);
  if (s === undefined) return undefined;
  if (!s.startsWith('/')) return void problem(sink, path, `must start with "/", got ${describe(s)}`);
  if (s.length > 1024) return void problem(sink, path, `must be at most 1024 characters, got ${s.length}`);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) {
      return void problem(
        sink,
        path,
        `must hold only visible ASCII (no spaces or control characters), got ${describe(s)}`,
      );
    }
  }
  return s;
}

function readStatuses(sink: Sink, v: unknown, path: string): number[] | undefined {
  const arr = readArray(sink, v, path);
  if (arr === undefined) return undefined;
  const out: number[] = [];
  let ok = true;
  for (let i = 0; i < arr.length; i++) {
    const s = readInt(sink, arr[i], indexPath(path, i), 100, 599);
    if (s === undefined) ok = false;
    else if (out.includes(s)) {
      problem(sink, indexPath(path, i), `duplicate status ${s}`);
      ok = false;
    } else out.push(s);
  }
  return ok ? out : undefined;
}

function readHeaders(sink: Sink, v: unknown, path: string): HealthCheckHeader[] | undefined {
  if (!isObject(v))
    return void problem(sink, path, `must be an object of header names to values, got ${describe(v)}`);
  const out: HealthCheckHeader[] = [];
  const seen = new Map<string, string>();
  let ok = true;
  for (const name of Object.keys(v)) {
    if (name === '__proto__') {
      ok = false; // reported by the document-wide scan
      continue;
    }
    const p = keyPath(path, name);
    const value = v[name];
    if (!TOKEN.test(name)) {
      problem(sink, p, `header name must be an HTTP token (RFC 9110), got ${describe(name)}`);
      ok = false;
    } else {
      const lower = name.toLowerCase();
      const first = seen.get(lower);
      if (first !== undefined) {
        problem(sink, p, `duplicate header name (also ${JSON.stringify(first)}; names are case-insensitive)`);
        ok = false;
      } else seen.set(lower, name);
    }
    if (typeof value !== 'string') {
      problem(sink, p, `must be a string, got ${describe(value)}`);
      ok = false;
    } else if (/[\r\n\0]/.test(value)) {
      problem(sink, p, 'must not contain CR, LF or NUL');
      ok = false;
    } else out.push({ name, value });
  }
  return ok ? out : undefined;
}

export function readHealthCheck(sink: Sink, v: unknown, path: string): HealthCheck | undefined {
  const obj = readObject(sink, v, path);
  if (obj === undefined) return undefined;
  noteUnknown(sink, obj, KNOWN, path);
  const before = sink.problems.length;
  const rawType = field(sink, obj, 'type', path, true);
  const type = rawType === undefined ? undefined : readEnum(sink, rawType, keyPath(path, 'type'), TYPES);
  const int = (key: string, min: number, max: number): number | undefined => {
    const raw = field(sink, obj, key, path, true);
    return raw === undefined ? undefined : readInt(sink, raw, keyPath(path, key), min, max);
  };
  const interval = int('interval', 1, 3600);
  const timeout = int('timeout', 1, 3600);
  if (interval !== undefined && timeout !== undefined && timeout >= interval) {
    problem(sink, keyPath(path, 'timeout'), `must be less than interval (${interval}), got ${timeout}`);
  }
  const unhealthy = int('unhealthy_threshold', 1, 100);
  const healthy = int('healthy_threshold', 1, 100);
  const httpLike = type === 'http' || type === 'https';
  const rawPath = field(sink, obj, 'path', path, httpLike);
  const hcPath = rawPath === undefined ? undefined : readPath(sink, rawPath, keyPath(path, 'path'));
  const rawStatus = field(sink, obj, 'expected_status', path, false);
  const statuses =
    rawStatus === undefined ? [200] : readStatuses(sink, rawStatus, keyPath(path, 'expected_status'));
  const rawHeaders = field(sink, obj, 'headers', path, false);
  const headers = rawHeaders === undefined ? [] : readHeaders(sink, rawHeaders, keyPath(path, 'headers'));

  if (sink.problems.length !== before || headers === undefined || statuses === undefined) return undefined;
  if (type === undefined || interval === undefined || timeout === undefined) return undefined;
  if (unhealthy === undefined || healthy === undefined) return undefined;
  if (!httpLike && (hcPath !== undefined || rawStatus !== undefined || rawHeaders !== undefined)) {
    sink.warnings.push({
      path,
      message: 'path, expected_status and headers have no effect on a tcp health check',
    });
  }
  return {
    type,
    intervalSeconds: interval,
    timeoutSeconds: timeout,
    unhealthyThreshold: unhealthy,
    healthyThreshold: healthy,
    ...(httpLike && hcPath !== undefined ? { path: hcPath } : {}),
    expectedStatus: statuses,
    headers,
  };
}
