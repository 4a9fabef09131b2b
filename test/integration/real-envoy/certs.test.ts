// Certificate rotation through file-based SDS on the real Envoy: a new certificate (inline in the spec, or a file
// replaced on disk) is what a NEW TLS client sees, with no new Envoy epoch, while a TLS connection opened before the
// rotation stays open, keeps its old certificate and keeps getting answers.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import http2 from 'node:http2';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type tls from 'node:tls';
import { type IssuedCert, type KeySpec, makeCert } from '../../helpers/certs.ts';
import { waitFor } from '../../helpers/cli-process.ts';
import { type Backend, closeAll, httpBackend } from './backends.ts';
import { h2Request, tlsConnect } from './clients.ts';
import { lbSpec, type RealAgent, startRealAgent } from './harness.ts';

const agents: RealAgent[] = [];
const backends: Backend[] = [];
const sessions: http2.ClientHttp2Session[] = [];
after(async () => {
  for (const s of sessions) s.destroy();
  for (const a of agents) await a.stop();
  await closeAll(backends);
});

const fingerprint = (c: IssuedCert) => new X509Certificate(c.certPem).fingerprint256;
const serverCert = () => makeCert({ commonName: 'lb.example.test', dnsNames: ['lb.example.test'] });

/** The certificate a brand-new TLS client is shown. */
async function presented(port: number): Promise<string> {
  const s = await tlsConnect(port, { ALPNProtocols: ['http/1.1'] });
  const fp = s.socket.getPeerCertificate().fingerprint256;
  s.socket.destroy();
  return fp;
}

/** An HTTP/2 connection kept open across the rotation; `get` sends one more request on it. */
async function longLived(port: number) {
  const session = http2.connect(`https://127.0.0.1:${port}`, {
    servername: 'lb.example.test',
    rejectUnauthorized: false,
  });
  sessions.push(session);
  let closed = false;
  session.on('close', () => {
    closed = true;
  });
  session.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve());
    session.once('error', reject);
  });
  const get = () => h2Request(session);
  const socket = session.socket as tls.TLSSocket;
  return { get, closed: () => closed, fingerprint: socket.getPeerCertificate().fingerprint256 };
}

async function rotateAndCheck(
  agent: RealAgent,
  oldCert: IssuedCert,
  newCert: IssuedCert,
  rotate: () => Promise<void>,
): Promise<void> {
  const port = agent.lbPort;
  assert.equal(await presented(port), fingerprint(oldCert));
  const open = await longLived(port);
  assert.equal(open.fingerprint, fingerprint(oldCert));
  assert.equal((await open.get()).status, 200);
  const epochBefore = (await agent.admin.serverInfo()).restartEpoch;
  const pidBefore = (await agent.status()).envoy.pid;
  const hashBefore = (await agent.status()).applied_hash;
  const modified = async () =>
    (await agent.admin.statsFiltered('^listener_manager\\.listener_modified$')).get(
      'listener_manager.listener_modified',
    );
  const modifiedBefore = await modified();
  assert.equal(typeof modifiedBefore, 'number');

  await rotate();
  await agent.waitApplied(hashBefore);
  await waitFor('a new TLS client to see the new certificate', 20_000, async () =>
    (await presented(port)) === fingerprint(newCert) ? true : undefined,
  );

  const info = await agent.admin.serverInfo();
  assert.equal(info.restartEpoch, epochBefore, 'a new Envoy epoch');
  assert.equal((await agent.status()).envoy.pid, pidBefore, 'a new Envoy process');
  // Only the secret changed: the listener was not replaced (which would drain its connections).
  assert.equal(await modified(), modifiedBefore, 'the listener was modified');
  assert.equal(open.closed(), false, 'the connection opened before the rotation was closed');
  const again = await open.get();
  assert.equal(again.status, 200);
  assert.match(again.body, /^(alpha|beta)$/);
}

describe('real Envoy: certificate rotation without a new epoch', () => {
  it('inline PEM replaced in the spec', async () => {
    const [b1, b2] = [await httpBackend('alpha'), await httpBackend('beta')];
    backends.push(b1, b2);
    const backendList = [
      { id: 'b1', port: b1.port },
      { id: 'b2', port: b2.port },
    ];
    const [first, second] = [await serverCert(), await serverCert()];
    const spec = (port: number, c: IssuedCert) =>
      lbSpec(port, 'https', backendList, {
        tls_config: { certificate_pem: c.certPem, private_key_pem: c.keyPem, min_version: 'TLSv1.2' },
      });
    const agent = await startRealAgent((port) => spec(port, first));
    agents.push(agent);
    await rotateAndCheck(agent, first, second, () => agent.writeSpec(spec(agent.lbPort, second)));
  });

  it('certificate and key files replaced on disk (same spec)', async () => {
    const b1 = await httpBackend('alpha');
    backends.push(b1);
    const [first, second] = [await serverCert(), await serverCert()];
    let site = '';
    const put = async (c: IssuedCert) => {
      // Each file by rename, as an operator's tooling (or certbot's symlink swap) replaces them.
      await writeFile(join(site, '.tls.crt.tmp'), c.certPem);
      await writeFile(join(site, '.tls.key.tmp'), c.keyPem, { mode: 0o600 });
      await rename(join(site, '.tls.key.tmp'), join(site, 'tls.key'));
      await rename(join(site, '.tls.crt.tmp'), join(site, 'tls.crt'));
    };
    const agent = await startRealAgent(async (port, certDir) => {
      site = join(certDir, 'site');
      await mkdir(site, { recursive: true });
      await put(first);
      return lbSpec(port, 'https', [{ id: 'b1', port: b1.port }], {
        tls_config: {
          certificate_path: join(site, 'tls.crt'),
          private_key_path: join(site, 'tls.key'),
          min_version: 'TLSv1.2',
        },
      });
    });
    agents.push(agent);
    // The agent notices the files itself (its certificate watcher), re-renders the secret and moves it into place.
    await rotateAndCheck(agent, first, second, () => put(second));
  });
});

describe('real Envoy: the key types the agent accepts are served', () => {
  it('ECDSA P-256, P-384, P-521 and RSA 2048/3072 certificates, each rotated in and seen by a new client', async (t) => {
    const b1 = await httpBackend('alpha');
    backends.push(b1);
    const kinds: { label: string; key: KeySpec }[] = [
      { label: 'P-384', key: { kind: 'ec', curve: 'P-384' } },
      { label: 'P-521', key: { kind: 'ec', curve: 'P-521' } },
      { label: 'RSA 2048', key: { kind: 'rsa', bits: 2048 } },
      { label: 'RSA 3072', key: { kind: 'rsa', bits: 3072 } },
    ];
    const spec = (port: number, c: IssuedCert) =>
      lbSpec(port, 'https', [{ id: 'b1', port: b1.port }], {
        tls_config: { certificate_pem: c.certPem, private_key_pem: c.keyPem, min_version: 'TLSv1.2' },
      });
    const first = await serverCert();
    const agent = await startRealAgent((port) => spec(port, first));
    agents.push(agent);
    assert.equal(await presented(agent.lbPort), fingerprint(first));
    for (const { label, key } of kinds) {
      const c = await makeCert({ commonName: 'lb.example.test', dnsNames: ['lb.example.test'], key });
      const previous = (await agent.status()).applied_hash;
      await agent.writeSpec(spec(agent.lbPort, c));
      await agent.waitApplied(previous);
      await waitFor(`a new client to see the ${label} certificate`, 20_000, async () =>
        (await presented(agent.lbPort)) === fingerprint(c) ? true : undefined,
      );
      // TLS 1.2 too (its cipher suites are per key type: ECDHE-ECDSA-* or ECDHE-RSA-*).
      const v12 = await tlsConnect(agent.lbPort, { maxVersion: 'TLSv1.2', ca: c.certPem });
      t.diagnostic(`${label}: TLS 1.2 cipher ${v12.socket.getCipher().name}`);
      v12.socket.destroy();
    }
  });
});
