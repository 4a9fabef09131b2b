/**
 * The contract (/work/shared/contract/loadbalancer-spec.md): untrusted JSON → `LoadBalancerSpec`, or every
 * problem at once with a JSON path relative to the body. Pure, except for the injected `ctx.resolvePath`.
 */
import type { Problem } from '../util/result.ts';
import { buildAddressPolicy } from './address.ts';
import { readBackends } from './backend.ts';
import { dateTimeProblem } from './datetime.ts';
import { readHealthCheck } from './health.ts';
import {
  describe,
  field,
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
  readString,
  type Sink,
} from './read.ts';
import { readTlsConfig, resolveCertDir } from './tls.ts';
import type { Algorithm, LoadBalancerSpec, Protocol, SpecValidationContext, Timeouts } from './types.ts';

export type SpecValidation =
  | { ok: true; value: LoadBalancerSpec; warnings: Problem[]; ignored: string[] }
  | { ok: false; problems: Problem[]; apiError?: string };

const ENVELOPE_KNOWN = new Set(['error', 'data', 'message']);
const LB_KNOWN = new Set([
  'id',
  'name',
  'protocol',
  'port',
  'algorithm',
  'backends',
  'health_check',
  'tls_config',
  'timeouts',
  'max_connections',
  'created_at',
  'updated_at',
]);
const TIMEOUTS_KNOWN = new Set(['connect', 'idle', 'request']);
const PROTOCOLS: readonly Protocol[] = ['http', 'https', 'tcp'];
const ALGORITHMS: readonly Algorithm[] = ['round_robin', 'least_request', 'random', 'ring_hash'];
const DEFAULT_CONNECT_SECONDS = 5;

/**
 * Validates a parsed JSON body in the flat form only: an envelope (`{"error": false, "data": {...}}`) or a bare
 * LoadBalancer. The agent reads documents with `validateDocument` (src/model/read.ts), which picks the form.
 */
export function validateSpec(body: unknown, ctx: SpecValidationContext): SpecValidation {
  return validateBody(body, (sink, doc, base) => readLoadBalancer(sink, doc, base, ctx));
}

export type BodyValidation<T> =
  | { ok: true; value: T; warnings: Problem[]; ignored: string[] }
  | { ok: false; problems: Problem[]; apiError?: string };

/** The envelope and the document-wide `__proto__` rule, shared by both forms; `read` reads the document. */
export function validateBody<T>(
  body: unknown,
  read: (sink: Sink, doc: JsonObject, base: string) => T | undefined,
): BodyValidation<T> {
  const sink: Sink = { problems: [], warnings: [], ignored: [] };
  let doc: unknown = body;
  let base = '';
  if (isObject(body) && Object.hasOwn(body, 'error')) {
    const error = body.error;
    if (error === true) return apiError(body);
    noteUnknown(sink, body, ENVELOPE_KNOWN, '');
    if (error !== false) problem(sink, 'error', `must be a boolean, got ${describe(error)}`);
    base = 'data';
    doc = field(sink, body, 'data', '', true);
  } else if (!isObject(body)) {
    problem(sink, '', `must be a JSON object, got ${describe(body)}`);
  }
  findProtoKeys(sink, body);
  let value: T | undefined;
  if (doc !== undefined && (base === '' ? isObject(doc) : readObject(sink, doc, base) !== undefined)) {
    value = read(sink, doc as JsonObject, base);
  }
  if (sink.problems.length > 0 || value === undefined) return { ok: false, problems: sink.problems };
  return { ok: true, value, warnings: sink.warnings, ignored: sink.ignored };
}

/** JSON text → a parsed body, or the problem (never quoting the input). */
export function parseJsonBody(
  text: string,
): { ok: true; body: unknown } | { ok: false; problems: Problem[] } {
  try {
    return { ok: true, body: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) };
  } catch (err) {
    // V8 quotes a snippet of the input ("..." is not valid JSON); that could be key material, so it goes.
    const raw = err instanceof Error ? err.message : String(err);
    const message = raw.replace(/,\s*".*" is not valid JSON$/s, '').replace(/".*"/s, '"…"');
    return { ok: false, problems: [{ path: '', message: `invalid JSON: ${message}` }] };
  }
}

/** `JSON.parse`, then `validateSpec`. A leading byte order mark is ignored (RFC 8259 §8.1 allows it). */
export function parseSpecText(text: string, ctx: SpecValidationContext): SpecValidation {
  const parsed = parseJsonBody(text);
  return parsed.ok ? validateSpec(parsed.body, ctx) : parsed;
}

function apiError(body: JsonObject): { ok: false; problems: Problem[]; apiError?: string } {
  const message = own(body, 'message');
  if (typeof message !== 'string') {
    return { ok: false, problems: [{ path: 'error', message: 'the API reported an error (no message)' }] };
  }
  const shown = JSON.stringify(message.length > 200 ? `${message.slice(0, 200)}…` : message);
  return {
    ok: false,
    problems: [{ path: 'error', message: `the API reported an error: ${shown}` }],
    apiError: message,
  };
}

/**
 * JSON.parse keeps a `__proto__` key as an own property; the contract rejects it anywhere, ignored fields
 * included. A cheap pass first (no paths, no allocation per node), then a second one with paths only when there
 * is something to report. Both are iterative, so deep nesting cannot overflow the stack. JSON.parse output is a
 * tree; for other input (shared or cyclic references) the cheap pass gives up after a node budget and the
 * second pass, which keeps a visited set, decides.
 */
function findProtoKeys(sink: Sink, body: unknown): void {
  if (quickScan(body) === false) return;
  reportProtoKeys(sink, body);
}

const QUICK_SCAN_BUDGET = 2_000_000;

/** false: no `__proto__` key; true: found one; undefined: budget exhausted. */
function quickScan(body: unknown): boolean | undefined {
  const stack: unknown[] = [body];
  let budget = QUICK_SCAN_BUDGET;
  while (stack.length > 0) {
    if (--budget < 0) return undefined;
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        if (typeof item === 'object' && item !== null) stack.push(item);
      }
      continue;
    }
    const o = v as JsonObject;
    for (const k of Object.keys(o)) {
      if (k === '__proto__') return true;
      const child = o[k];
      if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
  return false;
}

function reportProtoKeys(sink: Sink, body: unknown): void {
  const stack: { v: unknown; path: string }[] = [{ v: body, path: '' }];
  const seen = new Set<object>();
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const v = top.v;
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${top.path}[${i}]` });
      continue;
    }
    const o = v as JsonObject;
    const keys = Object.keys(o);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      if (k === '__proto__') {
        const at = keyPath(top.path, k);
        // Deep nesting in an ignored field could make the path megabytes long.
        problem(
          sink,
          at.length > 200 ? `${at.slice(0, 200)}…` : at,
          'a key named "__proto__" is not allowed',
        );
      }
      stack.push({ v: o[k], path: keyPath(top.path, k) });
    }
  }
}

export function readLoadBalancer(sink: Sink, obj: JsonObject, path: string, ctx: SpecValidationContext) {
  noteUnknown(sink, obj, LB_KNOWN, path);
  const at = (key: string) => keyPath(path, key);
  const req = (key: string) => field(sink, obj, key, path, true);
  const opt = (key: string) => field(sink, obj, key, path, false);

  const rawId = req('id');
  const id = rawId === undefined ? undefined : readId(sink, rawId, at('id'), 64);
  const rawName = req('name');
  const name = rawName === undefined ? undefined : readId(sink, rawName, at('name'), 255);
  const rawProtocol = req('protocol');
  const protocol =
    rawProtocol === undefined ? undefined : readEnum(sink, rawProtocol, at('protocol'), PROTOCOLS);
  const rawPort = req('port');
  let port = rawPort === undefined ? undefined : readInt(sink, rawPort, at('port'), 1, 65535);
  if (port !== undefined && port === ctx.envoyAdminPort) {
    problem(sink, at('port'), `must not be the Envoy admin port (${port})`);
    port = undefined;
  } else if (port !== undefined && port === ctx.agentPort) {
    problem(sink, at('port'), `must not be the agent's own HTTP port (${port})`);
    port = undefined;
  }
  const rawAlgorithm = req('algorithm');
  const algorithm =
    rawAlgorithm === undefined ? undefined : readEnum(sink, rawAlgorithm, at('algorithm'), ALGORITHMS);

  const rawBackends = req('backends');
  let backends: ReturnType<typeof readBackends>;
  if (rawBackends !== undefined) {
    const { policy, invalid } = buildAddressPolicy(ctx.denyCidrs, ctx.allowCidrs, [
      ctx.envoyAdminPort,
      ctx.agentPort,
    ]);
    // Fail closed: an address policy we cannot read must not silently allow everything.
    if (invalid.length > 0)
      problem(sink, at('backends'), `agent config has invalid CIDRs: ${invalid.map(describe).join(', ')}`);
    else backends = readBackends(sink, rawBackends, at('backends'), policy);
  }

  const rawHealth = opt('health_check');
  const healthCheck =
    rawHealth === undefined ? undefined : readHealthCheck(sink, rawHealth, at('health_check'));

  const rawTls = field(sink, obj, 'tls_config', path, protocol === 'https');
  const tls =
    rawTls === undefined
      ? undefined
      : readTlsConfig(sink, rawTls, at('tls_config'), ctx, resolveCertDir(ctx));
  if (tls !== undefined && protocol !== undefined && protocol !== 'https') {
    sink.warnings.push({ path: at('tls_config'), message: `has no effect on a ${protocol} load balancer` });
  }

  const rawTimeouts = opt('timeouts');
  const timeouts: Timeouts | undefined =
    rawTimeouts === undefined
      ? { connectSeconds: DEFAULT_CONNECT_SECONDS }
      : readTimeouts(sink, rawTimeouts, at('timeouts'), protocol);

  const rawMax = opt('max_connections');
  const maxConnections =
    rawMax === undefined ? undefined : readInt(sink, rawMax, at('max_connections'), 0, 1_000_000);
  const createdAt = readDateTime(sink, opt('created_at'), at('created_at'));
  const updatedAt = readDateTime(sink, opt('updated_at'), at('updated_at'));

  if (id === undefined || name === undefined || protocol === undefined || port === undefined)
    return undefined;
  if (algorithm === undefined || backends === undefined || timeouts === undefined) return undefined;
  const spec: LoadBalancerSpec = {
    id,
    name,
    protocol,
    port,
    algorithm,
    backends,
    ...(healthCheck === undefined ? {} : { healthCheck }),
    ...(tls === undefined ? {} : { tls }),
    timeouts,
    ...(maxConnections === undefined || maxConnections === 0 ? {} : { maxConnections }),
    ...(createdAt === undefined ? {} : { createdAt }),
    ...(updatedAt === undefined ? {} : { updatedAt }),
  };
  return spec;
}

function readTimeouts(
  sink: Sink,
  v: unknown,
  path: string,
  protocol: Protocol | undefined,
): Timeouts | undefined {
  const obj = readObject(sink, v, path);
  if (obj === undefined) return undefined;
  noteUnknown(sink, obj, TIMEOUTS_KNOWN, path);
  const before = sink.problems.length;
  const read = (key: string, max: number) => {
    const raw = field(sink, obj, key, path, false);
    return raw === undefined ? undefined : readInt(sink, raw, keyPath(path, key), 0, max);
  };
  const connect = read('connect', 3600);
  const idle = read('idle', 86_400);
  const request = read('request', 86_400);
  if (sink.problems.length !== before) return undefined;
  if (request !== undefined && protocol === 'tcp') {
    sink.warnings.push({ path: keyPath(path, 'request'), message: 'has no effect on a tcp load balancer' });
  }
  return {
    connectSeconds: connect === undefined || connect === 0 ? DEFAULT_CONNECT_SECONDS : connect,
    ...(idle === undefined ? {} : { idleSeconds: idle }),
    ...(request === undefined ? {} : { requestSeconds: request }),
  };
}

function readDateTime(sink: Sink, v: unknown, path: string): string | undefined {
  if (v === undefined) return undefined;
  const s = readString(sink, v, path);
  if (s === undefined) return undefined;
  const why = dateTimeProblem(s);
  if (why !== undefined) return void problem(sink, path, `${why}, got ${describe(s)}`);
  return s;
}
