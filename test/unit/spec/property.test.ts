import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { buildAddressPolicy } from '../../../src/spec/address.ts';
import { backendReadersForTest } from '../../../src/spec/backend.ts';
import { parseSpecText, type SpecValidation, validateSpec } from '../../../src/spec/validate.ts';
import { addressArb, idArb, validDocArb } from './arbitraries.ts';
import { CERT_PEM, setAt, testContext } from './helpers.ts';

const ctx = testContext();
type Doc = Record<string, unknown>;

/** A private copy (fast-check reuses generated values while shrinking), and the LoadBalancer inside it. */
const copyOf = (g: { body: Doc; base: string }): { body: Doc; doc: Doc } => {
  const body = structuredClone(g.body);
  return { body, doc: g.base === '' ? body : (body.data as Doc) };
};

// ---- mutations: one known mistake at one known path ----

type Mutation = {
  name: string;
  apply: (doc: Doc, pick: number) => { path: string; value: unknown } | undefined;
};
const backendAt = (doc: Doc, pick: number) => pick % (doc.backends as unknown[]).length;
const onBackend = (field: string, value: unknown): Mutation => ({
  name: `backend ${field} = ${JSON.stringify(value)}`,
  apply: (doc, pick) => ({ path: `backends[${backendAt(doc, pick)}].${field}`, value }),
});
const top = (path: string, value: unknown): Mutation => ({
  name: `${path} = ${JSON.stringify(value)?.slice(0, 30)}`,
  apply: () => ({ path, value }),
});
const MUTATIONS: Mutation[] = [
  top('port', 70000),
  top('port', '80'),
  top('port', 80.5),
  top('port', 9901),
  top('id', 'a b'),
  top('id', ''),
  top('id', null),
  top('name', 'n'.repeat(256)),
  top('name', 'wеb'),
  top('protocol', 'ftp'),
  top('algorithm', 'fastest'),
  top('backends', []),
  top('max_connections', -1),
  top('created_at', '2023-02-29T00:00:00Z'),
  top('updated_at', '2024-01-01 00:00:00Z'),
  top('timeouts.connect', 3601),
  top('timeouts.idle', '1m'),
  onBackend('port', 0),
  onBackend('port', null),
  onBackend('address', '127.0.0.1'),
  onBackend('address', '0x7f000001'),
  onBackend('address', '::ffff:169.254.169.254'),
  onBackend('address', '64:ff9b::7f00:1'),
  onBackend('address', 'api.localhost'),
  onBackend('address', 'fe80::1%eth0'),
  onBackend('weight', 1001),
  onBackend('enabled', 'yes'),
  onBackend('status', 'UP'),
  onBackend('id', 'x y'),
  onBackend('id', undefined),
  {
    name: 'health_check.timeout = interval',
    apply: (doc) => {
      const hc = doc.health_check as Doc | undefined;
      return hc ? { path: 'health_check.timeout', value: hc.interval } : undefined;
    },
  },
  {
    name: 'health_check.expected_status duplicate',
    apply: (doc) =>
      doc.health_check ? { path: 'health_check.expected_status', value: [200, 200] } : undefined,
  },
  {
    name: 'tls_config.min_version = TLSv1.0',
    apply: (doc) => (doc.tls_config ? { path: 'tls_config.min_version', value: 'TLSv1.0' } : undefined),
  },
  {
    name: 'tls_config.alpn = [h3]',
    apply: (doc) => (doc.tls_config ? { path: 'tls_config.alpn', value: ['h3'] } : undefined),
  },
  {
    name: 'tls_config.private_key_pem = certificate',
    apply: (doc) => (doc.tls_config ? { path: 'tls_config.private_key_pem', value: CERT_PEM } : undefined),
  },
];
/** Where the problem is reported when it is not the mutated path itself. */
const expectedPath = (name: string, path: string): string => {
  if (name === 'backends = []') return 'backends';
  if (name.startsWith('health_check.expected_status')) return `${path}[1]`;
  if (name.startsWith('tls_config.alpn')) return `${path}[0]`;
  if (name.startsWith('tls_config.private_key_pem')) return 'tls_config.private_key_pem';
  return path;
};

function mustBeValid(r: SpecValidation) {
  if (!r.ok) assert.fail(`valid document rejected: ${JSON.stringify(r.problems)}`);
  return r;
}

describe('property: validateSpec', () => {
  it('never throws on arbitrary JSON values, nor on arbitrary text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = validateSpec(v, ctx);
        assert.equal(typeof r.ok, 'boolean');
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withMap: true, withSet: true, withBigInt: true }),
        (v) => {
          validateSpec(v, ctx);
          validateSpec({ error: false, data: v }, ctx);
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        assert.equal(typeof parseSpecText(text, ctx).ok, 'boolean');
      }),
      { numRuns: 200 },
    );
  });

  it('never throws when any field of a valid document holds any JSON value', () => {
    const paths = [
      'id',
      'port',
      'backends',
      'backends[0]',
      'backends[0].address',
      'backends[0].weight',
      'health_check',
      'health_check.headers',
      'health_check.expected_status',
      'tls_config',
      'tls_config.certificate_pem',
      'tls_config.private_key_path',
      'tls_config.cipher_suites',
      'timeouts',
      'created_at',
    ];
    fc.assert(
      fc.property(validDocArb, fc.constantFrom(...paths), fc.jsonValue(), (g, path, value) => {
        const { body, doc } = copyOf(g);
        setAt(doc, path, value);
        const r = validateSpec(body, ctx);
        if (!r.ok) for (const p of r.problems) assert.equal(typeof p.message, 'string');
      }),
      { numRuns: 200 },
    );
  });

  it('accepts generated valid documents, and the model keeps their contents', () => {
    fc.assert(
      fc.property(validDocArb, ({ body, base }) => {
        const doc = base === '' ? body : (body.data as Doc);
        const { value } = mustBeValid(validateSpec(body, ctx));
        const backends = doc.backends as Doc[];
        assert.equal(value.id, doc.id);
        assert.equal(value.port, doc.port);
        assert.deepEqual(
          value.backends.map((b) => b.id),
          backends.map((b) => b.id),
        );
        for (const [i, b] of value.backends.entries()) {
          assert.ok(b.weight >= 1 && b.weight <= 1000);
          assert.equal(b.enabled, backends[i]!.enabled ?? true);
          if (b.addressKind === 'hostname')
            assert.equal(b.address, String(backends[i]!.address).toLowerCase());
        }
        assert.equal(value.tls !== undefined, doc.tls_config !== undefined && doc.tls_config !== null);
        assert.ok(value.timeouts.connectSeconds >= 1);
        // The same document as text gives the same model.
        assert.deepEqual(mustBeValid(parseSpecText(JSON.stringify(body), ctx)).value, value);
      }),
      { numRuns: 150 },
    );
  });

  it('reports one known mistake in a valid document at exactly its path', () => {
    fc.assert(
      fc.property(validDocArb, fc.constantFrom(...MUTATIONS), fc.nat(), (g, mutation, pick) => {
        const { body, doc } = copyOf(g);
        const change = mutation.apply(doc, pick);
        fc.pre(change !== undefined);
        setAt(doc, change.path, change.value);
        const r = validateSpec(body, ctx);
        assert.ok(!r.ok, `${mutation.name}: accepted`);
        // Every problem at that one path (a path given next to inline PEM can draw two there).
        const paths = [...new Set(r.problems.map((p) => p.path))];
        assert.deepEqual(paths, [g.base + expectedPath(mutation.name, change.path)], mutation.name);
      }),
      { numRuns: 400 },
    );
  });
});

describe('property: the fast backend reader never disagrees with the explaining one', () => {
  const policy = buildAddressPolicy([], []).policy;
  const loose = <T>(arb: fc.Arbitrary<T>) =>
    fc.oneof(arb, fc.constantFrom<unknown>(null, '', 0, -0, 1.5, true, '1', [], {}), fc.jsonValue());
  const looseBackend = fc.record(
    {
      id: loose(idArb(70)),
      address: loose(
        fc.oneof(addressArb, fc.constantFrom('127.0.0.1', '0x7f.1', 'localhost', 'a..b', '::1')),
      ),
      port: loose(fc.integer({ min: -1, max: 70000 })),
      weight: loose(fc.integer({ min: -1, max: 1001 })),
      enabled: loose(fc.boolean()),
      status: loose(fc.constantFrom('up', 'down', 'unknown', 'UP')),
      extra: fc.jsonValue(),
    },
    { requiredKeys: [] },
  );
  it('agrees on random backends', () => {
    fc.assert(
      fc.property(looseBackend, (b) => {
        const fast = backendReadersForTest.fast(b, policy);
        const full = backendReadersForTest.full(b, policy);
        if (fast !== undefined) assert.deepEqual(fast, full);
      }),
      { numRuns: 1000 },
    );
  });
});
