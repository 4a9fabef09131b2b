// Certificates of a VPSie-form document through the real pipeline: one per domain (inline or the files named by
// its domainId), each read and checked once, problems at the domain's tls path naming the file, every certificate
// listed by its domain, one SDS secret file each.
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseWith } from '../../../src/agent.ts';
import { prepareGeneration } from '../../../src/pipeline.ts';
import { tempAgentConfig } from '../../helpers/agent-config.ts';
import { makeCert } from '../../helpers/certs.ts';

const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

async function setup() {
  const { config, root } = await tempAgentConfig();
  roots.push(root);
  await mkdir(config.tls.certDir, { recursive: true });
  const shop = await makeCert({ commonName: 'shop.example.com', dnsNames: ['shop.example.com'] });
  const api = await makeCert({ commonName: 'api.example.com', dnsNames: ['api.example.com'] });
  const doc = {
    identifier: 'lb-c',
    lbName: 'certs',
    rules: [
      {
        ruleId: 'tls',
        scheme: 'https',
        frontPort: 8443,
        backPort: 80,
        domains: [
          {
            domainId: 'shop',
            domainName: 'shop.example.com',
            tls: { certificate_pem: shop.certPem, private_key_pem: shop.keyPem },
            backends: [{ ip: '10.0.0.1', identifier: 'vm1' }],
          },
          {
            domainId: 'api',
            domainName: 'api.example.com',
            backends: [{ ip: '10.0.0.2', identifier: 'vm2' }],
          },
        ],
      },
    ],
  };
  const prepare = async () => {
    const parsed = parseWith(config)(JSON.stringify(doc));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return prepareGeneration(parsed.spec, config, new Date());
  };
  return { config, api, prepare };
}

describe('VPSie-form certificates through the pipeline', () => {
  it('a domain without tls and without its files is invalid at its tls path, naming the file', async () => {
    const { config, prepare } = await setup();
    const r = await prepare();
    assert.ok(!r.ok);
    assert.equal(r.stage, 'tls');
    const file = join(config.tls.certDir, 'api.crt');
    const p = r.problems.find((x) => x.path === 'rules[0].domains[1].tls.certificate_path');
    assert.ok(p, JSON.stringify(r.problems));
    assert.ok(p.message.includes(file), p.message);
    assert.ok(r.problems.some((x) => x.path === 'rules[0].domains[1].tls.private_key_path'));
    assert.ok(!r.problems.some((x) => x.path.startsWith('rules[0].domains[0]')), 'the good domain is fine');
  });

  it('a key that does not match its certificate is reported at that domain', async () => {
    const { config, api, prepare } = await setup();
    const other = await makeCert({ commonName: 'other' });
    await writeFile(join(config.tls.certDir, 'api.crt'), api.certPem);
    await writeFile(join(config.tls.certDir, 'api.key'), other.keyPem, { mode: 0o600 });
    const r = await prepare();
    assert.ok(!r.ok);
    assert.ok(
      r.problems.every((p) => p.path.startsWith('rules[0].domains[1].tls.')),
      JSON.stringify(r.problems),
    );
  });

  it('both present: every certificate by domain, one SDS secret file each, Envoy reads only agent copies', async () => {
    const { config, api, prepare } = await setup();
    await writeFile(join(config.tls.certDir, 'api.crt'), api.certPem);
    await writeFile(join(config.tls.certDir, 'api.key'), api.keyPem, { mode: 0o600 });
    const r = await prepare();
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.deepEqual(
      r.certificates.map((c) => [c.label, c.info.subject]),
      [
        ['api.example.com', 'CN=api.example.com'],
        ['shop.example.com', 'CN=shop.example.com'],
      ],
    );
    assert.deepEqual(
      r.rendered.secrets.map((s) => s.name),
      ['lb-lb-c|tls|api|cert', 'lb-lb-c|tls|shop|cert'],
    );
    for (const s of r.rendered.secrets) {
      const secret = s.document.resources[0];
      assert.ok(secret !== undefined && 'tls_certificate' in secret);
      assert.match(secret.tls_certificate.certificate_chain.filename, /\/inline-[0-9a-f]{16}\.crt\.pem$/);
    }
  });
});
