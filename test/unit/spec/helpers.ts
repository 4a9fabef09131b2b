import assert from 'node:assert/strict';
import { posix } from 'node:path';
import type { SpecValidationContext } from '../../../src/spec/types.ts';
import type { SpecValidation } from '../../../src/spec/validate.ts';
import type { Problem } from '../../../src/util/result.ts';

export const CERT_DIR = '/etc/vpsie-lb/certs';

/** A context with the default ports and a lexical resolver (no disk); tests that need the disk pass their own. */
export function testContext(overrides: Partial<SpecValidationContext> = {}): SpecValidationContext {
  return {
    envoyAdminPort: 9901,
    agentPort: 9902,
    certDir: CERT_DIR,
    resolvePath: (p) => posix.normalize(p),
    denyCidrs: [],
    allowCidrs: [],
    ...overrides,
  };
}

export const CERT_PEM =
  'subject=CN = example\n-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZHVtbXk=\n-----END CERTIFICATE-----\n';
export const KEY_BODY = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgU0VDUkVUS0VZ';
export const KEY_PEM = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`;

export type Doc = Record<string, unknown>;

/** A valid http load balancer with three backends; a fresh object every call. */
export function validDoc(): Doc {
  return {
    id: 'lb-1',
    name: 'web',
    protocol: 'http',
    port: 80,
    algorithm: 'round_robin',
    backends: [
      { id: 'b0', address: '10.0.0.10', port: 8080 },
      { id: 'b1', address: '10.0.0.11', port: 8080, weight: 5, enabled: true, status: 'up' },
      { id: 'b2', address: 'app.example.com', port: 8080 },
    ],
  };
}

export function validHttpsDoc(): Doc {
  return {
    ...validDoc(),
    protocol: 'https',
    port: 443,
    tls_config: { certificate_pem: CERT_PEM, private_key_pem: KEY_PEM, min_version: 'TLSv1.2' },
  };
}

export function validHealthCheck(): Doc {
  return {
    type: 'http',
    interval: 10,
    timeout: 5,
    unhealthy_threshold: 3,
    healthy_threshold: 2,
    path: '/healthz',
  };
}

/** Sets (or, with `undefined`, deletes) the value at a problem-style path: `backends[1].port`, `a.b`. */
export function setAt(doc: unknown, path: string, value: unknown): void {
  const parts = [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : m[1]!,
  );
  let at = doc as Record<string | number, unknown>;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (typeof next !== 'object' || next === null) at[part] = {};
    at = at[part] as Record<string | number, unknown>;
  }
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
}

export function withField(doc: Doc, path: string, value: unknown): Doc {
  const copy = structuredClone(doc);
  setAt(copy, path, value);
  return copy;
}

export function problemsOf(r: SpecValidation): Problem[] {
  if (r.ok) assert.fail(`expected problems, got a valid spec (warnings ${JSON.stringify(r.warnings)})`);
  return r.problems;
}

/** Exactly one problem, at `path`, whose message contains `fragment`. */
export function assertOnlyProblem(r: SpecValidation, path: string, fragment?: string): Problem {
  const problems = problemsOf(r);
  assert.equal(problems.length, 1, `expected one problem at ${path}, got ${JSON.stringify(problems)}`);
  const [p] = problems;
  assert.equal(p!.path, path);
  if (fragment !== undefined) assert.ok(p!.message.includes(fragment), `"${p!.message}" lacks "${fragment}"`);
  return p!;
}

export function assertProblemAt(r: SpecValidation, path: string, fragment?: string): Problem {
  const problems = problemsOf(r);
  const p = problems.find((x) => x.path === path);
  assert.ok(p, `no problem at ${path}: ${JSON.stringify(problems)}`);
  if (fragment !== undefined) assert.ok(p.message.includes(fragment), `"${p.message}" lacks "${fragment}"`);
  return p;
}

export function accepted(r: SpecValidation) {
  if (!r.ok) assert.fail(`expected a valid spec, got ${JSON.stringify(r.problems)}`);
  return r;
}
