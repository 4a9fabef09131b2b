// Certificate material through the real pipeline (prepareGeneration): what is accepted, what is rejected and at
// which tls_config path, what Envoy is given (agent copies only, with the right modes), mTLS.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseWith } from '../../../src/agent.ts';
import { FileApplier } from '../../../src/apply/file-applier.ts';
import type { AgentConfig } from '../../../src/config/types.ts';
import { getSchemaChecker } from '../../../src/envoy/schema/index.ts';
import { prepareGeneration } from '../../../src/pipeline.ts';
import type { LoadBalancerModel } from '../../../src/model/types.ts';
import { AcceptedTlsFiles } from '../../../src/tls/sources.ts';
import { tempAgentConfig } from '../../helpers/agent-config.ts';
import { type IssuedCert, makeCert } from '../../helpers/certs.ts';
import { httpsSpec, inlineFiles, modeOf } from './helpers.ts';

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function setup(): Promise<{ config: AgentConfig; certDir: string }> {
  const { config, root } = await tempAgentConfig();
  roots.push(root);
  await mkdir(config.tls.certDir, { recursive: true });
  return { config, certDir: config.tls.certDir };
}

function specOf(config: AgentConfig, tls: Record<string, unknown>): LoadBalancerModel {
  const parsed = parseWith(config)(JSON.stringify(httpsSpec(tls)));
  if (!parsed.ok) throw new Error(`test spec invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.spec;
}

/** Writes the operator's files under `<certDir>/site/` and returns the tls_config naming them. */
async function onDisk(
  certDir: string,
  files: { cert: string; key: string; ca?: string },
): Promise<Record<string, string>> {
  const dir = join(certDir, 'site');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'tls.crt'), files.cert, { mode: 0o644 });
  await writeFile(join(dir, 'tls.key'), files.key, { mode: 0o600 });
  const tls: Record<string, string> = {
    certificate_path: join(dir, 'tls.crt'),
    private_key_path: join(dir, 'tls.key'),
  };
  if (files.ca !== undefined) {
    await writeFile(join(dir, 'ca.pem'), files.ca, { mode: 0o644 });
    tls.ca_cert_path = join(dir, 'ca.pem');
  }
  return tls;
}

const day = 86_400_000;

describe('certificate material through the pipeline', () => {
  const accepted: { name: string; make: () => Promise<IssuedCert> }[] = [
    { name: 'RSA 2048', make: () => makeCert({ key: { kind: 'rsa', bits: 2048 }, dnsNames: ['a.example'] }) },
    { name: 'ECDSA P-256', make: () => makeCert({ key: { kind: 'ec', curve: 'P-256' } }) },
    { name: 'ECDSA P-384', make: () => makeCert({ key: { kind: 'ec', curve: 'P-384' } }) },
  ];
  for (const c of accepted) {
    for (const kind of ['inline', 'path'] as const) {
      it(`accepts a valid ${c.name} certificate given ${kind}`, async () => {
        const { config, certDir } = await setup();
        const cert = await c.make();
        const tls =
          kind === 'inline'
            ? { certificate_pem: cert.certPem, private_key_pem: cert.keyPem }
            : await onDisk(certDir, { cert: cert.certPem, key: cert.keyPem });
        const prepared = await prepareGeneration(specOf(config, tls), config, new Date());
        assert.ok(prepared.ok, JSON.stringify(prepared));
        assert.equal(prepared.certificate?.fingerprint256, new X509Certificate(cert.certPem).fingerprint256);
      });
    }
  }

  const rejected: {
    name: string;
    tls: (certDir: string) => Promise<Record<string, string>>;
    path: string;
    message: RegExp;
  }[] = [
    {
      name: 'an expired certificate',
      tls: async () => {
        const c = await makeCert({
          notBefore: new Date(Date.now() - 10 * day),
          notAfter: new Date(Date.now() - day),
        });
        return { certificate_pem: c.certPem, private_key_pem: c.keyPem };
      },
      path: 'tls_config.certificate_pem',
      message: /expired on/,
    },
    {
      name: 'a certificate not yet valid',
      tls: async (dir) => {
        const c = await makeCert({
          notBefore: new Date(Date.now() + day),
          notAfter: new Date(Date.now() + 10 * day),
        });
        return onDisk(dir, { cert: c.certPem, key: c.keyPem });
      },
      path: 'tls_config.certificate_path',
      message: /not valid before/,
    },
    {
      name: 'a key that does not match the certificate',
      tls: async (dir) => {
        const [c, other] = await Promise.all([makeCert(), makeCert()]);
        return onDisk(dir, { cert: c.certPem, key: other.keyPem });
      },
      path: 'tls_config.private_key_path',
      message: /does not match the certificate/,
    },
    {
      name: 'a truncated certificate file',
      tls: async (dir) => {
        const c = await makeCert({ key: { kind: 'rsa', bits: 2048 } });
        return onDisk(dir, { cert: c.certPem.slice(0, Math.floor(c.certPem.length / 2)), key: c.keyPem });
      },
      path: 'tls_config.certificate_path',
      message: /truncated/,
    },
    {
      name: 'a chain whose second block did not issue the leaf',
      tls: async () => {
        const [ca, stranger] = await Promise.all([makeCert({ isCa: true }), makeCert({ isCa: true })]);
        const leaf = await makeCert({ issuer: ca });
        return { certificate_pem: leaf.certPem + stranger.certPem, private_key_pem: leaf.keyPem };
      },
      path: 'tls_config.certificate_pem',
      message: /block 2 did not issue block 1/,
    },
    {
      name: 'a CA file that is not a CA certificate',
      tls: async (dir) => {
        const [c, notCa] = await Promise.all([makeCert(), makeCert()]);
        return onDisk(dir, { cert: c.certPem, key: c.keyPem, ca: notCa.certPem });
      },
      path: 'tls_config.ca_cert_path',
      message: /not a CA certificate/,
    },
  ];
  for (const r of rejected) {
    it(`rejects ${r.name} at ${r.path}, writing nothing`, async () => {
      const { config, certDir } = await setup();
      const prepared = await prepareGeneration(specOf(config, await r.tls(certDir)), config, new Date());
      assert.equal(prepared.ok, false);
      if (prepared.ok) return;
      assert.equal(prepared.stage, 'tls');
      const hit = prepared.problems.find((p) => p.path === r.path && r.message.test(p.message));
      assert.ok(hit, JSON.stringify(prepared.problems));
      assert.deepEqual(await inlineFiles(certDir), []);
      if (r.path.endsWith('_path')) assert.match(hit.message, /^file \//);
    });
  }
});

describe('what Envoy is given', () => {
  it('path sources become agent copies (key 0600, certificates 0644); Envoy config never names the operator files', async () => {
    const { config, certDir } = await setup();
    const [ca, leafCa] = await Promise.all([
      makeCert({ isCa: true, commonName: 'clients' }),
      makeCert({ isCa: true }),
    ]);
    const leaf = await makeCert({ issuer: leafCa, dnsNames: ['lb.example'] });
    const tls = await onDisk(certDir, {
      cert: leaf.certPem + leafCa.certPem,
      key: leaf.keyPem,
      ca: ca.certPem,
    });
    const prepared = await prepareGeneration(specOf(config, tls), config, new Date());
    assert.ok(prepared.ok, JSON.stringify(prepared));

    const certFiles = prepared.generation.files.filter((f) => f.role === 'certificate');
    assert.equal(certFiles.length, 3);
    for (const f of certFiles)
      assert.match(f.path, new RegExp(`^${certDir}/inline-[0-9a-f]{16}\\.(crt|key|ca)\\.pem$`));
    // One SDS file per secret (certificate, client CA): Envoy's SDS takes exactly one secret per response.
    const sdsFiles = prepared.generation.files.filter((f) => f.role === 'secrets');
    assert.deepEqual(sdsFiles.map((f) => basename(f.path)).sort(), [
      'lb-lb-test-ca.yaml',
      'lb-lb-test-cert.yaml',
    ]);
    const listeners = prepared.generation.files.find((f) => f.role === 'listeners')?.content ?? '';
    for (const operatorFile of Object.values(tls)) {
      for (const f of prepared.generation.files)
        assert.ok(!f.content.includes(operatorFile), `${f.path} names ${operatorFile}`);
    }

    // Staged by prepare (envoy --mode validate reads them), then installed by the applier: same modes.
    const byRole = (suffix: string) => certFiles.find((f) => f.path.endsWith(suffix))?.path ?? '';
    const check = async () => {
      assert.equal(await modeOf(byRole('.key.pem')), 0o600);
      assert.equal(await modeOf(byRole('.crt.pem')), 0o644);
      assert.equal(await modeOf(byRole('.ca.pem')), 0o644);
      assert.equal(await readFile(byRole('.key.pem'), 'utf8'), leaf.keyPem);
      assert.equal(await readFile(byRole('.crt.pem'), 'utf8'), leaf.certPem + leafCa.certPem);
      assert.equal(await readFile(byRole('.ca.pem'), 'utf8'), ca.certPem);
    };
    await check();
    const applier = new FileApplier({ stateDir: config.stateDir });
    await applier.recover();
    const outcome = await applier.apply(prepared.generation, 'tx-1');
    assert.ok(outcome.ok);
    await check();

    // mTLS: the CA turns on required client certificates, trusted from the agent's copy.
    type Sds = {
      resources: {
        name: string;
        validation_context?: { trusted_ca: { filename: string } };
        tls_certificate?: { certificate_chain: { filename: string }; private_key: { filename: string } };
      }[];
    };
    const docs = sdsFiles.map((f) => parse(f.content) as Sds);
    for (const d of docs) assert.equal(d.resources.length, 1);
    const sds = { resources: docs.flatMap((d) => d.resources) };
    const caSecret = sds.resources.find((r) => r.validation_context !== undefined);
    assert.equal(caSecret?.validation_context?.trusted_ca.filename, byRole('.ca.pem'));
    const certSecret = sds.resources.find((r) => r.tls_certificate !== undefined);
    assert.equal(certSecret?.tls_certificate?.private_key.filename, byRole('.key.pem'));
    assert.match(listeners, /require_client_certificate: true/);
    assert.match(listeners, /validation_context_sds_secret_config:/);

    // The rendered SDS and listener documents pass the strict schema check.
    const checker = getSchemaChecker();
    for (const d of docs) assert.deepEqual(checker.checkDiscoveryResponse(d), []);
    assert.deepEqual(checker.checkDiscoveryResponse(parse(listeners)), []);
  });

  it('a renewed certificate changes the secret and certificate files, not the listener resources', async () => {
    const { config, certDir } = await setup();
    const first = await makeCert();
    const tls = await onDisk(certDir, { cert: first.certPem, key: first.keyPem });
    const a = await prepareGeneration(specOf(config, tls), config, new Date());
    const renewed = await makeCert();
    await onDisk(certDir, { cert: renewed.certPem, key: renewed.keyPem });
    const b = await prepareGeneration(specOf(config, tls), config, new Date());
    assert.ok(a.ok && b.ok);
    assert.notEqual(a.generation.hash, b.generation.hash);
    const content = (g: typeof a, role: string) =>
      g.generation.files.find((f) => f.role === role)?.content ?? '';
    assert.notEqual(content(a, 'secrets'), content(b, 'secrets'));
    assert.equal(content(a, 'bootstrap'), content(b, 'bootstrap'), 'bootstrap unchanged: no hot restart');
    assert.equal(
      content(a, 'clusters').replaceAll(a.generation.hash, 'H'),
      content(b, 'clusters').replaceAll(b.generation.hash, 'H'),
    );
    // The listener documents differ only in version_info (the generation hash); the listeners themselves match.
    const resources = (g: typeof a) => (parse(content(g, 'listeners')) as { resources: unknown[] }).resources;
    assert.deepEqual(resources(a), resources(b));
  });

  it('a bad replacement of an accepted file says so, naming the file', async () => {
    const { config, certDir } = await setup();
    const good = await makeCert();
    const tls = await onDisk(certDir, { cert: good.certPem, key: good.keyPem });
    const memory = new AcceptedTlsFiles();
    const first = await prepareGeneration(specOf(config, tls), config, new Date(), {
      acceptedTlsFiles: memory,
    });
    assert.ok(first.ok);
    await writeFile(tls.certificate_path ?? '', good.certPem.slice(0, 100));
    const second = await prepareGeneration(specOf(config, tls), config, new Date(), {
      acceptedTlsFiles: memory,
    });
    assert.equal(second.ok, false);
    if (second.ok) return;
    assert.equal(second.problems[0]?.path, 'tls_config.certificate_path');
    assert.match(
      second.problems[0]?.message ?? '',
      new RegExp(`^the certificate file ${tls.certificate_path} was replaced with something unusable`),
    );
    for (const p of second.problems) assert.ok(!p.message.includes('PRIVATE KEY'), p.message);
    // A file that was never accepted is not called a replacement.
    const fresh = await prepareGeneration(specOf(config, tls), config, new Date());
    assert.ok(!fresh.ok && fresh.problems.every((p) => !p.message.includes('replaced')));
  });
});
