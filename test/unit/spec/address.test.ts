import assert from 'node:assert/strict';
import { isIPv6 } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  buildAddressPolicy,
  forbiddenAddressReason,
  formatIpv6,
  hostnameProblem,
  inetAtonAccepts,
  looksLikeInetAtonNonCanonical,
  parseCidr,
  parseIpLiteral,
  parseIpv6Bytes,
  policyReason,
} from '../../../src/spec/address.ts';
import { checkAddress, protectedPortProblem } from '../../../src/spec/backend.ts';

const noPolicy = buildAddressPolicy([], []).policy;

describe('parseIpLiteral', () => {
  const canonical: [string, string, 'ipv4' | 'ipv6'][] = [
    ['10.0.0.1', '10.0.0.1', 'ipv4'],
    ['255.255.255.254', '255.255.255.254', 'ipv4'],
    ['2001:DB8::1', '2001:db8::1', 'ipv6'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 'ipv6'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 'ipv6'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', 'ipv6'], // a single zero group stays
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3', 'ipv6'], // the longest run wins
    ['::', '::', 'ipv6'],
    ['1::', '1::', 'ipv6'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0', 'ipv6'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8', 'ipv6'],
    ['fd00::1.2.3.4', 'fd00::102:304', 'ipv6'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304', 'ipv6'],
    ['::ffff:10.1.2.3', '10.1.2.3', 'ipv4'], // IPv4-mapped is its IPv4
    ['::FFFF:0a01:0203', '10.1.2.3', 'ipv4'],
    ['0:0:0:0:0:ffff:10.1.2.3', '10.1.2.3', 'ipv4'],
  ];
  for (const [input, expected, kind] of canonical) {
    it(`${input} → ${expected}`, () => {
      const ip = parseIpLiteral(input);
      assert.equal(ip?.canonical, expected);
      assert.equal(ip?.kind, kind);
    });
  }

  const invalid = [
    '',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    '1.2.3.256',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '１.2.3.4', // fullwidth digit
    '1::2::3',
    ':::',
    ':1::2',
    '1::2:',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '12345::1',
    'g::1',
    '[::1]',
    'fe80::1%eth0',
    'fe80::1%25eth0',
    '::ffff:1.2.3',
    '::1.2.3.04',
    '1:2:3:4:5:6:7:1.2.3.4',
    '::1.2.3.4:5',
    '1.2.3.4::',
    '::ffff:127.0.0.1\n',
  ];
  for (const input of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => assert.equal(parseIpLiteral(input), undefined));
  }

  it('agrees with the WHATWG URL serialiser on random IPv6 addresses (RFC 5952 form)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.boolean(), (bytes, sparse) => {
        if (sparse) for (let i = 0; i < 16; i += 3) bytes[i] = 0;
        const text = formatIpv6(bytes);
        assert.deepEqual(parseIpv6Bytes(text), bytes);
        assert.equal(`[${text}]`, new URL(`http://[${text}]/`).hostname);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts exactly what node:net accepts as IPv6, zone ids aside', () => {
    const piece = fc.constantFrom('', '0', '1', 'ffff', 'FfFf', '00000', 'g', '1.2.3.4', '01.2.3.4', ':');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 10 }), (pieces) => {
        const s = pieces.join(':');
        assert.equal(parseIpv6Bytes(s) !== undefined, isIPv6(s), s);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('forbidden addresses', () => {
  const forbidden: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'this network'],
    ['0.1.2.3', 'this network'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['FEBF:ffff::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:169.254.169.254', 'link-local'],
    ['::ffff:0.0.0.0', 'this network'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['::7f00:1', 'IPv4-compatible'],
    ['::a9fe:a9fe', 'link-local'],
    ['64:ff9b::127.0.0.1', 'NAT64'],
    ['64:ff9b::7f00:1', 'NAT64'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:7f00:1::', '6to4'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2002:e000:1::', 'multicast'],
  ];
  for (const [input, fragment] of forbidden) {
    it(`${input} is forbidden (${fragment})`, () => {
      const ip = parseIpLiteral(input);
      assert.ok(ip, 'parses');
      assert.match(forbiddenAddressReason(ip) ?? '', new RegExp(fragment));
    });
  }

  const allowed = [
    '10.0.0.1',
    '172.16.0.1',
    '192.168.1.1',
    '100.64.0.1',
    '8.8.8.8',
    '223.255.255.255',
    'fd00::1',
    'fc00::1',
    '2001:db8::1',
    'fec0::1', // outside fe80::/10
    '::ffff:10.0.0.1',
    '::a00:1', // IPv4-compatible 10.0.0.1: judged by the IPv4
    '64:ff9b::a00:1',
    '64:ff9b:1::7f00:1', // not the NAT64 /96: judged as IPv6
    '2002:a00:1::',
    '::ffff:0:7f00:1', // IPv4-translated (not in the contract's list)
  ];
  for (const input of allowed) {
    it(`${input} is allowed`, () => {
      const ip = parseIpLiteral(input);
      assert.ok(ip, 'parses');
      assert.equal(forbiddenAddressReason(ip), undefined);
    });
  }
});

describe('inet_aton forms', () => {
  const nonCanonical = [
    '0x7f000001',
    '0X7F000001',
    '2130706433',
    '0177.0.0.1',
    '127.1',
    '127.0.1',
    '0x7f.1',
    '10.0.0.01',
    '010.0.0.1',
    '0xA.0.0.1',
    '1.2.3.4 trailing',
    '1.2.3.4\t',
    '0',
    '0xffffffff',
    '017700000001',
  ];
  for (const s of nonCanonical) {
    it(`${JSON.stringify(s)} reads as IPv4 but is not canonical`, () => {
      assert.equal(looksLikeInetAtonNonCanonical(s), true);
      const checked = checkAddress(s, noPolicy);
      assert.equal(typeof checked, 'string');
    });
  }
  const notInetAton = [
    '0x',
    '0xg',
    '08.1.1.1',
    '1.2.3.256',
    '1.2.3.4.5',
    '0x100000000',
    '1..2',
    '1.',
    'a1',
    'x.y',
  ];
  for (const s of notInetAton) {
    it(`${JSON.stringify(s)} is not read by inet_aton`, () => assert.equal(inetAtonAccepts(s), false));
  }
  it('a canonical dotted quad is not "non-canonical"', () => {
    assert.equal(looksLikeInetAtonNonCanonical('10.0.0.1'), false);
    assert.equal(inetAtonAccepts('10.0.0.1'), true);
  });
  it('a hex-looking label that inet_aton rejects can be a hostname', () => {
    assert.deepEqual(checkAddress('0x1.example', noPolicy), { address: '0x1.example', kind: 'hostname' });
  });
});

describe('hostnames', () => {
  const valid = [
    'a',
    'example.com',
    'EXAMPLE.com',
    'a-b.c-d.example',
    'xn--bcher-kva.example',
    '1a.example',
    'a.b1',
  ];
  for (const h of valid) it(`${h} is valid`, () => assert.equal(hostnameProblem(h), undefined));
  it('63-char labels and 253 chars in total are valid', () => {
    const label = 'a'.repeat(63);
    const name = [label, label, label, 'a'.repeat(61)].join('.');
    assert.equal(name.length, 253);
    assert.equal(hostnameProblem(name), undefined);
  });
  const invalid: [string, string][] = [
    ['', 'empty'],
    ['a'.repeat(64), '63'],
    [`${'a'.repeat(63)}.${'a'.repeat(63)}.${'a'.repeat(63)}.${'a'.repeat(62)}`, '253'],
    ['example.com.', 'dot'],
    ['a..b', 'empty'],
    ['.a', 'empty'],
    ['-a.com', 'hyphen'],
    ['a-.com', 'hyphen'],
    ['a.123', 'digits'],
    ['123', 'digits'],
    ['exa_mple.com', 'letters'],
    ['еxample.com', 'letters'], // Cyrillic е
    ['example.com\n', 'letters'],
    ['ex ample.com', 'letters'],
    ['localhost', 'localhost'],
    ['LocalHost', 'localhost'],
    ['api.localhost', 'localhost'],
    ['a.b.LOCALHOST', 'localhost'],
  ];
  for (const [h, fragment] of invalid) {
    it(`${JSON.stringify(h.length > 30 ? `${h.slice(0, 30)}…` : h)} is invalid (${fragment})`, () => {
      assert.match(hostnameProblem(h) ?? '', new RegExp(fragment));
    });
  }
  it('localhost.example.com is an ordinary name', () =>
    assert.equal(hostnameProblem('localhost.example.com'), undefined));
});

describe('agent-config address policy', () => {
  it('parses and normalises CIDRs', () => {
    assert.equal(parseCidr('10.1.2.3/8')?.text, '10.0.0.0/8');
    assert.equal(parseCidr('FD00::1/8')?.text, 'fd00::/8');
    assert.equal(parseCidr('::ffff:10.0.0.0/104')?.text, '10.0.0.0/8');
    for (const bad of [
      '10.0.0.0',
      '10.0.0.0/33',
      '::/129',
      '10.0.0/8',
      '10.0.0.0/08',
      'x/8',
      '/8',
      '10.0.0.0/-1',
    ]) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });
  it('deny CIDRs forbid matching literals, including mapped and embedded forms', () => {
    const { policy } = buildAddressPolicy(['10.0.0.0/8'], []);
    for (const s of ['10.1.2.3', '::ffff:10.1.2.3', '64:ff9b::a01:203', '2002:a01:203::']) {
      assert.match(policyReason(policy, parseIpLiteral(s)!) ?? '', /denied range 10\.0\.0\.0\/8/, s);
    }
    assert.equal(policyReason(policy, parseIpLiteral('192.168.0.1')!), undefined);
  });
  it('allow CIDRs lift the contract for the operator, never over a deny and never on control-plane ports', () => {
    const { policy } = buildAddressPolicy(['127.0.0.9/32'], ['127.0.0.0/8'], [9901, 9902]);
    // Outside the allow list, the contract and the deny list apply as before.
    assert.equal(typeof checkAddress('10.0.0.1', policy), 'object');
    assert.match(String(checkAddress('169.254.169.254', policy)), /link-local.*not allowed/);
    assert.match(String(checkAddress('::1', policy)), /loopback.*not allowed/);
    assert.match(String(checkAddress('127.0.0.9', policy)), /denied range 127\.0\.0\.9\/32/);
    const loop = checkAddress('127.0.0.1', policy);
    assert.deepEqual(loop, { address: '127.0.0.1', kind: 'ipv4', operatorAllowed: true });
    // The mapped form of an allowed IPv4 address is allowed too (both addresses are inside).
    assert.equal(typeof checkAddress('::ffff:127.0.0.1', policy), 'object');
    if (typeof loop === 'string') throw new Error('unreachable');
    assert.match(protectedPortProblem(loop, 9901, policy) ?? '', /control plane/);
    assert.match(protectedPortProblem(loop, 9902, policy) ?? '', /control plane/);
    assert.equal(protectedPortProblem(loop, 18081, policy), undefined);
    // Hostnames are never covered: localhost stays refused.
    assert.match(String(checkAddress('localhost', policy)), /localhost is not allowed/);
  });
  it('reports unreadable CIDRs', () => {
    assert.deepEqual(buildAddressPolicy(['10.0.0.0/8', 'nope'], ['1.2.3.4/40']).invalid, [
      'nope',
      '1.2.3.4/40',
    ]);
  });
});
