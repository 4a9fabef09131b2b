// Generators of valid load balancer documents, shared by the validator's and the renderer's property tests.
import fc from 'fast-check';
import { formatIpv6 } from '../../../src/spec/address.ts';
import { CIPHER_SUITES } from '../../../src/spec/types.ts';
import { CERT_PEM, KEY_PEM } from './helpers.ts';

type Doc = Record<string, unknown>;

// ---- generators of valid documents ----

export const idArb = (max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9_-]{1,${max}}$`));
const absent = fc.constantFrom(undefined, null);
const optional = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 2, arbitrary: arb }, { weight: 1, arbitrary: absent });
const randomCase = (s: string) =>
  fc
    .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
    .map((up) => [...s].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));

const octet = fc.integer({ min: 0, max: 255 });
const ipv4Arb = fc.oneof(
  fc.tuple(octet, octet, octet).map(([a, b, c]) => `10.${a}.${b}.${c}`),
  fc.tuple(fc.integer({ min: 16, max: 31 }), octet, octet).map(([a, b, c]) => `172.${a}.${b}.${c}`),
  fc.tuple(octet, octet).map(([a, b]) => `192.168.${a}.${b}`),
  fc.tuple(fc.integer({ min: 64, max: 127 }), octet, octet).map(([a, b, c]) => `100.${a}.${b}.${c}`),
  fc
    .tuple(fc.integer({ min: 1, max: 223 }), octet, octet, octet)
    .filter(([a, b]) => a !== 127 && !(a === 169 && b === 254))
    .map((o) => o.join('.')),
);
const ipv6Arb = fc
  .tuple(
    fc.uint8Array({ minLength: 15, maxLength: 15 }),
    fc.boolean(),
    fc.constantFrom('short', 'full', 'upper'),
  )
  .map(([rest, sparse, style]) => {
    const bytes = Uint8Array.from([0xfd, ...rest]);
    if (sparse) bytes.fill(0, 4, 12);
    if (style === 'short') return formatIpv6(bytes);
    const groups = Array.from({ length: 8 }, (_, i) =>
      ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16),
    );
    return style === 'full'
      ? groups.map((g) => g.padStart(4, '0')).join(':')
      : formatIpv6(bytes).toUpperCase();
  });
const hostnameArb = fc
  .tuple(
    fc.array(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/), { maxLength: 3 }),
    fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
  )
  .map(([labels, last]) => [...labels, last].join('.'))
  .filter((h) => h !== 'localhost' && !h.endsWith('.localhost'))
  .chain(randomCase);
export const addressArb = fc.oneof(
  ipv4Arb,
  ipv6Arb,
  hostnameArb,
  ipv4Arb.map((a) => `::ffff:${a}`),
);

const backendsArb = fc
  .uniqueArray(
    fc.record({
      id: idArb(64),
      address: addressArb,
      weight: optional(fc.integer({ min: 0, max: 1000 })),
      enabled: optional(fc.boolean()),
      status: optional(fc.constantFrom('up', 'down', 'unknown')),
    }),
    { selector: (b) => b.id, minLength: 1, maxLength: 6 },
  )
  // Distinct ports keep enabled address+port pairs distinct whatever the addresses.
  .map((bs) => bs.map((b, i) => ({ ...b, port: 1000 + i })));

const tokenArb = fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,12}$/).filter((t) => t !== '__proto__');
const headersArb = fc
  .uniqueArray(
    fc.tuple(
      tokenArb,
      fc.string({ maxLength: 12 }).filter((v) => !/[\r\n\0]/.test(v)),
    ),
    {
      selector: ([k]) => k.toLowerCase(),
      maxLength: 3,
    },
  )
  .map((entries) => Object.fromEntries(entries));
const healthArb = fc.integer({ min: 2, max: 3600 }).chain((interval) =>
  fc.record({
    type: fc.constantFrom('tcp', 'http', 'https'),
    interval: fc.constant(interval),
    timeout: fc.integer({ min: 1, max: interval - 1 }),
    unhealthy_threshold: fc.integer({ min: 1, max: 100 }),
    healthy_threshold: fc.integer({ min: 1, max: 100 }),
    path: fc.stringMatching(/^\/[!-~]{0,40}$/),
    expected_status: optional(
      fc.uniqueArray(fc.integer({ min: 100, max: 599 }), { minLength: 1, maxLength: 4 }),
    ),
    headers: optional(headersArb),
  }),
);
const certPath = fc.stringMatching(/^[a-z0-9_-][a-z0-9._-]{0,15}$/).map((n) => `/etc/vpsie-lb/certs/${n}`);
const tlsArb = fc
  .tuple(fc.constantFrom('TLSv1.2', 'TLSv1.3'), fc.boolean(), fc.boolean(), fc.boolean())
  .chain(([min, certInline, keyInline, withMax]) =>
    fc.record({
      [certInline ? 'certificate_pem' : 'certificate_path']: certInline ? fc.constant(CERT_PEM) : certPath,
      [keyInline ? 'private_key_pem' : 'private_key_path']: keyInline ? fc.constant(KEY_PEM) : certPath,
      ca_cert_pem: optional(fc.constant(CERT_PEM + CERT_PEM)),
      min_version: fc.constant(min),
      max_version: withMax ? fc.constant(min === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2') : absent,
      cipher_suites: optional(fc.shuffledSubarray([...CIPHER_SUITES], { minLength: 1 })),
      alpn: optional(fc.shuffledSubarray(['h2', 'http/1.1'], { minLength: 1 })),
    }),
  );
const dateArb = fc
  .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

export const validDocArb: fc.Arbitrary<{ body: Doc; base: string }> = fc
  .constantFrom('http', 'https', 'tcp')
  .chain((protocol) =>
    fc.record({
      id: idArb(64),
      name: idArb(255),
      protocol: fc.constant(protocol),
      port: fc.integer({ min: 1, max: 65535 }).filter((p) => p !== 9901 && p !== 9902),
      algorithm: fc.constantFrom('round_robin', 'least_request', 'random', 'ring_hash'),
      backends: backendsArb,
      health_check: optional(healthArb),
      tls_config: protocol === 'https' ? tlsArb : fc.oneof({ weight: 4, arbitrary: absent }, tlsArb),
      timeouts: optional(
        fc.record({
          connect: optional(fc.integer({ min: 0, max: 3600 })),
          idle: optional(fc.integer({ min: 0, max: 86400 })),
          request: optional(fc.integer({ min: 0, max: 86400 })),
        }),
      ),
      max_connections: optional(fc.integer({ min: 0, max: 1_000_000 })),
      created_at: optional(dateArb),
      updated_at: optional(dateArb),
    }),
  )
  .chain((doc) =>
    fc.boolean().map((wrap) => {
      // Through JSON, so that `undefined` fields vanish and the body is what a parser would give.
      const clean = JSON.parse(JSON.stringify(doc)) as Doc;
      return wrap ? { body: { error: false, data: clean }, base: 'data.' } : { body: clean, base: '' };
    }),
  );
