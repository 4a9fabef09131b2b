// The address classifier and the lookup wrapper, without sockets.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { describe, it } from 'node:test';
import {
  checkAddress,
  classifyAddress,
  DEVELOPMENT_ADDRESS_POLICY,
  STRICT_ADDRESS_POLICY,
} from '../../../src/source/vpsie/address-guard.ts';
import { RefusedAddressError } from '../../../src/source/vpsie/errors.ts';
import { guardLookup } from '../../../src/source/vpsie/guarded-agent.ts';
import { hostAllowed } from '../../../src/source/vpsie/host-policy.ts';

describe('classifyAddress', () => {
  const cases: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'link_local'],
    ['fe80::1', 'link_local'],
    ['febf::1', 'link_local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['0.1.2.3', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link_local'],
    ['::ffff:10.0.0.5', 'private'],
    ['::10.0.0.5', 'private'],
    ['64:ff9b::10.0.0.5', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link_local'],
    ['64:ff9b:1::1', 'private'],
    ['2002:a9fe:a9fe::1', 'link_local'],
    ['2002:7f00:1::', 'loopback'],
    ['2001:0:4136:e378::1', 'reserved'],
    ['100::1', 'reserved'],
    ['fe80::1%eth0', 'link_local'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['100.128.0.1', 'public'],
    ['203.0.113.7', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:808:808::1', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['1.2.3', 'invalid'],
    ['01.2.3.4', 'invalid'],
    ['api.vpsie.com', 'invalid'],
    ['', 'invalid'],
  ];
  for (const [ip, category] of cases) {
    it(`${ip || '(empty)'} is ${category}`, () => assert.equal(classifyAddress(ip).category, category));
  }
});

describe('checkAddress', () => {
  it('strict mode allows only public addresses, with a reason naming the range', () => {
    assert.deepEqual(checkAddress('8.8.8.8', STRICT_ADDRESS_POLICY), { ok: true });
    assert.deepEqual(checkAddress('10.1.2.3', STRICT_ADDRESS_POLICY), {
      ok: false,
      reason: '10.1.2.3 is a private address (10.0.0.0/8)',
    });
    assert.deepEqual(checkAddress('::ffff:127.0.0.1', STRICT_ADDRESS_POLICY), {
      ok: false,
      reason: '::ffff:127.0.0.1 is a loopback address (127.0.0.0/8 via ::ffff:0:0/96 (IPv4-mapped))',
    });
  });

  it('development mode adds loopback and private, nothing else', () => {
    assert.ok(checkAddress('127.0.0.1', DEVELOPMENT_ADDRESS_POLICY).ok);
    assert.ok(checkAddress('192.168.0.10', DEVELOPMENT_ADDRESS_POLICY).ok);
    assert.ok(!checkAddress('169.254.169.254', DEVELOPMENT_ADDRESS_POLICY).ok);
    assert.ok(!checkAddress('0.0.0.0', DEVELOPMENT_ADDRESS_POLICY).ok);
    assert.ok(!checkAddress('not-an-ip', DEVELOPMENT_ADDRESS_POLICY).ok);
  });
});

describe('guardLookup', () => {
  const base =
    (answers: string[]): LookupFunction =>
    (_host, options, cb) => {
      const all: LookupAddress[] = answers.map((address) => ({
        address,
        family: address.includes(':') ? 6 : 4,
      }));
      if (options.all) cb(null, all);
      else cb(null, all[0]!.address, all[0]!.family);
    };
  const run = (lookup: LookupFunction, all: boolean) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
      lookup('api.vpsie.test', { all }, (err, address) => resolve({ err, address })),
    );

  it('passes public answers through in both callback shapes', async () => {
    const g = guardLookup(base(['203.0.113.7']), STRICT_ADDRESS_POLICY);
    assert.deepEqual(await run(g, true), { err: null, address: [{ address: '203.0.113.7', family: 4 }] });
    assert.deepEqual(await run(g, false), { err: null, address: '203.0.113.7' });
  });

  it('fails with RefusedAddressError when any answer is forbidden', async () => {
    const g = guardLookup(base(['203.0.113.7', '169.254.169.254']), STRICT_ADDRESS_POLICY);
    const r = await run(g, true);
    assert.ok(r.err instanceof RefusedAddressError);
    assert.equal(r.err.address, '169.254.169.254');
    assert.deepEqual(r.address, []);
  });

  it('treats an empty answer as not found', async () => {
    const r = await run(guardLookup(base([]), STRICT_ADDRESS_POLICY), true);
    assert.equal(r.err?.code, 'ENOTFOUND');
  });
});

describe('hostAllowed', () => {
  const list = ['api.vpsie.com', '*.vpsie.net'];
  it('matches exact names case-insensitively, with or without a trailing dot', () => {
    assert.ok(hostAllowed('api.vpsie.com', list));
    assert.ok(hostAllowed('API.VPSie.com.', list));
    assert.ok(!hostAllowed('vpsie.com', list));
    assert.ok(!hostAllowed('api.vpsie.com.evil.example', list));
  });
  it('matches *.domain subdomains only', () => {
    assert.ok(hostAllowed('eu.vpsie.net', list));
    assert.ok(hostAllowed('a.b.vpsie.net', list));
    assert.ok(!hostAllowed('vpsie.net', list));
    assert.ok(!hostAllowed('evilvpsie.net', list));
    assert.ok(!hostAllowed('', list));
  });
});
