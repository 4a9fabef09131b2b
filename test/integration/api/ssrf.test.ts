// Strict mode (production): the guard must refuse forbidden addresses after DNS and before any packet is sent.
// Names resolve through an injected lookup. Loopback cases run the real socket path against the loopback fake and
// assert it saw no connection; non-loopback cases use a socket factory that stands in for the kernel and never
// opens a real socket, so no traffic can leave the machine even if the guard were broken.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import tls from 'node:tls';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createVpsieClient, type VpsieClientOptions } from '../../../src/source/vpsie/client.ts';
import { RefusedAddressError } from '../../../src/source/vpsie/errors.ts';
import type { ConnectOptions, SocketFactory } from '../../../src/source/vpsie/guarded-agent.ts';
import { Secret } from '../../../src/util/secret.ts';
import { FakeVpsieApi } from '../../fakes/vpsie-api.ts';
import { API_KEY, recordingSleep, strictConfig } from './setup.ts';

/** A resolver that maps every name to fixed answers and counts its calls. */
function fixedLookup(addresses: readonly string[]): { lookup: LookupFunction; calls: string[] } {
  const calls: string[] = [];
  const lookup: LookupFunction = (hostname, options, callback) => {
    calls.push(hostname);
    const all: LookupAddress[] = addresses.map((address) => ({ address, family: net.isIP(address) }));
    // Asynchronous, like dns.lookup.
    setImmediate(() => {
      if (options.all) callback(null, all);
      else callback(null, all[0]!.address, all[0]!.family);
    });
  };
  return { lookup, calls };
}

interface SpyRecord {
  host: string;
  error: unknown;
  addresses: readonly string[];
}

/**
 * The real tls.connect, but whatever the guarded lookup decides is recorded and then turned into a lookup failure,
 * so net never gets an address to dial: no packet can leave, even if the guard were broken.
 */
function spySocketFactory(): { factory: SocketFactory; records: SpyRecord[] } {
  const records: SpyRecord[] = [];
  const factory: SocketFactory = (options: ConnectOptions) => {
    const host = String(options.host);
    const stopAfterGuard: LookupFunction = (hostname, lookupOptions, callback) => {
      options.lookup(hostname, lookupOptions, (error, addresses, family) => {
        const list = typeof addresses === 'string' ? [addresses] : addresses.map((a) => a.address);
        records.push({ host, error, addresses: list });
        callback(
          error ?? new Error('test double: stopped before connecting'),
          lookupOptions.all ? [] : '',
          family,
        );
      });
    };
    return tls.connect({ ...options, lookup: stopAfterGuard });
  };
  return { factory, records };
}

describe('SSRF guard in strict mode', () => {
  let api: FakeVpsieApi;

  before(async () => {
    api = await FakeVpsieApi.start({ apiKey: API_KEY, http: true });
  });
  after(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
    api.tcpConnections = 0;
    api.tlsHandshakes = 0;
  });

  const client = (apiUrl: string, over: Partial<VpsieClientOptions> = {}) =>
    createVpsieClient({
      vpsie: strictConfig(apiUrl),
      apiKey: new Secret(API_KEY),
      ca: api.caPem,
      sleep: recordingSleep().sleep,
      limits: { maxAttempts: 1 },
      ...over,
    });

  for (const loopback of ['127.0.0.1', '::ffff:127.0.0.1']) {
    it(`refuses a name resolving to ${loopback}; the loopback server sees no connection`, async () => {
      const { lookup, calls } = fixedLookup([loopback]);
      const c = client(`https://api.vpsie.test:${api.port}/v2`, { lookup });
      const r = await c.fetchSpec();
      c.close();
      assert.ok(!r.ok);
      assert.equal(r.error.kind, 'refused_address');
      assert.equal(r.error.retryable, false);
      assert.match(r.error.message, /loopback address/);
      assert.deepEqual(calls, ['api.vpsie.test']);
      assert.equal(api.tcpConnections, 0);
      assert.equal(api.requests.length, 0);
    });
  }

  for (const [address, category] of [
    ['10.0.0.5', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fd00::1', 'private'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
  ] as const) {
    it(`refuses a name resolving to ${address} before connecting`, async () => {
      const { lookup } = fixedLookup([address]);
      const spy = spySocketFactory();
      const c = client('https://api.vpsie.test/v2', { lookup, socketFactory: spy.factory });
      const r = await c.fetchSpec();
      c.close();
      assert.ok(!r.ok);
      assert.equal(r.error.kind, 'refused_address');
      assert.match(r.error.message, new RegExp(`${category} address`));
      assert.equal(spy.records.length, 1);
      assert.ok(spy.records[0]!.error instanceof RefusedAddressError);
    });
  }

  it('refuses a name when any one of its answers is forbidden', async () => {
    const { lookup } = fixedLookup(['203.0.113.7', '10.0.0.5']);
    const spy = spySocketFactory();
    const r = await client('https://api.vpsie.test/v2', { lookup, socketFactory: spy.factory }).fetchSpec();
    assert.ok(!r.ok && r.error.kind === 'refused_address');
    assert.match(r.error.message, /10\.0\.0\.5/);
  });

  it('passes a public address through to the socket layer (which the test double stops)', async () => {
    const { lookup } = fixedLookup(['203.0.113.7']);
    const spy = spySocketFactory();
    const r = await client('https://api.vpsie.test/v2', { lookup, socketFactory: spy.factory }).fetchSpec();
    assert.deepEqual(spy.records, [{ host: 'api.vpsie.test', error: null, addresses: ['203.0.113.7'] }]);
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'network');
    assert.match(r.error.message, /test double: stopped before connecting/);
  });

  it('re-checks the address the socket actually reached, even if resolution was bypassed', async () => {
    // A socket layer that ignores the guarded lookup and dials loopback anyway: the 'connect' check must kill it
    // before the TLS handshake, so no request (and no key) goes out.
    const rogue: SocketFactory = (options) =>
      tls.connect({
        ...options,
        lookup: (_h, o, cb) =>
          o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4),
      });
    const c = client(`https://api.vpsie.test:${api.port}/v2`, { socketFactory: rogue });
    const r = await c.fetchSpec();
    c.close();
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'refused_address');
    assert.equal(api.tlsHandshakes, 0);
    assert.equal(api.requests.length, 0);
  });

  for (const literal of ['127.0.0.1', '[::ffff:127.0.0.1]', '[::1]']) {
    it(`refuses the IP-literal host ${literal} even when allow-listed`, async () => {
      const { lookup, calls } = fixedLookup(['203.0.113.7']);
      const c = createVpsieClient({
        vpsie: strictConfig(`https://${literal}:${api.port}/v2`, { allowedHosts: [literal] }),
        apiKey: new Secret(API_KEY),
        ca: api.caPem,
        lookup,
      });
      const r = await c.fetchSpec();
      c.close();
      assert.ok(!r.ok);
      assert.equal(r.error.kind, 'refused_address');
      assert.equal(calls.length, 0);
      assert.equal(api.tcpConnections, 0);
    });
  }

  it('refuses an http URL', async () => {
    const { lookup, calls } = fixedLookup(['203.0.113.7']);
    const r = await client(`http://api.vpsie.test:${api.httpPort}/v2`, { lookup }).fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'insecure_scheme');
    assert.equal(calls.length, 0);
    assert.equal(api.tcpConnections, 0);
  });

  it('refuses a host outside the allow-list without resolving it', async () => {
    const { lookup, calls } = fixedLookup(['203.0.113.7']);
    for (const host of ['evil.example', 'vpsie.test.evil.example', 'evilvpsie.test']) {
      const r = await client(`https://${host}/v2`, { lookup }).fetchSpec();
      assert.ok(!r.ok);
      assert.equal(r.error.kind, 'refused_host');
    }
    assert.equal(calls.length, 0);
  });

  it('accepts subdomains of a *.domain entry', async () => {
    const { lookup, calls } = fixedLookup(['10.0.0.5']);
    const spy = spySocketFactory();
    const r = await client('https://eu-1.api.vpsie.test/v2', {
      lookup,
      socketFactory: spy.factory,
    }).fetchSpec();
    // Allowed by the list, so it got as far as resolution, where the address was refused.
    assert.ok(!r.ok && r.error.kind === 'refused_address');
    assert.deepEqual(calls, ['eu-1.api.vpsie.test']);
  });

  it('refuses credentials in api_url', async () => {
    const r = await client('https://user:pw@api.vpsie.test/v2').fetchSpec();
    assert.ok(!r.ok && r.error.kind === 'invalid_url');
    assert.ok(!r.error.message.includes('pw'));
  });
});
