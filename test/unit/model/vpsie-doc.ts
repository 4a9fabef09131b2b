// A valid VPSie-form document and small helpers for the VPSie-form tests.
import assert from 'node:assert/strict';
import { validateDocument, type DocumentValidation } from '../../../src/model/read.ts';
import type { LoadBalancerModel } from '../../../src/model/types.ts';
import type { SpecValidationContext } from '../../../src/spec/types.ts';
import type { Problem } from '../../../src/util/result.ts';
import { type Doc, setAt, testContext } from '../spec/helpers.ts';

export { setAt, testContext };
export type { Doc };

/** http 80 with a default pool, https 443 with two domains (one sticky, one redirected), a tcp rule. */
export function vpsieDoc(): Doc {
  return {
    identifier: 'lb-7',
    lbName: 'shop front',
    algorithm: 'roundrobin',
    dc_name: 'Toronto',
    traffic: 12,
    rules: [
      {
        ruleId: 'r-http',
        scheme: 'http',
        frontPort: 80,
        backPort: 8080,
        domains: [
          {
            domainId: 'd-www',
            domainName: 'example.com',
            subdomain: 'www',
            backends: [{ ip: '10.0.0.1', identifier: 'vm1' }],
          },
        ],
        backends: [{ ip: '10.0.0.9', identifier: 'vm9' }],
      },
      {
        ruleId: 'r-https',
        scheme: 'https',
        frontPort: 443,
        backPort: 8443,
        domains: [
          {
            domainId: 'd-shop',
            domainName: 'shop.example.com',
            redirectHTTP: 1,
            cookieCheck: true,
            cookieName: 'SID',
            backends: [
              { ip: '10.0.0.2', identifier: 'vm2' },
              { ip: '10.0.0.3', identifier: 'vm3' },
            ],
          },
          {
            domainId: 'd-api',
            domainName: '*.api.example.com',
            backendScheme: 'https',
            backends: [{ ip: '10.0.0.4', identifier: 'vm4' }],
          },
        ],
      },
      {
        ruleId: 'r-nfs',
        scheme: 'tcp',
        frontPort: 2049,
        backPort: 2049,
        backends: [{ ip: '10.0.1.1', identifier: 'nfs1' }],
      },
    ],
  };
}

export const check = (doc: unknown, ctx: Partial<SpecValidationContext> = {}): DocumentValidation =>
  validateDocument(doc, testContext(ctx));

export function withAt(doc: Doc, path: string, value: unknown): Doc {
  const copy = structuredClone(doc);
  setAt(copy, path, value);
  return copy;
}

export function model(r: DocumentValidation): LoadBalancerModel {
  if (!r.ok) assert.fail(`expected a valid document, got ${JSON.stringify(r.problems)}`);
  return r.value;
}

export function problems(r: DocumentValidation): Problem[] {
  if (r.ok) assert.fail(`expected problems, got a valid document (warnings ${JSON.stringify(r.warnings)})`);
  return r.problems;
}

/** Exactly one problem, at `path`, whose message contains `fragment`. */
export function onlyProblem(r: DocumentValidation, path: string, fragment?: string): Problem {
  const ps = problems(r);
  assert.equal(ps.length, 1, `expected one problem at ${path}, got ${JSON.stringify(ps)}`);
  const p = ps[0]!;
  assert.equal(p.path, path);
  if (fragment !== undefined) assert.ok(p.message.includes(fragment), `"${p.message}" lacks "${fragment}"`);
  return p;
}
