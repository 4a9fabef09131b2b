// vpsie.spec_path and vpsie.auth_scheme against the fake API set up like the public API (/api/v1/lb/{id},
// Vpsie-Auth header): the spec comes from the configured path, conditional requests still work, reports keep their
// paths, and the key travels only in the configured header.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { VpsieSpecSource } from '../../../src/source/connect.ts';
import { createVpsieClient, type VpsieClient } from '../../../src/source/vpsie/client.ts';
import { Secret } from '../../../src/util/secret.ts';
import { FakeVpsieApi } from '../../fakes/vpsie-api.ts';
import { API_KEY, devConfig, recordingSleep } from './setup.ts';

describe('vpsie.spec_path and vpsie.auth_scheme (public API layout)', () => {
  let api: FakeVpsieApi;
  const clients: VpsieClient[] = [];

  before(async () => {
    api = await FakeVpsieApi.start({
      apiKey: API_KEY,
      prefix: '',
      specPath: '/api/v1/lb/{id}',
      authScheme: 'vpsie-auth',
      loadbalancerId: 'lb 7/x',
    });
  });
  after(async () => {
    for (const c of clients) c.close();
    await api.close();
  });
  beforeEach(() => {
    api.requests.length = 0;
  });

  const client = (over: Parameters<typeof devConfig>[1] = {}) => {
    const c = createVpsieClient({
      vpsie: devConfig(api, { loadbalancerId: 'lb 7/x', ...over }),
      apiKey: new Secret(API_KEY),
      ca: api.caPem,
      sleep: recordingSleep().sleep,
      random: () => 0.5,
    });
    clients.push(c);
    return c;
  };

  it('fetches from spec_path with {id} percent-encoded, Vpsie-Auth header, no Authorization', async () => {
    api.setSpec('{"name":"web"}', '"e1"');
    const c = client({ specPath: '/api/v1/lb/{id}', authScheme: 'vpsie-auth' });
    const first = await c.fetchSpec();
    assert.deepEqual(first, { ok: true, value: { kind: 'document', body: '{"name":"web"}', etag: '"e1"' } });
    const [req] = api.requests;
    assert.equal(req?.path, '/api/v1/lb/lb%207%2Fx');
    assert.equal(req?.headers['vpsie-auth'], API_KEY);
    assert.equal(req?.headers.authorization, undefined);
    // ETag handling is unchanged: the second fetch is conditional and 304 means unchanged.
    const second = await c.fetchSpec();
    assert.deepEqual(second, { ok: true, value: { kind: 'unchanged' } });
    assert.equal(api.requests[1]?.headers['if-none-match'], '"e1"');
  });

  it('keeps the report paths under /loadbalancers/{id}', async () => {
    const c = client({ specPath: '/api/v1/lb/{id}', authScheme: 'vpsie-auth' });
    assert.equal((await c.putStatus('active')).ok, true);
    assert.equal((await c.putBackendHealth('b-1', 'healthy')).ok, true);
    assert.deepEqual(
      api.requests.map((r) => `${r.method} ${r.path} ${r.headers['vpsie-auth'] === API_KEY}`),
      ['PUT /loadbalancers/lb%207%2Fx/status true', 'PUT /loadbalancers/lb%207%2Fx/backends/b-1/health true'],
    );
  });

  it('the default bearer scheme is refused by an API that wants Vpsie-Auth (and the key is not in the error)', async () => {
    const r = await client({ specPath: '/api/v1/lb/{id}' }).fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.status, 401);
    assert.ok(!r.error.message.includes(API_KEY));
    assert.equal(api.requests[0]?.headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(api.requests[0]?.headers['vpsie-auth'], undefined);
  });

  it('the default spec_path misses the public layout with a 404 that names spec_path', async () => {
    const r = await client({ authScheme: 'vpsie-auth' }).fetchSpec();
    assert.ok(!r.ok);
    assert.equal(r.error.status, 404);
    assert.equal(api.requests[0]?.path, '/loadbalancers/lb%207%2Fx');
    assert.match(r.error.message, /vpsie\.spec_path "\/loadbalancers\/\{id\}"/);
  });

  it('the source description shows the configured path', () => {
    const vpsie = devConfig(api, { loadbalancerId: 'lb-9', specPath: '/api/v1/lb/{id}' });
    const source = new VpsieSpecSource(client(), vpsie);
    assert.equal(source.description, `vpsie ${api.url}/api/v1/lb/lb-9`);
  });
});
