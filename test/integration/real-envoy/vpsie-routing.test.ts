// The VPSie form on the real Envoy, configured by the agent: host routing per domain with the right certificate
// per SNI name, redirects answering 301 with the right location, HTTP/2 on an http2 rule, a tcp rule beside the
// HTTP rules, the default pool and 404 for hosts no domain serves.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeCert } from '../../helpers/certs.ts';
import { freePort } from '../../helpers/cli-process.ts';
import { type Backend, closeAll, httpBackend, tcpBackend } from './backends.ts';
import { tcpHello, h2HostGet, hostGet, sniGet } from './clients.ts';
import { type RealAgent, startRealAgent } from './harness.ts';

const backends: Backend[] = [];
let agent: RealAgent;
let ports: { http: number; https: number; h2: number; tcp: number };

const backend = async (id: string, make = httpBackend) => {
  const b = await make(id);
  backends.push(b);
  return b;
};
const pool = (...bs: Backend[]) => bs.map((b) => ({ ip: '127.0.0.1', identifier: b.id, port: b.port }));

before(async () => {
  const [shop, api, wild, fallback, h2b, tcp] = [
    await backend('shop'),
    await backend('api'),
    await backend('wild'),
    await backend('fallback'),
    await backend('h2'),
    await backend('tcp', tcpBackend),
  ];
  const certs = {
    shop: await makeCert({ commonName: 'shop.example.com', dnsNames: ['shop.example.com'] }),
    api: await makeCert({ commonName: 'api.example.com', dnsNames: ['api.example.com'] }),
    wild: await makeCert({ commonName: '*.apps.example.com', dnsNames: ['*.apps.example.com'] }),
    h2: await makeCert({ commonName: 'grpc.example.com', dnsNames: ['grpc.example.com'] }),
  };
  ports = { http: 0, https: 0, h2: await freePort(), tcp: await freePort() };
  ports.https = await freePort();
  // Backends listen on their own ports: a domain gives the backPort, the backends all listen on loopback.
  const domain = (id: string, name: string, b: Backend, extra: Record<string, unknown> = {}) => ({
    domainId: id,
    domainName: name,
    backPort: b.port,
    backends: pool(b).map(({ port: _p, ...rest }) => rest),
    ...extra,
  });
  agent = await startRealAgent((lbPort) => {
    ports.http = lbPort;
    return {
      identifier: 'lb-real',
      lbName: 'vpsie real',
      checkInterval: 500,
      fastInterval: 250,
      rules: [
        {
          ruleId: 'web',
          scheme: 'http',
          frontPort: lbPort,
          backPort: fallback.port,
          domains: [
            domain('api', 'example.com', api, { subdomain: 'api' }),
            // Redirected here, served by no https rule: the target is 443, a wildcard has no host to name.
            { domainId: 'legacy', domainName: '*.legacy.example.com', redirectHTTP: 1, backends: [] },
            { domainId: 'old', domainName: 'old.example.com', redirectHTTP: 1, backends: [] },
          ],
          backends: pool(fallback).map(({ port: _p, ...rest }) => rest),
        },
        {
          ruleId: 'secure',
          scheme: 'https',
          frontPort: ports.https,
          domains: [
            domain('shop', 'shop.example.com', shop, {
              redirectHTTP: 1,
              tls: { certificate_pem: certs.shop.certPem, private_key_pem: certs.shop.keyPem },
            }),
            domain('api', 'example.com', api, {
              subdomain: 'api',
              tls: { certificate_pem: certs.api.certPem, private_key_pem: certs.api.keyPem },
            }),
            domain('wild', '*.apps.example.com', wild, {
              tls: { certificate_pem: certs.wild.certPem, private_key_pem: certs.wild.keyPem },
            }),
          ],
        },
        {
          ruleId: 'grpc',
          scheme: 'http2',
          frontPort: ports.h2,
          domains: [
            domain('grpc', 'grpc.example.com', h2b, {
              tls: { certificate_pem: certs.h2.certPem, private_key_pem: certs.h2.keyPem },
            }),
          ],
        },
        {
          ruleId: 'raw',
          scheme: 'tcp',
          frontPort: ports.tcp,
          backPort: tcp.port,
          backends: pool(tcp).map(({ port: _p, ...rest }) => rest),
        },
      ],
    };
  });
});

after(async () => {
  await agent?.stop();
  await closeAll(backends);
});

describe('VPSie form on the real Envoy: routing', () => {
  it('https: every domain reaches its pool with its own certificate, picked by SNI (wildcards too)', async () => {
    for (const [sni, cn, body] of [
      ['shop.example.com', 'shop.example.com', 'shop'],
      ['api.example.com', 'api.example.com', 'api'],
      ['a.apps.example.com', '*.apps.example.com', 'wild'],
      ['x.y.apps.example.com', '*.apps.example.com', 'wild'],
    ] as const) {
      const r = await sniGet(ports.https, sni, sni);
      assert.equal(r.certificateCn, cn, `certificate for SNI ${sni}`);
      assert.equal(r.status, 200, sni);
      assert.equal(r.body, body, sni);
      assert.equal(r.alpn, 'http/1.1', 'an https rule speaks HTTP/1.1 even when the client offers h2');
    }
  });

  it('https: no SNI or an unknown one gets the lowest domainId certificate; an unserved host gets 404', async () => {
    const none = await sniGet(ports.https, undefined, 'shop.example.com');
    assert.equal(none.certificateCn, 'api.example.com', 'domainId "api" is the lowest');
    assert.equal(none.body, 'shop', 'routing is by Host, whatever the certificate');
    const other = await sniGet(ports.https, 'other.example.org', 'other.example.org');
    assert.equal(other.certificateCn, 'api.example.com');
    assert.equal(other.status, 404);
  });

  it('http: a redirected host answers 301 to https with path and query, on the https port', async () => {
    for (const host of ['shop.example.com', `shop.example.com:${ports.http}`]) {
      const r = await hostGet(ports.http, host, { path: '/cart/view?id=7&x=y' });
      assert.equal(r.status, 301, host);
      assert.equal(r.headers.location, `https://shop.example.com:${ports.https}/cart/view?id=7&x=y`, host);
    }
  });

  it('http: a redirect to 443 leaves the port out, for a wildcard host given with a port too', async () => {
    for (const host of [
      'a.legacy.example.com',
      `a.b.legacy.example.com:${ports.http}`,
      'old.example.com',
      `old.example.com:${ports.http}`,
    ]) {
      const r = await hostGet(ports.http, host, { path: '/p?q=1' });
      assert.equal(r.status, 301, host);
      const bare = host.replace(/:\d+$/, '');
      assert.equal(r.headers.location, `https://${bare}/p?q=1`, host);
    }
  });

  it('http: a domain with and without the port in Host, and the default pool for other hosts', async () => {
    assert.equal((await hostGet(ports.http, 'api.example.com')).body, 'api');
    assert.equal((await hostGet(ports.http, `API.example.com:${ports.http}`)).body, 'api');
    const other = await hostGet(ports.http, 'unknown.example.net');
    assert.equal(other.status, 200);
    assert.equal(other.body, 'fallback');
  });

  it('http2: HTTP/2 by ALPN h2', async () => {
    const r = await h2HostGet(ports.h2, 'grpc.example.com');
    assert.equal(r.alpn, 'h2');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'h2');
  });

  it('tcp: a tcp rule beside the HTTP rules passes bytes to its pool', async () => {
    const { id, socket } = await tcpHello(ports.tcp);
    assert.equal(id, 'tcp');
    socket.destroy();
  });
});
