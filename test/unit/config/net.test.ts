import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrProblem, hostAllowed, isLoopbackIp, parseHostPort } from '../../../src/config/index.ts';

describe('hostAllowed', () => {
  const patterns = ['api.vpsie.com', '*.vpsie.com'];

  it('matches exact names case-insensitively', () => {
    assert.equal(hostAllowed('api.vpsie.com', ['api.vpsie.com']), true);
    assert.equal(hostAllowed('API.VPSie.com', ['api.vpsie.com']), true);
    assert.equal(hostAllowed('api.vpsie.com', ['API.VPSIE.COM']), true);
    assert.equal(hostAllowed('api2.vpsie.com', ['api.vpsie.com']), false);
  });

  it('*.domain matches any subdomain but not the domain itself', () => {
    assert.equal(hostAllowed('x.vpsie.com', patterns), true);
    assert.equal(hostAllowed('a.b.vpsie.com', patterns), true);
    assert.equal(hostAllowed('vpsie.com', patterns), false);
    assert.equal(hostAllowed('evilvpsie.com', patterns), false);
    assert.equal(hostAllowed('vpsie.com.evil.net', patterns), false);
    assert.equal(hostAllowed('.vpsie.com', patterns), false);
  });

  it('ignores other wildcard forms', () => {
    for (const p of ['*', '*vpsie.com', 'api.*.com', 'a*.vpsie.com', '*.com', '**.vpsie.com']) {
      assert.equal(hostAllowed('api.vpsie.com', [p]), false, p);
    }
  });

  it('denies malformed hosts and an empty list', () => {
    assert.equal(hostAllowed('api.vpsie.com', []), false);
    assert.equal(hostAllowed('', patterns), false);
    assert.equal(hostAllowed('api.vpsie.com.', patterns), false);
    assert.equal(hostAllowed('x y.vpsie.com', patterns), false);
  });

  it('IP literals match only when listed exactly', () => {
    assert.equal(hostAllowed('10.0.0.1', ['10.0.0.1']), true);
    assert.equal(hostAllowed('[::1]', ['::1']), true);
    assert.equal(hostAllowed('10.0.0.1', ['*.0.0.1']), false);
  });
});

describe('parseHostPort', () => {
  it('reads address:port, bare addresses and bracketed IPv6', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:9901'), { host: '127.0.0.1', port: 9901 });
    assert.deepEqual(parseHostPort('127.0.0.1'), { host: '127.0.0.1' });
    assert.deepEqual(parseHostPort('[::1]:9901'), { host: '::1', port: 9901 });
    assert.deepEqual(parseHostPort('[::1]'), { host: '::1' });
    assert.deepEqual(parseHostPort('::1'), { host: '::1' });
  });

  it('rejects names, bad ports and unbracketed IPv6 with a port', () => {
    for (const s of [
      'localhost:9901',
      '127.0.0.1:0',
      '127.0.0.1:65536',
      '127.0.0.1:',
      '127.0.0.1:x',
      '[::1]9901',
      '[10.0.0.1]:80',
      '',
      ':9901',
    ]) {
      assert.equal(parseHostPort(s), undefined, s);
    }
  });
});

describe('isLoopbackIp', () => {
  it('knows v4, v6 and mapped loopback', () => {
    for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])
      assert.equal(isLoopbackIp(ip), true, ip);
    for (const ip of ['10.0.0.1', '0.0.0.0', '::', '::2', '::ffff:10.0.0.1', 'localhost'])
      assert.equal(isLoopbackIp(ip), false, ip);
  });
});

describe('cidrProblem', () => {
  it('accepts v4 and v6 blocks', () => {
    for (const c of [
      '10.0.0.0/8',
      '192.168.1.0/24',
      '0.0.0.0/0',
      '10.0.0.1/32',
      'fd00::/8',
      '2001:db8::/32',
      '::1/128',
    ]) {
      assert.equal(cidrProblem(c), undefined, c);
    }
  });

  it('rejects malformed blocks and host bits', () => {
    for (const c of [
      '10.0.0.0',
      '10.0.0.0/33',
      '10.0.0/8',
      'fd00::/129',
      'x/8',
      '10.0.0.0/-1',
      '10.0.0.0/08x',
    ]) {
      assert.match(cidrProblem(c) ?? '', /must be a CIDR block/, c);
    }
    assert.match(cidrProblem('10.0.0.1/8') ?? '', /host bits/);
    assert.match(cidrProblem('fd00::1/64') ?? '', /host bits/);
  });
});
