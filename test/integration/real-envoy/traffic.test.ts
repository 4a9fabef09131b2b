// Traffic through the real Envoy, configured by the agent from a spec file: the bytes and status codes a client sees
// for http, https (TLS 1.2 and 1.3, ALPN h2 and http/1.1, mTLS) and tcp load balancers with loopback backends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type IssuedCert, makeCert } from '../../helpers/certs.ts';
import { freePort, waitFor } from '../../helpers/cli-process.ts';
import { type Backend, closeAll, httpBackend, tcpBackend } from './backends.ts';
import { get, h2Get, httpsGet, tally, tcpHello, tlsConnect } from './clients.ts';
import { lbSpec, type RealAgent, startRealAgent } from './harness.ts';

const agents: RealAgent[] = [];
const backends: Backend[] = [];
after(async () => {
  for (const a of agents) await a.stop();
  await closeAll(backends);
});

const start = async (...args: Parameters<typeof startRealAgent>) => {
  const a = await startRealAgent(...args);
  agents.push(a);
  return a;
};
const two = async (make: (id: string) => Promise<Backend>) => {
  const bs = [await make('alpha'), await make('beta')];
  backends.push(...bs);
  return bs.map((b, i) => ({ id: `b${i + 1}`, port: b.port }));
};

describe('real Envoy: http and tcp', () => {
  it('http: each request is answered by a backend, 200 with its body; a backend nobody listens on gets a 503 from Envoy', async () => {
    const agent = await start(async (port) => lbSpec(port, 'http', await two(httpBackend)));
    assert.deepEqual(Object.fromEntries(await tally(agent.lbPort, 10)), { alpha: 5, beta: 5 });
    const r = await get(agent.lbPort, { path: '/some/path?q=1' });
    assert.equal(r.status, 200);
    assert.match(r.body, /^(alpha|beta)$/);

    // A backend port nothing listens on: Envoy answers 503 itself (what a user sees when the backend is down).
    const previous = (await agent.status()).applied_hash;
    // (A port just found free, not a "well-known unused" one: other tests' processes listen anywhere, even on 1.)
    await agent.writeSpec(lbSpec(agent.lbPort, 'http', [{ id: 'gone', port: await freePort() }]));
    await agent.waitApplied(previous);
    // Committed means Envoy's main thread took the cluster; it reaches the worker asynchronously, so poll briefly.
    const down = await waitFor('503 from the new cluster', 20_000, async () => {
      const r = await get(agent.lbPort);
      return r.status === 503 ? r : undefined;
    });
    assert.match(down.body, /upstream connect error|no healthy upstream/);
  });

  it('tcp: each connection reaches a backend (its greeting), bytes are echoed both ways', async () => {
    const agent = await start(async (port) => lbSpec(port, 'tcp', await two(tcpBackend)));
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { id, socket } = await tcpHello(agent.lbPort);
      seen.push(id);
      const echoed = new Promise<string>((resolve) => socket.once('data', (d) => resolve(String(d))));
      socket.write(`ping-${i}`);
      assert.equal(await echoed, `ping-${i}`);
      socket.destroy();
    }
    assert.deepEqual([...seen].sort(), ['alpha', 'alpha', 'beta', 'beta']);
  });
});

describe('real Envoy: https', () => {
  let server: IssuedCert;
  let clientCa: IssuedCert;
  let client: IssuedCert;
  let strangerClient: IssuedCert;
  before(async () => {
    server = await makeCert({ commonName: 'lb.example.test', dnsNames: ['lb.example.test'] });
    clientCa = await makeCert({ commonName: 'Client CA', isCa: true });
    client = await makeCert({ commonName: 'client-1', issuer: clientCa });
    const strangerCa = await makeCert({ commonName: 'Stranger CA', isCa: true });
    strangerClient = await makeCert({ commonName: 'client-x', issuer: strangerCa });
  });
  const tlsConfig = (extra: Record<string, unknown>) => ({
    certificate_pem: server.certPem,
    private_key_pem: server.keyPem,
    min_version: 'TLSv1.2',
    ...extra,
  });

  it('TLS 1.2 and 1.3 clients, ALPN h2 and http/1.1: each gets 200 from a backend with the server certificate', async () => {
    const agent = await start(async (port) =>
      lbSpec(port, 'https', await two(httpBackend), { tls_config: tlsConfig({ max_version: 'TLSv1.3' }) }),
    );
    const trust = { ca: server.certPem };
    const v12 = await httpsGet(agent.lbPort, {
      ...trust,
      maxVersion: 'TLSv1.2',
      ALPNProtocols: ['http/1.1'],
    });
    assert.deepEqual([v12.status, v12.protocol, v12.alpn], [200, 'TLSv1.2', 'http/1.1']);
    assert.match(v12.body, /^(alpha|beta)$/);
    const v13 = await httpsGet(agent.lbPort, { ...trust, minVersion: 'TLSv1.3' });
    assert.deepEqual([v13.status, v13.protocol], [200, 'TLSv1.3']);
    const h2 = await h2Get(agent.lbPort, trust);
    assert.deepEqual([h2.status, h2.alpn, h2.protocol], [200, 'h2', 'TLSv1.3']);
    assert.match(h2.body, /^(alpha|beta)$/);
    // A client offering both protocols gets Envoy's first choice (h2); a plain-text client is not served.
    const both = await h2Get(agent.lbPort, { ...trust, ALPNProtocols: ['http/1.1', 'h2'] });
    assert.equal(both.alpn, 'h2');
    await assert.rejects(get(agent.lbPort));
  });

  it('TLS 1.3 only, http/1.1 only, client certificate required: only a TLS 1.3 client with a certificate from the CA is served', async () => {
    const agent = await start(async (port) =>
      lbSpec(port, 'https', await two(httpBackend), {
        tls_config: tlsConfig({ min_version: 'TLSv1.3', alpn: ['http/1.1'], ca_cert_pem: clientCa.certPem }),
      }),
    );
    const trust = { ca: server.certPem };
    const withCert = { ...trust, cert: client.certPem, key: client.keyPem };
    const ok = await httpsGet(agent.lbPort, { ...withCert, ALPNProtocols: ['h2', 'http/1.1'] });
    assert.deepEqual([ok.status, ok.protocol, ok.alpn], [200, 'TLSv1.3', 'http/1.1']);
    assert.match(ok.body, /^(alpha|beta)$/);
    // Refused: no client certificate; a certificate from another CA; TLS 1.2.
    await assert.rejects(
      httpsGet(agent.lbPort, trust),
      /certificate required|alert|socket hang up|ECONNRESET/,
    );
    await assert.rejects(
      httpsGet(agent.lbPort, { ...trust, cert: strangerClient.certPem, key: strangerClient.keyPem }),
      /unknown ca|alert|socket hang up|ECONNRESET/,
    );
    await assert.rejects(
      httpsGet(agent.lbPort, { ...withCert, maxVersion: 'TLSv1.2' }),
      /protocol version|alert|socket hang up|ECONNRESET/,
    );
    // h2 is not negotiated for an h2-only client. (Envoy's codec AUTO still answers the HTTP/2 preface sent by prior
    // knowledge: the ALPN list chooses what is negotiated, not what the listener can speak.)
    const h2 = await h2Get(agent.lbPort, withCert);
    assert.equal(h2.alpn, false);
    assert.equal(h2.status, 200);
  });
  it('TLS 1.2 only with one cipher suite: a client gets exactly that suite; TLS 1.3 and other suites are refused', async (t) => {
    const agent = await start(async (port) =>
      lbSpec(port, 'https', await two(httpBackend), {
        tls_config: tlsConfig({ max_version: 'TLSv1.2', cipher_suites: ['ECDHE-ECDSA-AES256-GCM-SHA384'] }),
      }),
    );
    const trust = { ca: server.certPem, ALPNProtocols: ['http/1.1'] };
    const ok = await tlsConnect(agent.lbPort, trust);
    const cipher = ok.socket.getCipher().name;
    t.diagnostic(`negotiated ${ok.protocol} ${cipher}`);
    assert.deepEqual([ok.protocol, cipher], ['TLSv1.2', 'ECDHE-ECDSA-AES256-GCM-SHA384']);
    ok.socket.destroy();
    const r = await httpsGet(agent.lbPort, trust);
    assert.deepEqual([r.status, r.protocol], [200, 'TLSv1.2']);
    await assert.rejects(tlsConnect(agent.lbPort, { ...trust, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }));
    await assert.rejects(tlsConnect(agent.lbPort, { ...trust, minVersion: 'TLSv1.3' }));
  });
});
