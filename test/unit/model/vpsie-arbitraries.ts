// Generators of valid VPSie-form documents (vpsie-form.md) for the property tests.
import fc from 'fast-check';
import { CERT_PEM, KEY_PEM } from '../spec/helpers.ts';

type Doc = Record<string, unknown>;

const label = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
const algorithm = fc.constantFrom(
  'roundrobin',
  'round_robin',
  'leastconn',
  'least_connections',
  'least_request',
  'source',
  'ring_hash',
  'random',
  '',
);
const flag = fc.constantFrom(0, 1, true, false);
/** Unset in one of the API's ways: absent, null, or the Go zero value. */
const unset = fc.constantFrom(undefined, null);
const maybe = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 2, arbitrary: arb }, { weight: 1, arbitrary: unset });

/** checkInterval and fastInterval with fast < check, or neither. */
const intervals = fc.oneof(
  fc.constant({}),
  fc
    .tuple(fc.integer({ min: 101, max: 60_000 }), fc.integer({ min: 100, max: 60_000 }))
    .map(([check, fast]) => ({ checkInterval: check, fastInterval: Math.min(fast, check - 1) })),
);

const backends = (prefix: string, max: number) =>
  fc.integer({ min: 0, max }).map((n) =>
    Array.from({ length: n }, (_, i) => ({
      ip: `10.${prefix}.${i + 1}`,
      identifier: `vm-${prefix.replace('.', '-')}-${i}`,
    })),
  );

function domainArb(r: number, j: number, secure: boolean): fc.Arbitrary<Doc> {
  return fc
    .record({
      domainName: fc.oneof(
        label.map((l) => `${l}.d${j}.example.com`),
        label.map((l) => `*.${l}.w${j}.example.com`),
      ),
      subdomain: fc.option(label, { nil: undefined }),
      backendScheme: maybe(fc.constantFrom('http', 'https', '')),
      backPort: maybe(fc.integer({ min: 0, max: 65535 })),
      algorithm: maybe(algorithm),
      redirectHTTP: maybe(flag),
      healthCheckPath: maybe(fc.constantFrom('/', '/healthz', '/a/b?c=d', '')),
      rise: maybe(fc.integer({ min: 0, max: 100 })),
      fall: maybe(fc.integer({ min: 0, max: 100 })),
      sticky: fc.boolean(),
      intervals,
      inlineTls: fc.boolean(),
      backends: backends(`${r}.${j}`, 3),
    })
    .map((d) => {
      const { sticky, intervals: iv, inlineTls, subdomain, ...rest } = d;
      const wildcard = d.domainName.startsWith('*.');
      return {
        domainId: `d${j}`,
        ...rest,
        ...(subdomain !== undefined && !wildcard ? { subdomain } : {}),
        ...iv,
        ...(sticky ? { cookieCheck: 1, cookieName: `C${j}` } : {}),
        ...(secure && inlineTls ? { tls: { certificate_pem: CERT_PEM, private_key_pem: KEY_PEM } } : {}),
      };
    });
}

function ruleArb(r: number): fc.Arbitrary<Doc> {
  return fc.constantFrom('http', 'https', 'http2', 'tcp').chain((scheme) => {
    const secure = scheme === 'https' || scheme === 'http2';
    const domains =
      scheme === 'tcp'
        ? fc.constant<Doc[]>([])
        : fc
            .integer({ min: 0, max: 3 })
            .chain((n) =>
              n === 0
                ? fc.constant<Doc[]>([])
                : fc.tuple(...Array.from({ length: n }, (_, j) => domainArb(r, j, secure))),
            );
    return fc
      .record({ domains, backends: backends(`${r}.9`, 3), backPort: fc.integer({ min: 1, max: 65535 }) })
      .map((x) => ({
        ruleId: `r${r}`,
        scheme,
        frontPort: 10_000 + r,
        backPort: x.backPort,
        ...(scheme === 'tcp' ? { backends: x.backends } : { domains: x.domains, backends: x.backends }),
        created_on: '2024-01-01',
      }));
  });
}

export const vpsieDocArb: fc.Arbitrary<{ body: Doc; base: string }> = fc
  .record({
    rules: fc
      .integer({ min: 0, max: 4 })
      .chain((n) =>
        n === 0 ? fc.constant<Doc[]>([]) : fc.tuple(...Array.from({ length: n }, (_, i) => ruleArb(i))),
      ),
    algorithm: maybe(algorithm),
    intervals,
    rise: maybe(fc.integer({ min: 1, max: 100 })),
    timeout: maybe(fc.integer({ min: 0, max: 3600 })),
    cookieName: maybe(fc.constantFrom('LB', 'SESSION_ID')),
    envelope: fc.boolean(),
    informational: fc.jsonValue().filter((v) => !JSON.stringify(v).includes('"__proto__"')),
  })
  .map(({ envelope, intervals: iv, informational, ...rest }) => {
    const doc: Doc = { identifier: 'lb-gen', lbName: 'generated', ...rest, ...iv, dc_name: informational };
    // Domains without a backPort of their own fall back to the rule's (always given here).
    return envelope ? { body: { error: false, data: doc }, base: 'data.' } : { body: doc, base: '' };
  });
