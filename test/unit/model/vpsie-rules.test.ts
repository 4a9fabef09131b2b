// Every rule of vpsie-form.md: a valid and an invalid document each, the problem at the right path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDocumentText } from '../../../src/model/read.ts';
import { check, type Doc, testContext, model, onlyProblem, problems, vpsieDoc, withAt } from './vpsie-doc.ts';

/** [rule, field path, bad value, problem path (default: the field), message fragment]. */
type Bad = readonly [string, string, unknown, string?, string?];
/** [rule, field path, good value]. */
type Good = readonly [string, string, unknown];

const R0 = 'rules[0]';
const R1 = 'rules[1]';
const D0 = `${R1}.domains[0]`;
const B0 = `${D0}.backends[0]`;

const bad: Bad[] = [
  ['identifier required', 'identifier', undefined, 'identifier', 'is required'],
  ['identifier "" is not absent', 'identifier', '', 'identifier'],
  ['identifier id pattern', 'identifier', 'a b'],
  ['identifier at most 64', 'identifier', 'x'.repeat(65)],
  ['lbName required', 'lbName', undefined, 'lbName', 'is required'],
  ['lbName "" is invalid', 'lbName', '', 'lbName', 'got ""'],
  ['lbName at most 255', 'lbName', 'n'.repeat(256)],
  ['lbName no control characters', 'lbName', 'a\u0007b'],
  ['lbName is a string', 'lbName', 7],
  ['without rules the document is the flat form', 'rules', undefined, 'id', 'is required'],
  ['rules is an array', 'rules', {}],
  ['rules null is invalid (required)', 'rules', null, 'rules', 'got null'],
  ['algorithm: upper case is invalid', 'algorithm', 'ROUNDROBIN'],
  ['algorithm: unknown', 'algorithm', 'weighted'],
  ['LB healthCheckPath starts with /', 'healthCheckPath', 'health'],
  ['LB checkInterval 100..3600000', 'checkInterval', 99],
  ['LB checkInterval integer', 'checkInterval', 1000.5],
  ['LB fastInterval 100..3600000', 'fastInterval', 3_600_001],
  ['LB fastInterval below checkInterval', 'fastInterval', 2000, 'fastInterval', 'less than'],
  ['LB rise 1..100', 'rise', 101],
  ['LB fall 1..100', 'fall', -1],
  ['LB redirectHTTP flag', 'redirectHTTP', 2],
  ['LB cookieCheck flag: no strings', 'cookieCheck', '1'],
  ['LB cookieName token', 'cookieName', 'a b'],
  ['timeout 0..3600', 'timeout', 3601],
  ['flat protocol makes it ambiguous', 'protocol', 'http'],
  ['flat port makes it ambiguous', 'port', 80],
  ['flat backends make it ambiguous', 'backends', []],
  ['ruleId required', `${R0}.ruleId`, undefined, `${R0}.ruleId`, 'is required'],
  ['ruleId id pattern', `${R0}.ruleId`, 'r/1'],
  ['scheme required', `${R0}.scheme`, undefined, `${R0}.scheme`, 'is required'],
  ['scheme one of four', `${R0}.scheme`, 'udp'],
  ['scheme "" is invalid', `${R0}.scheme`, ''],
  ['frontPort required', `${R0}.frontPort`, undefined, `${R0}.frontPort`, 'is required'],
  ['frontPort 1..65535', `${R0}.frontPort`, 70000, `${R0}.frontPort`, 'must be 1..65535, got 70000'],
  ['frontPort not the admin port', `${R0}.frontPort`, 9901, `${R0}.frontPort`, 'admin port'],
  ['frontPort not the agent port', `${R0}.frontPort`, 9902, `${R0}.frontPort`, 'own HTTP port'],
  ['backPort 1..65535', `${R0}.backPort`, 70000, `${R0}.backPort`, 'must be 1..65535, got 70000'],
  ['tcp backPort required', 'rules[2].backPort', undefined, 'rules[2].backPort', 'is required'],
  ['backPort 0 counts as absent', 'rules[2].backPort', 0, 'rules[2].backPort', 'is required'],
  [
    'rule backPort required when a domain gives none',
    `${R1}.backPort`,
    undefined,
    `${R1}.backPort`,
    'a domain gives no backPort',
  ],
  ['tcp backends required', 'rules[2].backends', undefined, 'rules[2].backends', 'is required'],
  ['backends is an array', `${R0}.backends`, {}],
  ['tcp rule has no domains', 'rules[2].domains', [{}], 'rules[2].domains', 'absent or empty'],
  [
    'tls invalid on tcp',
    'rules[2].tls',
    { certificate_path: '/etc/vpsie-lb/certs/a.crt', private_key_path: '/etc/vpsie-lb/certs/a.key' },
    'rules[2].tls',
    'not allowed',
  ],
  ['rule tls validated', `${R1}.tls`, { min_version: 'TLSv1.0' }, `${R1}.tls.certificate_path`],
  ['domains is an array', `${R0}.domains`, 'x'],
  ['domainId required', `${D0}.domainId`, undefined, `${D0}.domainId`, 'is required'],
  ['domainId id pattern', `${D0}.domainId`, 'd.1'],
  ['domainName required', `${D0}.domainName`, undefined, `${D0}.domainName`, 'is required'],
  ['domainName hostname', `${D0}.domainName`, 'shop_example.com'],
  ['domainName no trailing dot', `${D0}.domainName`, 'shop.example.com.'],
  ['domainName wildcard only as leading *.', `${D0}.domainName`, 'shop.*.com'],
  ['domainName last label not all digits', `${D0}.domainName`, 'example.123'],
  ['subdomain labels', `${D0}.subdomain`, '-x'],
  [
    'subdomain not with a wildcard',
    `${R1}.domains[1].subdomain`,
    'v1',
    `${R1}.domains[1].subdomain`,
    'wildcard',
  ],
  ['subdomain makes a valid hostname', `${D0}.subdomain`, 'a'.repeat(64)],
  ['backendScheme http or https', `${D0}.backendScheme`, 'h2c'],
  ['domain backPort 1..65535', `${D0}.backPort`, 65536],
  ['domain algorithm', `${D0}.algorithm`, 'Random'],
  ['domain redirectHTTP flag', `${D0}.redirectHTTP`, 'yes'],
  ['domain healthCheckPath visible ASCII', `${D0}.healthCheckPath`, '/a b'],
  ['domain checkInterval bounds', `${D0}.checkInterval`, 50],
  [
    'domain fastInterval below checkInterval',
    `${D0}.fastInterval`,
    2500,
    `${D0}.fastInterval`,
    'less than checkInterval (2000)',
  ],
  ['domain rise bounds', `${D0}.rise`, 1000],
  ['domain fall integer', `${D0}.fall`, 2.5],
  ['domain cookieCheck flag', `${D0}.cookieCheck`, -1],
  ['cookieName required with cookieCheck', `${D0}.cookieName`, undefined, `${D0}.cookieName`, 'is required'],
  ['cookieName token', `${D0}.cookieName`, 'S;ID'],
  ['cookieName 1..64', `${D0}.cookieName`, 'c'.repeat(65)],
  [
    'domain tls validated',
    `${D0}.tls`,
    { certificate_path: 'relative.crt', private_key_path: '/etc/vpsie-lb/certs/k' },
    `${D0}.tls.certificate_path`,
  ],
  ['domain backends required', `${D0}.backends`, undefined, `${D0}.backends`, 'is required'],
  ['ip required', `${B0}.ip`, undefined, `${B0}.ip`, 'is required'],
  ['ip: host names are invalid', `${B0}.ip`, 'app.internal', `${B0}.ip`, 'host names'],
  ['ip: loopback is forbidden', `${B0}.ip`, '127.0.0.1'],
  ['ip: metadata endpoint is forbidden', `${B0}.ip`, '169.254.169.254'],
  ['ip: non-canonical IPv4 is invalid', `${B0}.ip`, '010.0.0.2'],
  ['ip: IPv4-mapped loopback is forbidden', `${B0}.ip`, '::ffff:127.0.0.1'],
  ['ip: no zone id', `${B0}.ip`, 'fe80::1%eth0'],
  ['identifier required', `${B0}.identifier`, undefined, `${B0}.identifier`, 'is required'],
  ['identifier id pattern', `${B0}.identifier`, 'vm 2'],
  ['vmIdentifier at most 128', `${B0}.vmIdentifier`, 'v'.repeat(129)],
  ['vmIdentifier no control characters', `${B0}.vmIdentifier`, 'a\nb'],
];

const good: Good[] = [
  ['informational fields take any value', 'dc_name', { any: ['thing'] }],
  ['informational created_on on a backend', `${B0}.created_on`, 12],
  ['algorithm round_robin', 'algorithm', 'round_robin'],
  ['algorithm leastconn', 'algorithm', 'leastconn'],
  ['algorithm least_connections', 'algorithm', 'least_connections'],
  ['algorithm source', 'algorithm', 'source'],
  ['algorithm random', 'algorithm', 'random'],
  ['algorithm "" is absent', 'algorithm', ''],
  ['checkInterval 0 is absent', 'checkInterval', 0],
  ['LB interval pair', 'fastInterval', 500],
  ['flags as booleans', 'redirectHTTP', false],
  ['flags as integers', `${D0}.cookieCheck`, 0],
  ['cookieName "" is absent (not sticky)', `${D0}.cookieCheck`, 0],
  ['timeout 0 means 5', 'timeout', 0],
  ['frontPort 65535', `${R0}.frontPort`, 65535],
  ['an HTTP rule without backends', `${R0}.backends`, []],
  ['an HTTP rule with neither domains nor backends', `${R0}.domains`, []],
  ['subdomain "" is absent', `${D0}.subdomain`, ''],
  ['backendScheme https', `${D0}.backendScheme`, 'https'],
  ['domain backPort 0 is absent', `${D0}.backPort`, 0],
  ['domain interval pair of its own', `${D0}.checkInterval`, 30000],
  ['IPv6 backend', `${B0}.ip`, '2001:db8::5'],
  ['private ranges are fine', `${B0}.ip`, '192.168.1.20'],
  ['vmIdentifier 128', `${B0}.vmIdentifier`, 'v'.repeat(128)],
  [
    'domain tls object without min_version',
    `${D0}.tls`,
    { certificate_path: '/etc/vpsie-lb/certs/s.crt', private_key_path: '/etc/vpsie-lb/certs/s.key' },
  ],
  ['zero rules', 'rules', []],
];

describe('VPSie form: every rule, invalid', () => {
  for (const [rule, path, value, at, fragment] of bad) {
    it(`${rule} (${path})`, () => {
      const r = check(withAt(vpsieDoc(), path, value));
      const ps = problems(r);
      const want = at ?? path;
      const hit = ps.find((p) => p.path === want);
      assert.ok(hit, `no problem at ${want}: ${JSON.stringify(ps)}`);
      if (fragment !== undefined)
        assert.ok(hit.message.includes(fragment), `"${hit.message}" lacks "${fragment}"`);
    });
  }
});

describe('VPSie form: every rule, valid', () => {
  for (const [rule, path, value] of good) {
    it(`${rule} (${path})`, () => {
      model(check(withAt(vpsieDoc(), path, value)));
    });
  }
});

describe('VPSie form: duplicates, at the later item', () => {
  const dup = (mutate: (d: Doc) => void) => {
    const d = vpsieDoc();
    mutate(d);
    return check(d);
  };
  const rules = (d: Doc) => d.rules as Doc[];
  const domains = (d: Doc, i: number) => rules(d)[i]!.domains as Doc[];
  it('ruleId', () => {
    onlyProblem(
      dup((d) => {
        rules(d)[2]!.ruleId = 'r-http';
      }),
      'rules[2].ruleId',
      'duplicate ruleId "r-http" (also rules[0])',
    );
  });
  it('frontPort', () => {
    onlyProblem(
      dup((d) => {
        rules(d)[2]!.frontPort = 80;
      }),
      'rules[2].frontPort',
      'duplicate frontPort 80',
    );
  });
  it('domainId within a rule', () => {
    onlyProblem(
      dup((d) => {
        domains(d, 1)[1]!.domainId = 'd-shop';
      }),
      `${R1}.domains[1].domainId`,
      'duplicate domainId',
    );
  });
  it('a domainId may repeat across rules', () => {
    model(
      dup((d) => {
        domains(d, 0)[0]!.domainId = 'd-shop';
      }),
    );
  });
  it('served host, case-insensitively, subdomain included', () => {
    onlyProblem(
      dup((d) => {
        domains(d, 1)[1] = { domainId: 'd-x', domainName: 'EXAMPLE.com', subdomain: 'Shop', backends: [] };
      }),
      `${R1}.domains[1]`,
      'same host "shop.example.com"',
    );
  });
  it('backend identifier within a pool', () => {
    onlyProblem(
      dup((d) => {
        (domains(d, 1)[0]!.backends as Doc[])[1]!.identifier = 'vm2';
      }),
      `${D0}.backends[1].identifier`,
      'duplicate identifier',
    );
  });
  it('backend address within a pool, canonically (IPv4-mapped is its IPv4)', () => {
    onlyProblem(
      dup((d) => {
        (domains(d, 1)[0]!.backends as Doc[])[1]!.ip = '::ffff:10.0.0.2';
      }),
      `${D0}.backends[1]`,
      'same address',
    );
  });
  it('the same backend in two pools is fine', () => {
    model(
      dup((d) => {
        (domains(d, 0)[0]!.backends as Doc[])[0]!.ip = '10.0.0.2';
      }),
    );
  });
});

describe('VPSie form: limits, envelope, every problem at once', () => {
  it('more than 64 rules', () => {
    const rules = Array.from({ length: 65 }, (_, i) => ({
      ruleId: `r${i}`,
      scheme: 'tcp',
      frontPort: 1000 + i,
      backPort: 1,
      backends: [],
    }));
    onlyProblem(check({ ...vpsieDoc(), rules }), 'rules', 'must have 0..64 items, got 65');
  });
  it('more than 1000 domains', () => {
    const domains = Array.from({ length: 1001 }, (_, i) => ({
      domainId: `d${i}`,
      domainName: `h${i}.example.com`,
      backends: [],
    }));
    onlyProblem(check(withAt(vpsieDoc(), `${R0}.domains`, domains)), `${R0}.domains`, '0..1000');
  });
  it('more than 10000 backends', () => {
    const backends = Array.from({ length: 10_001 }, (_, i) => ({ ip: '10.0.0.1', identifier: `b${i}` }));
    onlyProblem(check(withAt(vpsieDoc(), 'rules[2].backends', backends)), 'rules[2].backends', '0..10000');
  });
  it('zero rules is valid and warns', () => {
    const r = check({ ...vpsieDoc(), rules: [] });
    assert.ok(r.ok);
    assert.deepEqual(
      r.warnings.map((w) => w.path),
      ['rules'],
    );
  });
  it('paths are relative to the body inside an envelope', () => {
    const r = check({ error: false, data: withAt(vpsieDoc(), `${R0}.frontPort`, 70000) });
    onlyProblem(r, `data.${R0}.frontPort`, 'must be 1..65535, got 70000');
  });
  it('reports every problem at once', () => {
    let d = withAt(vpsieDoc(), `${R0}.frontPort`, 70000);
    d = withAt(d, `${B0}.ip`, 'localhost');
    d = withAt(d, 'identifier', '');
    const ps = problems(check(d))
      .map((p) => p.path)
      .sort();
    assert.deepEqual(ps, ['identifier', `${R0}.frontPort`, `${B0}.ip`].sort());
  });
  it('__proto__ is invalid anywhere, in informational fields too', () => {
    const text = JSON.stringify(vpsieDoc()).replace('"dc_name":"Toronto"', '"dc_name":{"__proto__":1}');
    onlyProblem(parseDocumentText(text, testContext()), 'dc_name.__proto__', '__proto__');
  });
  it('the message names the value', () => {
    onlyProblem(
      check(withAt(vpsieDoc(), `${R1}.domains[0].backPort`, 70000)),
      `${R1}.domains[0].backPort`,
      'must be 1..65535, got 70000',
    );
  });
  it('a document with rules is the VPSie form even when it is otherwise flat-looking', () => {
    const ps = problems(check({ id: 'a', name: 'b', rules: [] }));
    assert.ok(ps.some((p) => p.path === 'identifier'));
  });
});
