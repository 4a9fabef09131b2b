// Properties of the VPSie form: the reader never throws; a known mistake is reported at exactly its path; every
// valid generated document renders to configuration the schema check accepts, deterministically.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { defaultAgentConfig } from '../../../src/config/defaults.ts';
import { renderEnvoyConfig } from '../../../src/envoy/build/render.ts';
import { parseDocumentText, validateDocument } from '../../../src/model/read.ts';
import { schemaProblems } from '../../../src/pipeline.ts';
import { setAt, testContext } from '../spec/helpers.ts';
import { vpsieDocArb } from './vpsie-arbitraries.ts';

const ctx = testContext();
type Doc = Record<string, unknown>;
const copyOf = (g: { body: Doc; base: string }) => {
  const body = structuredClone(g.body);
  return { body, doc: g.base === '' ? body : (body.data as Doc) };
};

type Mutation = {
  name: string;
  apply: (doc: Doc) => { path: string; value: unknown; at?: string } | undefined;
};
const rules = (doc: Doc) => doc.rules as Doc[];
const firstDomain = (doc: Doc): { path: string; d: Doc } | undefined => {
  for (const [i, r] of rules(doc).entries()) {
    const ds = (r.domains as Doc[] | undefined) ?? [];
    if (ds[0] !== undefined) return { path: `rules[${i}].domains[0]`, d: ds[0] };
  }
  return undefined;
};
const firstBackend = (doc: Doc): string | undefined => {
  for (const [i, r] of rules(doc).entries()) {
    if (((r.backends as Doc[]) ?? []).length > 0) return `rules[${i}].backends[0]`;
  }
  return undefined;
};
const onRule = (field: string, value: unknown): Mutation => ({
  name: `rule ${field} = ${JSON.stringify(value)}`,
  apply: (doc) => (rules(doc).length > 0 ? { path: `rules[0].${field}`, value } : undefined),
});
const onDomain = (field: string, value: unknown, at?: string): Mutation => ({
  name: `domain ${field} = ${JSON.stringify(value)}`,
  apply: (doc) => {
    const f = firstDomain(doc);
    return f === undefined
      ? undefined
      : { path: `${f.path}.${field}`, value, ...(at === undefined ? {} : { at: `${f.path}.${at}` }) };
  },
});
const onBackend = (field: string, value: unknown): Mutation => ({
  name: `backend ${field} = ${JSON.stringify(value)}`,
  apply: (doc) => {
    const b = firstBackend(doc);
    return b === undefined ? undefined : { path: `${b}.${field}`, value };
  },
});
const MUTATIONS: Mutation[] = [
  { name: 'identifier', apply: () => ({ path: 'identifier', value: 'a/b' }) },
  { name: 'lbName ""', apply: () => ({ path: 'lbName', value: '' }) },
  { name: 'algorithm', apply: () => ({ path: 'algorithm', value: 'LEASTCONN' }) },
  { name: 'timeout', apply: () => ({ path: 'timeout', value: 3601 }) },
  { name: 'flat port', apply: () => ({ path: 'port', value: 80 }) },
  onRule('frontPort', 70000),
  onRule('frontPort', 9902),
  onRule('scheme', 'udp'),
  onRule('ruleId', ''),
  onRule('backPort', 65536),
  onDomain('domainName', 'bad_name.example.com'),
  onDomain('backPort', -1),
  onDomain('checkInterval', 99),
  onDomain('rise', 101),
  onDomain('cookieName', 'a b'),
  onDomain('redirectHTTP', 'true'),
  onDomain('backendScheme', 'tcp'),
  onBackend('ip', '169.254.169.254'),
  onBackend('ip', 'backend.internal'),
  onBackend('identifier', 'x y'),
  onBackend('vmIdentifier', 'v'.repeat(129)),
];

describe('property: the VPSie-form reader', () => {
  it('never throws on arbitrary values in rules, domains and backends, nor on arbitrary text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), (a, b, c) => {
        const r = validateDocument(
          {
            identifier: 'x',
            lbName: 'y',
            rules: [a, { ruleId: 'r', scheme: 'http', frontPort: 1, domains: [b], backends: [c] }],
          },
          ctx,
        );
        assert.equal(typeof r.ok, 'boolean');
        assert.equal(typeof validateDocument({ rules: a }, ctx).ok, 'boolean');
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        assert.equal(typeof parseDocumentText(`{"rules":${text}}`, ctx).ok, 'boolean');
      }),
      { numRuns: 200 },
    );
  });

  it('never throws when any field of a valid document holds any JSON value', () => {
    const paths = [
      'rules',
      'rules[0]',
      'rules[0].domains',
      'rules[0].domains[0]',
      'rules[0].backends[0].ip',
      'rules[0].tls',
      'checkInterval',
      'cookieCheck',
      'rules[0].domains[0].tls',
    ];
    fc.assert(
      fc.property(vpsieDocArb, fc.constantFrom(...paths), fc.jsonValue(), (g, path, value) => {
        const { body, doc } = copyOf(g);
        if (rules(doc).length === 0) return;
        setAt(doc, path, value);
        const r = validateDocument(body, ctx);
        if (!r.ok) for (const p of r.problems) assert.equal(typeof p.message, 'string');
      }),
      { numRuns: 200 },
    );
  });

  it('reports one known mistake in a valid document at exactly its path', () => {
    fc.assert(
      fc.property(vpsieDocArb, fc.constantFrom(...MUTATIONS), (g, mutation) => {
        const { body, doc } = copyOf(g);
        const change = mutation.apply(doc);
        fc.pre(change !== undefined);
        setAt(doc, change.path, change.value);
        const r = validateDocument(body, ctx);
        assert.ok(!r.ok, `${mutation.name}: accepted`);
        const paths = [...new Set(r.problems.map((p) => p.path))];
        assert.deepEqual(paths, [g.base + (change.at ?? change.path)], mutation.name);
      }),
      { numRuns: 400 },
    );
  });
});

describe('property: render ∘ validate on the VPSie form', () => {
  for (const ipv6 of [false, true]) {
    it(`every valid generated document renders to schema-valid Envoy config, deterministically (ipv6 ${ipv6})`, () => {
      const base = defaultAgentConfig();
      const config = { ...base, envoy: { ...base.envoy, ipv6 } };
      fc.assert(
        fc.property(vpsieDocArb, ({ body }) => {
          const result = validateDocument(structuredClone(body), ctx);
          assert.ok(
            result.ok,
            `generator produced an invalid document: ${JSON.stringify(!result.ok && result.problems)}`,
          );
          const rendered = renderEnvoyConfig(result.value, config);
          assert.deepEqual(schemaProblems(rendered), []);
          assert.equal(renderEnvoyConfig(result.value, config).hash, rendered.hash);
          assert.equal(rendered.listeners.resources.length, result.value.listeners.length * (ipv6 ? 2 : 1));
        }),
        { numRuns: 120 },
      );
    });
  }
});
