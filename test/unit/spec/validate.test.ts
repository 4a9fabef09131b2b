import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSpecText, validateSpec } from '../../../src/spec/validate.ts';
import {
  assertOnlyProblem,
  assertProblemAt,
  type Doc,
  problemsOf,
  testContext,
  validDoc,
  validHealthCheck,
  accepted,
  withField,
} from './helpers.ts';

const ctx = testContext();
const check = (doc: unknown) => validateSpec(doc, ctx);
const checkText = (text: string) => parseSpecText(text, ctx);

/** [field path, invalid value, message fragment] on the valid base document; exactly one problem expected there. */
type Bad = readonly [string, unknown, string];
function rejects(cases: readonly Bad[], base: () => Doc = validDoc): void {
  for (const [path, value, fragment] of cases) {
    it(`${path} = ${JSON.stringify(value)?.slice(0, 40) ?? 'absent'} → ${fragment}`, () => {
      assertOnlyProblem(check(withField(base(), path, value)), path, fragment);
    });
  }
}

const INJECTIONS = [
  'lb"1',
  "lb'1",
  'lb{{x}}',
  '{{ .Values }}',
  'lb\n1',
  'lb\r\n',
  'lb\u0000',
  'lb: x',
  '- x',
  'a,b',
  'lb;rm',
  'lb$(x)',
  'a/b',
  'lbа', // Cyrillic а
  'ｌｂ', // fullwidth
  'lb１', // fullwidth digit
  'lb\u200b', // zero-width space
  'lb\u0085', // C1 NEL
  '\u212A', // Kelvin sign, which folds to k under /iu
  ' lb',
  'lb ',
];

describe('LoadBalancer', () => {
  it('accepts the base document and applies defaults', () => {
    const { value, warnings, ignored } = accepted(check(validDoc()));
    assert.equal(value.id, 'lb-1');
    assert.equal(value.port, 80);
    assert.deepEqual(value.timeouts, { connectSeconds: 5 });
    assert.equal(value.maxConnections, undefined);
    assert.equal(value.healthCheck, undefined);
    assert.equal(value.tls, undefined);
    assert.deepEqual(warnings, []);
    assert.deepEqual(ignored, []);
    assert.deepEqual(
      value.backends.map((b) => [b.id, b.address, b.addressKind, b.port, b.weight, b.enabled, b.status]),
      [
        ['b0', '10.0.0.10', 'ipv4', 8080, 1, true, undefined],
        ['b1', '10.0.0.11', 'ipv4', 8080, 5, true, 'up'],
        ['b2', 'app.example.com', 'hostname', 8080, 1, true, undefined],
      ],
    );
  });

  it('accepts boundary values', () => {
    const ok = (path: string, v: unknown) => accepted(check(withField(validDoc(), path, v)));
    assert.equal(ok('id', 'a'.repeat(64)).value.id.length, 64);
    assert.equal(ok('id', 'A-z_0').value.id, 'A-z_0');
    assert.equal(ok('name', 'n'.repeat(255)).value.name.length, 255);
    assert.equal(ok('port', 1).value.port, 1);
    assert.equal(ok('port', 65535).value.port, 65535);
    for (const p of ['http', 'tcp'] as const) assert.equal(ok('protocol', p).value.protocol, p);
    for (const a of ['round_robin', 'least_request', 'random', 'ring_hash'] as const) {
      assert.equal(ok('algorithm', a).value.algorithm, a);
    }
    assert.equal(ok('max_connections', 0).value.maxConnections, undefined);
    assert.equal(ok('max_connections', 1_000_000).value.maxConnections, 1_000_000);
    assert.equal(ok('max_connections', null).value.maxConnections, undefined);
  });

  it('reads integers as JSON numbers: 8080, 8080.0 and 8.08e3 are all 8080', () => {
    for (const text of ['8080', '8080.0', '8.08e3', '808000e-2']) {
      const json = JSON.stringify(validDoc()).replace('"port":80,', `"port":${text},`);
      assert.equal(accepted(checkText(json)).value.port, 8080, text);
    }
  });

  describe('rejects', () => {
    rejects([
      ['id', undefined, 'is required'],
      ['id', null, 'is required, got null'],
      ['id', '', 'must be 1..64 characters, got 0'],
      ['id', 'a'.repeat(65), 'must be 1..64 characters, got 65'],
      ['id', 42, 'must be a string, got 42'],
      ['id', ['lb'], 'must be a string, got an array'],
      ['name', '', 'must be 1..255 characters'],
      ['name', 'n'.repeat(256), 'must be 1..255 characters, got 256'],
      ['name', 'my web', 'may hold only ASCII letters'],
      ['protocol', 'HTTP', 'must be one of "http", "https", "tcp"; got "HTTP"'],
      ['protocol', 'udp', 'must be one of'],
      ['protocol', undefined, 'is required'],
      ['port', 0, 'must be 1..65535, got 0'],
      ['port', -0, 'must be 1..65535, got -0'],
      ['port', 65536, 'must be 1..65535, got 65536'],
      ['port', 70000, 'must be 1..65535, got 70000'],
      ['port', 8080.5, 'must be an integer, got 8080.5'],
      ['port', '8080', 'must be an integer, got "8080"'],
      ['port', true, 'must be an integer, got true'],
      ['port', null, 'is required, got null'],
      ['port', Number.MAX_SAFE_INTEGER + 2, 'must be 1..65535'],
      ['port', Number.POSITIVE_INFINITY, 'must be an integer, got Infinity'],
      ['port', Number.NaN, 'must be an integer, got NaN'],
      ['port', 9901, 'Envoy admin port'],
      ['port', 9902, "agent's own HTTP port"],
      ['algorithm', 'ROUND_ROBIN', 'must be one of'],
      ['algorithm', 'maglev', 'must be one of'],
      ['algorithm', undefined, 'is required'],
      ['backends', undefined, 'is required'],
      ['backends', null, 'is required, got null'],
      ['backends', [], 'must have 1..10000 items, got 0'],
      ['backends', { b0: {} }, 'must be an array'],
      ['max_connections', -1, 'must be 0..1000000, got -1'],
      ['max_connections', 1_000_001, 'must be 0..1000000'],
      ['max_connections', '100', 'must be an integer'],
      ['health_check', 'http', 'must be an object'],
      ['health_check', [], 'must be an object, got an array'],
      ['timeouts', 5, 'must be an object'],
      ['tls_config', 'yes', 'must be an object'],
    ]);
  });

  it('rejects injection strings and look-alikes in id and name', () => {
    for (const s of INJECTIONS) {
      for (const path of ['id', 'name']) {
        assertOnlyProblem(check(withField(validDoc(), path, s)), path, 'may hold only ASCII');
      }
    }
  });

  it('checks the ports against the context', () => {
    const other = testContext({ envoyAdminPort: 19000, agentPort: 19001 });
    assert.equal(accepted(validateSpec(withField(validDoc(), 'port', 9901), other)).value.port, 9901);
    assertOnlyProblem(
      validateSpec(withField(validDoc(), 'port', 19000), other),
      'port',
      'admin port (19000)',
    );
    assertOnlyProblem(validateSpec(withField(validDoc(), 'port', 19001), other), 'port', 'agent');
  });

  it('reads 1e309 as Infinity and rejects it', () => {
    const json = JSON.stringify(validDoc()).replace('"port":80,', '"port":1e309,');
    assertOnlyProblem(checkText(json), 'port', 'must be an integer, got Infinity');
  });

  it('keeps a huge integer out of range', () => {
    const json = JSON.stringify(validDoc()).replace('"port":80,', '"port":9007199254740993,');
    assertOnlyProblem(checkText(json), 'port', 'must be 1..65535, got 9007199254740992');
  });

  describe('created_at / updated_at', () => {
    const valid = [
      '2024-02-29T10:15:00Z',
      '2000-02-29T00:00:00Z',
      '2023-12-31T23:59:60Z',
      '2023-06-30t23:59:60z',
      '2024-01-01T00:00:00.123456789+05:30',
      '2024-01-01T00:00:00-23:59',
      '0000-02-29T00:00:00Z',
    ];
    for (const s of valid) {
      it(`accepts ${s}`, () => {
        const { value } = accepted(check(withField(withField(validDoc(), 'created_at', s), 'updated_at', s)));
        assert.equal(value.createdAt, s);
        assert.equal(value.updatedAt, s);
      });
    }
    const invalid: [string, string][] = [
      ['2023-02-29T00:00:00Z', 'no day 29'],
      ['1900-02-29T00:00:00Z', 'no day 29'],
      ['2024-04-31T00:00:00Z', 'no day 31'],
      ['2024-13-01T00:00:00Z', 'no month 13'],
      ['2024-00-01T00:00:00Z', 'no month 0'],
      ['2024-01-00T00:00:00Z', 'no day 0'],
      ['2024-01-01T24:00:00Z', 'time of day'],
      ['2024-01-01T23:60:00Z', 'time of day'],
      ['2024-01-01T23:59:61Z', 'time of day'],
      ['2024-01-01T00:00:00+24:00', 'offset'],
      ['2024-01-01T00:00:00+01:60', 'offset'],
      ['2024-01-01 00:00:00Z', 'RFC 3339'],
      ['2024-01-01T00:00:00', 'RFC 3339'],
      ['2024-01-01', 'RFC 3339'],
      ['2024-01-01T00:00Z', 'RFC 3339'],
      ['2024-01-01T00:00:00.Z', 'RFC 3339'],
      ['2024-01-01T00:00:00+0100', 'RFC 3339'],
      ['2024-01-01T00:00:00Z\n', 'RFC 3339'],
      ['２０２４-01-01T00:00:00Z', 'RFC 3339'],
      ['+2024-01-01T00:00:00Z', 'RFC 3339'],
    ];
    for (const [s, fragment] of invalid) {
      it(`rejects ${JSON.stringify(s)}`, () => {
        assertOnlyProblem(check(withField(validDoc(), 'created_at', s)), 'created_at', fragment);
        assertOnlyProblem(check(withField(validDoc(), 'updated_at', s)), 'updated_at', fragment);
      });
    }
    it('rejects a number', () => {
      assertOnlyProblem(
        check(withField(validDoc(), 'created_at', 1700000000)),
        'created_at',
        'must be a string',
      );
    });
  });

  describe('timeouts', () => {
    it('applies defaults and keeps zeroes that mean "none"', () => {
      const t = (v: unknown) => accepted(check(withField(validDoc(), 'timeouts', v))).value.timeouts;
      assert.deepEqual(t({}), { connectSeconds: 5 });
      assert.deepEqual(t(null), { connectSeconds: 5 });
      assert.deepEqual(t({ connect: 0, idle: 0, request: 0 }), {
        connectSeconds: 5,
        idleSeconds: 0,
        requestSeconds: 0,
      });
      assert.deepEqual(t({ connect: 3600, idle: 86400, request: 86400 }), {
        connectSeconds: 3600,
        idleSeconds: 86400,
        requestSeconds: 86400,
      });
      assert.deepEqual(t({ connect: null, idle: 7 }), { connectSeconds: 5, idleSeconds: 7 });
    });
    rejects([
      ['timeouts.connect', 3601, 'must be 0..3600, got 3601'],
      ['timeouts.connect', -1, 'must be 0..3600'],
      ['timeouts.connect', 1.5, 'must be an integer'],
      ['timeouts.idle', 86401, 'must be 0..86400'],
      ['timeouts.idle', '60s', 'must be an integer'],
      ['timeouts.request', 86401, 'must be 0..86400'],
      ['timeouts.request', false, 'must be an integer'],
    ]);
    it('validates timeouts.request on tcp and warns that it has no effect', () => {
      const tcp = withField(validDoc(), 'protocol', 'tcp');
      assertOnlyProblem(check(withField(tcp, 'timeouts', { request: -1 })), 'timeouts.request');
      const r = accepted(check(withField(tcp, 'timeouts', { request: 30 })));
      assert.deepEqual(
        r.warnings.map((w) => w.path),
        ['timeouts.request'],
      );
    });
  });
});

describe('Backend', () => {
  it('applies weight, enabled and status rules', () => {
    const b = (patch: Doc) => {
      const doc = validDoc();
      (doc.backends as Doc[])[0] = { id: 'b0', address: '10.0.0.10', port: 8080, ...patch };
      return accepted(check(doc)).value.backends[0]!;
    };
    assert.equal(b({ weight: 0 }).weight, 1);
    assert.equal(b({ weight: null }).weight, 1);
    assert.equal(b({ weight: 1000 }).weight, 1000);
    assert.equal(b({ weight: 7.0 }).weight, 7);
    assert.equal(b({ enabled: false }).enabled, false);
    assert.equal(b({ enabled: null }).enabled, true);
    assert.equal(b({ status: 'down' }).status, 'down');
    assert.equal(b({ status: 'unknown' }).status, 'unknown');
    assert.equal(b({ status: null }).status, undefined);
    assert.equal(b({ port: 1 }).port, 1);
    assert.equal(b({ port: 65535 }).port, 65535);
    assert.equal(b({ port: 9901 }).port, 9901); // only the listener port is restricted
    assert.equal(b({ id: 'x'.repeat(64) }).id.length, 64);
  });

  describe('rejects', () => {
    rejects([
      ['backends[1]', 'b1', 'must be an object, got "b1"'],
      ['backends[1]', null, 'must be an object, got null'],
      ['backends[1].id', undefined, 'is required'],
      ['backends[1].id', '', 'must be 1..64 characters'],
      ['backends[1].id', 'x'.repeat(65), 'must be 1..64 characters, got 65'],
      ['backends[1].id', 'b 1', 'may hold only ASCII'],
      ['backends[1].id', 1, 'must be a string'],
      ['backends[1].address', undefined, 'is required'],
      ['backends[1].address', null, 'is required, got null'],
      ['backends[1].address', '', 'must not be empty'],
      ['backends[1].address', 167772161, 'must be a string, got 167772161'],
      ['backends[1].port', undefined, 'is required'],
      ['backends[1].port', 0, 'must be 1..65535, got 0'],
      ['backends[1].port', 65536, 'must be 1..65535'],
      ['backends[1].port', '8080', 'must be an integer'],
      ['backends[1].port', 80.5, 'must be an integer'],
      ['backends[1].weight', 1001, 'must be 0..1000, got 1001'],
      ['backends[1].weight', -1, 'must be 0..1000'],
      ['backends[1].weight', 0.5, 'must be an integer'],
      ['backends[1].weight', '5', 'must be an integer'],
      ['backends[1].enabled', 'true', 'must be a boolean, got "true"'],
      ['backends[1].enabled', 1, 'must be a boolean'],
      ['backends[1].status', 'UP', 'must be one of "up", "down", "unknown"'],
      ['backends[1].status', 'healthy', 'must be one of'],
      ['backends[1].status', 0, 'must be a string'],
    ]);
  });

  it('rejects injection strings in backend ids and addresses', () => {
    for (const s of INJECTIONS) {
      assertOnlyProblem(check(withField(validDoc(), 'backends[0].id', s)), 'backends[0].id');
      assertOnlyProblem(check(withField(validDoc(), 'backends[0].address', s)), 'backends[0].address');
    }
  });

  describe('address', () => {
    const acceptedAddresses: [string, string, string][] = [
      ['10.1.2.3', '10.1.2.3', 'ipv4'],
      ['172.31.255.1', '172.31.255.1', 'ipv4'],
      ['100.64.0.1', '100.64.0.1', 'ipv4'],
      ['FD00::ABCD', 'fd00::abcd', 'ipv6'],
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 'ipv6'],
      ['::ffff:192.168.1.1', '192.168.1.1', 'ipv4'],
      ['64:ff9b::a00:1', '64:ff9b::a00:1', 'ipv6'],
      ['Api.Example.COM', 'api.example.com', 'hostname'],
      ['db-1', 'db-1', 'hostname'],
    ];
    for (const [input, canonical, kind] of acceptedAddresses) {
      it(`accepts ${input} as ${canonical}`, () => {
        const { value } = accepted(check(withField(validDoc(), 'backends[0].address', input)));
        assert.equal(value.backends[0]!.address, canonical);
        assert.equal(value.backends[0]!.addressKind, kind);
      });
    }
    const rejected: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['169.254.169.254', 'link-local'],
      ['0.0.0.0', 'this network'],
      ['224.0.0.251', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['250.1.1.1', 'reserved'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'link-local'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:a9fe:a9fe', 'link-local'],
      ['::127.0.0.1', 'IPv4-compatible'],
      ['64:ff9b::127.0.0.1', 'NAT64'],
      ['2002:7f00:1::', '6to4'],
      ['0x7f000001', 'canonical dotted-quad'],
      ['2130706433', 'canonical dotted-quad'],
      ['0177.0.0.1', 'canonical dotted-quad'],
      ['127.1', 'canonical dotted-quad'],
      ['10.0.0.010', 'canonical dotted-quad'],
      ['1.2.3.4 ', 'canonical dotted-quad'],
      ['fe80::1%eth0', 'zone id'],
      ['[fd00::1]', 'IPv6 literal'],
      ['10.0.0.1:80', 'IPv6 literal'],
      ['http://example.com', 'IPv6 literal'],
      ['1::2::3', 'IPv6 literal'],
      ['256.1.1.1', 'all digits'],
      ['localhost', 'localhost'],
      ['metadata.localhost', 'localhost'],
      ['example.com.', 'dot'],
      ['exa_mple.com', 'letters'],
      ['exаmple.com', 'letters'],
      [`${'a'.repeat(64)}.com`, '63'],
    ];
    for (const [input, fragment] of rejected) {
      it(`rejects ${JSON.stringify(input.slice(0, 30))} (${fragment})`, () => {
        assertOnlyProblem(
          check(withField(validDoc(), 'backends[2].address', input)),
          'backends[2].address',
          fragment,
        );
      });
    }
    it('applies the agent config policy', () => {
      const deny = testContext({ denyCidrs: ['10.0.0.10/32'] });
      assertOnlyProblem(validateSpec(validDoc(), deny), 'backends[0].address', 'denied range 10.0.0.10/32');
      const allow = testContext({ allowCidrs: ['127.0.0.0/8'] });
      accepted(validateSpec(validDoc(), allow));
      accepted(validateSpec(withField(validDoc(), 'backends[1].address', '127.0.0.1'), allow));
      assertOnlyProblem(
        validateSpec(withField(validDoc(), 'backends[1].address', '::1'), allow),
        'backends[1].address',
        'loopback',
      );
      const onAdmin = withField(
        withField(validDoc(), 'backends[1].address', '127.0.0.1'),
        'backends[1].port',
        9901,
      );
      assertOnlyProblem(validateSpec(onAdmin, allow), 'backends[1].port', 'control plane');
      const broken = testContext({ denyCidrs: ['10.0.0.0/99'] });
      assertOnlyProblem(validateSpec(validDoc(), broken), 'backends', 'invalid CIDRs');
    });
  });

  describe('uniqueness', () => {
    it('rejects a duplicate id at the later backend, naming the first', () => {
      const r = check(withField(validDoc(), 'backends[2].id', 'b0'));
      assertOnlyProblem(r, 'backends[2].id', 'duplicate id "b0" (also backends[0])');
    });
    it('reports a duplicate id even when that backend has another mistake', () => {
      const doc = withField(withField(validDoc(), 'backends[2].id', 'b0'), 'backends[2].port', 0);
      const problems = problemsOf(check(doc));
      assert.deepEqual(problems.map((p) => p.path).sort(), ['backends[2].id', 'backends[2].port']);
    });
    const same: [string, string][] = [
      ['10.0.0.10', '10.0.0.10'],
      ['10.0.0.10', '::ffff:10.0.0.10'],
      ['app.example.com', 'APP.example.com'],
      ['fd00::1', 'FD00:0:0::0001'],
    ];
    for (const [a, b] of same) {
      it(`rejects two enabled backends at ${a} and ${b} on the same port`, () => {
        const doc = withField(withField(validDoc(), 'backends[0].address', a), 'backends[2].address', b);
        assertOnlyProblem(check(doc), 'backends[2]', 'same address and port as backends[0]');
      });
    }
    it('allows the same address on another port, or when one of them is disabled', () => {
      const dup = withField(validDoc(), 'backends[2].address', '10.0.0.10');
      accepted(check(withField(dup, 'backends[2].port', 8081)));
      accepted(check(withField(dup, 'backends[2].enabled', false)));
      accepted(check(withField(dup, 'backends[0].enabled', false)));
    });
  });

  it('warns when every backend is disabled', () => {
    const doc = validDoc();
    for (const b of doc.backends as Doc[]) b.enabled = false;
    const r = accepted(check(doc));
    assert.deepEqual(r.warnings, [
      { path: 'backends', message: 'all backends are disabled: the load balancer will serve nothing' },
    ]);
  });

  it('accepts 10,000 backends and rejects 10,001', () => {
    const many = (n: number) =>
      withField(
        validDoc(),
        'backends',
        Array.from({ length: n }, (_, i) => ({
          id: `b${i}`,
          address: `10.${i >> 8}.${i & 255}.1`,
          port: 80,
        })),
      );
    assert.equal(accepted(check(many(10_000))).value.backends.length, 10_000);
    assertOnlyProblem(check(many(10_001)), 'backends', 'must have 1..10000 items, got 10001');
  });
});

describe('envelope', () => {
  it('unwraps {"error": false, "data": ...} and reports paths under data', () => {
    accepted(check({ error: false, data: validDoc(), message: 'ok' }));
    assertOnlyProblem(
      check({ error: false, data: withField(validDoc(), 'port', 70000) }),
      'data.port',
      'got 70000',
    );
    assertOnlyProblem(
      check({ error: false, data: withField(validDoc(), 'backends[1].weight', 2000) }),
      'data.backends[1].weight',
    );
  });
  it('reports an API error with its message and nothing else', () => {
    const r = check({ error: true, message: 'load balancer not found', data: { junk: true } });
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.equal(r.apiError, 'load balancer not found');
    assert.deepEqual(r.problems, [
      { path: 'error', message: 'the API reported an error: "load balancer not found"' },
    ]);
  });
  it('reports an API error without a string message', () => {
    for (const body of [{ error: true }, { error: true, message: 42 }, { error: true, message: null }]) {
      const r = check(body);
      assert.ok(!r.ok);
      assert.equal(r.apiError, undefined);
      assert.equal(r.problems.length, 1);
      assert.equal(r.problems[0]!.path, 'error');
    }
  });
  it('requires error to be a boolean', () => {
    for (const error of [null, 'false', 0, 'true', {}]) {
      assertOnlyProblem(check({ error, data: validDoc() }), 'error', 'must be a boolean');
    }
  });
  it('requires data to be an object', () => {
    assertOnlyProblem(check({ error: false }), 'data', 'is required');
    assertOnlyProblem(check({ error: false, data: null }), 'data', 'is required, got null');
    assertOnlyProblem(check({ error: false, data: [validDoc()] }), 'data', 'must be an object');
    assertOnlyProblem(check({ error: false, data: 'x' }), 'data', 'must be an object');
  });
  it('lists unknown envelope keys as ignored', () => {
    assert.deepEqual(accepted(check({ error: false, data: validDoc(), code: 200 })).ignored, ['code']);
  });
  it('treats a body without an error key as the LoadBalancer itself', () => {
    assertProblemAt(check({ data: validDoc() }), 'id', 'is required');
    assert.deepEqual(accepted(check({ ...validDoc(), data: {} })).ignored, ['data']);
  });
  it('rejects a body that is not an object', () => {
    for (const body of [null, [], [validDoc()], 'lb', 42, true]) {
      assertOnlyProblem(check(body), '', 'must be a JSON object');
    }
  });
});

describe('JSON rules', () => {
  it('ignores unknown fields with all their contents, and lists them', () => {
    const doc = withField(validDoc(), 'future', { port: 'not checked', nested: [{ x: null }] });
    setField(doc, 'backends[0].zone', 'eu-1');
    setField(doc, 'timeouts', { connect: 1, drain: 3 });
    setField(doc, 'health_check', { ...baseHc(), jitter: 'x' });
    setField(doc, 'tls_config', { ...baseTlsPaths(), ocsp: true });
    const r = accepted(check(doc));
    assert.deepEqual(r.ignored.sort(), [
      'backends[0].zone',
      'future',
      'health_check.jitter',
      'timeouts.drain',
      'tls_config.ocsp',
    ]);
  });
  it('prints odd unknown keys unambiguously', () => {
    const doc = validDoc();
    doc['a.b'] = 1;
    doc['x"y'] = 1;
    assert.deepEqual(accepted(check(doc)).ignored, ['["a.b"]', '["x\\"y"]']);
  });
  it('treats inherited names as absent (no prototype lookups)', () => {
    const doc = validDoc();
    delete doc.id;
    assertOnlyProblem(check(doc), 'id', 'is required');
    const r = check(JSON.parse('{"constructor": 1, "toString": "x"}'));
    assert.ok(problemsOf(r).some((p) => p.path === 'id'));
  });
  it('rejects a __proto__ key anywhere, even inside ignored fields', () => {
    const base = JSON.stringify(validDoc());
    const cases: [string, string][] = [
      [base.replace('{"id"', '{"__proto__":{"admin":true},"id"'), '__proto__'],
      [base.replace('{"id":"b0"', '{"__proto__":null,"id":"b0"'), 'backends[0].__proto__'],
      [base.replace('{"id"', '{"extra":{"deep":[{"__proto__":1}]},"id"'), 'extra.deep[0].__proto__'],
      [`{"error":false,"__proto__":{},"data":${base}}`, '__proto__'],
      [`{"error":false,"data":${base.replace('{"id"', '{"__proto__":{},"id"')}}`, 'data.__proto__'],
    ];
    for (const [text, path] of cases) {
      const r = checkText(text);
      assertOnlyProblem(r, path, '__proto__');
    }
    const hc = JSON.stringify({ ...validDoc(), health_check: validHealthCheck() }).replace(
      '"path"',
      '"headers":{"__proto__":"x"},"path"',
    );
    assertProblemAt(checkText(hc), 'health_check.headers.__proto__', 'not allowed');
  });
  it('verifies that JSON.parse keeps __proto__ as an own key (the reason for the rule)', () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    assert.ok(Object.hasOwn(parsed, '__proto__'));
    assert.equal((parsed as { polluted?: boolean }).polluted, undefined);
  });
  it('follows JSON.parse for duplicate keys: the last one wins', () => {
    const text = JSON.stringify(validDoc()).replace('"port":80', '"port":70000,"port":80');
    assert.equal(accepted(checkText(text)).value.port, 80);
    const text2 = JSON.stringify(validDoc()).replace('"port":80', '"port":80,"port":70000');
    assertOnlyProblem(checkText(text2), 'port', 'got 70000');
  });
  it('reports invalid JSON at the root without quoting the input', () => {
    for (const text of ['', '{', '{"id": }', "{'id': 1}", '[1,]', '{"a":1} x', '\u0000']) {
      const p = assertOnlyProblem(checkText(text), '', 'invalid JSON: ');
      assert.ok(!p.message.includes('is not valid JSON'), p.message);
    }
    const secret = `{"tls_config":{"private_key_pem":"${'SECRETKEY'.repeat(5)}" oops}}`;
    const p = assertOnlyProblem(checkText(secret), '', 'invalid JSON');
    assert.ok(!p.message.includes('SECRETKEY'), p.message);
    const p2 = assertOnlyProblem(checkText(`{"x": SECRETKEYSECRETKEY}`), '', 'invalid JSON');
    assert.ok(!p2.message.includes('SECRETKEY'), p2.message);
  });
  it('ignores a leading byte order mark', () => {
    accepted(checkText(`\uFEFF${JSON.stringify(validDoc())}`));
  });
  it('reports every problem at once', () => {
    const doc = validDoc();
    doc.port = 70000;
    doc.algorithm = 'fastest';
    setField(doc, 'backends[0].address', '127.0.0.1');
    setField(doc, 'backends[2].weight', -5);
    doc.created_at = 'yesterday';
    const problems = problemsOf(check(doc));
    assert.deepEqual(problems.map((p) => p.path).sort(), [
      'algorithm',
      'backends[0].address',
      'backends[2].weight',
      'created_at',
      'port',
    ]);
  });
  it('shows offending values short and escaped', () => {
    const long = `x${'y'.repeat(500)}`;
    const p = assertOnlyProblem(check(withField(validDoc(), 'protocol', long)), 'protocol');
    assert.ok(p.message.length < 160, p.message);
    assert.ok(p.message.includes('(501 chars)'), p.message);
    const q = assertOnlyProblem(
      check(withField(validDoc(), 'backends[0].address', 'a\nb\u0000')),
      'backends[0].address',
    );
    assert.ok(!q.message.includes('\n') && !q.message.includes('\u0000'), q.message);
  });
  it('does not throw on values JSON cannot produce', () => {
    const cyclic: Record<string, unknown> = { ...validDoc() };
    cyclic.self = cyclic;
    assert.equal(check(cyclic).ok, true);
    for (const odd of [undefined, 10n, Symbol('x'), () => 1, new Map(), new Date(0)]) {
      assert.equal(check(odd).ok, false);
      assert.equal(check(withField(validDoc(), 'port', 80) && { ...validDoc(), port: odd }).ok, false);
    }
  });
});

function setField(doc: Doc, path: string, value: unknown): void {
  Object.assign(doc, withField(doc, path, value));
}
function baseHc(): Doc {
  return { type: 'tcp', interval: 10, timeout: 5, unhealthy_threshold: 3, healthy_threshold: 2 };
}
function baseTlsPaths(): Doc {
  return {
    certificate_path: '/etc/vpsie-lb/certs/a.crt',
    private_key_path: '/etc/vpsie-lb/certs/a.key',
    min_version: 'TLSv1.2',
  };
}
