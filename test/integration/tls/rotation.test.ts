import { fileVersion } from '../../../src/apply/envoy-applier.ts';
// Certificate rotation against the Envoy double, through the real agent wiring (startAgent) and the Envoy
// applier with the dynamic strategy: on-disk replacement (watched), API change, a broken replacement.
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { EnvoyApplier } from '../../../src/apply/envoy-applier.ts';
import { LocalProcessHost } from '../../../src/envoy/process/host.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import type { ReconcileReport } from '../../../src/reconcile/reconciler.ts';
import { makeCert } from '../../helpers/certs.ts';
import { type Env, cleanup, freePort, lifecycleEnv, readJournal } from '../lifecycle/harness.ts';
import {
  httpsSpec,
  inlineFiles,
  modeOf,
  nextReport,
  quietConfig,
  type RunningAgent,
  runAgent,
  replaceByRename,
} from './helpers.ts';

const envs: Env[] = [];
const running: { agent: RunningAgent; applier: EnvoyApplier }[] = [];
after(async () => {
  for (const r of running) {
    await r.agent.agent.stop().catch(() => undefined);
    await r.applier.close().catch(() => undefined);
  }
  for (const e of envs) await cleanup(e);
});

interface DumpedSecret {
  name: string;
  version_info: string;
  secret: { tls_certificate?: { certificate_chain?: { inline_bytes?: string } } };
}

async function activeSecrets(port: number): Promise<DumpedSecret[]> {
  const res = await fetch(`http://127.0.0.1:${port}/config_dump?resource=dynamic_active_secrets`);
  const body = (await res.json()) as { configs: DumpedSecret[] };
  return body.configs;
}

/** From the double's /server_info, read directly (as an operator would with curl). */
async function restartEpoch(port: number): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/server_info`);
  const info = (await res.json()) as { command_line_options?: { restart_epoch?: number } };
  return info.command_line_options?.restart_epoch;
}

/** Reads secrets.yaml over and over until stopped; every read must be a whole document. */
function tornReader(path: string): { stop(): Promise<{ reads: number; torn: string[] }> } {
  let stopped = false;
  const torn: string[] = [];
  let reads = 0;
  const loop = (async () => {
    for (let i = 0; i < 100_000 && !stopped; i++) {
      const text = await readFile(path, 'utf8');
      reads++;
      try {
        const doc = parse(text) as { version_info?: unknown; resources?: unknown[] };
        if (typeof doc.version_info !== 'string' || !Array.isArray(doc.resources))
          torn.push(text.slice(0, 80));
      } catch {
        torn.push(text.slice(0, 80));
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { reads, torn };
    },
  };
}

describe('certificate rotation with the Envoy double (dynamic strategy)', () => {
  it('rotates by file replacement and by API without a new epoch; a broken replacement keeps the last good secret', async () => {
    const t = await lifecycleEnv('dynamic');
    envs.push(t);
    const config = quietConfig(t.config, await freePort());
    const admin = config.envoy.adminAddress;
    const certDir = config.tls.certDir;
    const secretsPath = join(config.envoy.configPath, 'secrets', 'lb-lb-test-cert.yaml');
    const listenersPath = join(config.envoy.configPath, 'listeners.yaml');
    const certPath = join(certDir, 'site', 'tls.crt');
    const keyPath = join(certDir, 'site', 'tls.key');

    const first = await makeCert({ dnsNames: ['lb.example'] });
    await replaceByRename(certPath, first.certPem, 0o644);
    await replaceByRename(keyPath, first.keyPem);
    await t.writeSpec(httpsSpec({ certificate_path: certPath, private_key_path: keyPath }));

    const applier = new EnvoyApplier({
      config,
      host: new LocalProcessHost({ logDir: join(t.root, 'envoy-logs') }),
      logger: silentLogger,
      env: t.envoyEnv,
      backoff: { initialMs: 100, maxMs: 400 },
    });
    const ra = await runAgent(config, applier, t.events);
    running.push({ agent: ra, applier });
    const { agent, events } = ra;

    const started = await nextReport(agent, undefined, 'first apply', (r) => r.result !== 'unchanged');
    assert.equal(started.result, 'applied', started.error);
    const pid = applier.envoyStatus().pid;
    const listenerResources = (parse(await readFile(listenersPath, 'utf8')) as { resources: unknown })
      .resources;
    const certSecretName = 'lb-lb-test-cert';
    const secretOf = async () => (await activeSecrets(admin.port)).find((s) => s.name === certSecretName);
    // The secret's version is that of its own SDS file.
    const secretFileVersion = async () => fileVersion(await readFile(secretsPath, 'utf8'));
    const s0 = await secretOf();
    assert.equal(s0?.version_info, await secretFileVersion());
    const files0 = await inlineFiles(certDir);
    assert.equal(files0.length, 2);

    const noNewEpoch = async (what: string) => {
      const journal = await readJournal(t.journal);
      assert.deepEqual(
        journal.filter((l) => l.event === 'started').map((l) => l.epoch),
        [0],
        `${what}: a new Envoy epoch started`,
      );
      assert.equal(await restartEpoch(admin.port), 0);
      assert.equal(applier.envoyStatus().pid, pid);
      assert.deepEqual(
        (parse(await readFile(listenersPath, 'utf8')) as { resources: unknown }).resources,
        listenerResources,
        `${what}: the listeners changed`,
      );
    };
    const expectRotated = async (report: ReconcileReport, certPem: string, what: string) => {
      assert.equal(report.result, 'applied', report.error);
      await noNewEpoch(what);
      const secret = await secretOf();
      assert.equal(
        secret?.version_info,
        await secretFileVersion(),
        `${what}: config_dump shows the new secret version`,
      );
      assert.notEqual(secret?.version_info, s0?.version_info, `${what}: a new secret version`);
      // As real Envoy dumps a loaded SDS secret: the certificate it read, as inline_bytes.
      const chain = secret?.secret.tls_certificate?.certificate_chain?.inline_bytes ?? '';
      assert.equal(Buffer.from(chain, 'base64').toString('utf8'), certPem);
      const secretsFile = await readFile(secretsPath, 'utf8');
      assert.match(secretsFile, new RegExp(`filename: "${certDir}/inline-[0-9a-f]{16}\\.crt\\.pem"`));
      const files = await inlineFiles(certDir);
      assert.equal(files.length, 2, `${what}: only the committed copies remain (${files.join(', ')})`);
      for (const f of files)
        assert.equal(await modeOf(join(certDir, f)), f.endsWith('.key.pem') ? 0o600 : 0o644);
    };

    // 1. On-disk replacement (rename over the operator's paths): the watch reconciles.
    const inode0 = (await stat(secretsPath)).ino;
    const reader1 = tornReader(secretsPath);
    const second = await makeCert({ dnsNames: ['lb.example'] });
    await replaceByRename(certPath, second.certPem, 0o644);
    await replaceByRename(keyPath, second.keyPem);
    const r1 = await nextReport(agent, started, 'file rotation', (r) => r.hash !== started.hash);
    const read1 = await reader1.stop();
    assert.equal(r1.trigger, 'certificate-changed');
    await expectRotated(r1, second.certPem, 'file rotation');
    assert.notEqual((await stat(secretsPath)).ino, inode0, 'secrets.yaml replaced by rename');
    assert.deepEqual(read1.torn, [], `torn secrets.yaml reads out of ${read1.reads}`);
    for (const f of files0) assert.ok(!(await inlineFiles(certDir)).includes(f), `${f} removed after commit`);

    // 2. A broken replacement: rejected at tls, the last good secret keeps serving.
    const inode1 = (await stat(secretsPath)).ino;
    const secretBefore = await secretOf();
    await replaceByRename(certPath, second.certPem.slice(0, second.certPem.length - 40), 0o644);
    const r2 = await nextReport(agent, r1, 'broken rotation rejected', (r) => r.result === 'rejected');
    assert.equal(r2.trigger, 'certificate-changed');
    assert.equal(r2.error, 'spec rejected at tls');
    const rejectedEvent = events.filter((e) => e.type === 'config_rejected').at(-1);
    assert.ok(rejectedEvent);
    assert.match(
      rejectedEvent.message,
      new RegExp(
        `tls_config\\.certificate_path: the certificate file ${certPath} was replaced with something unusable`,
      ),
    );
    assert.ok(!rejectedEvent.message.includes('PRIVATE KEY'));
    assert.ok(
      ((rejectedEvent.metadata?.problems ?? []) as string[]).some((p) =>
        p.startsWith('tls_config.certificate_path: '),
      ),
    );
    assert.equal(applier.committedHash(), r1.hash);
    assert.deepEqual(await secretOf(), secretBefore);
    assert.equal((await stat(secretsPath)).ino, inode1, 'secrets.yaml untouched');
    await noNewEpoch('broken rotation');

    // 3. Rotation by API: inline PEM in the spec.
    const reader3 = tornReader(secretsPath);
    const third = await makeCert({ key: { kind: 'rsa', bits: 2048 }, dnsNames: ['lb.example'] });
    await replaceByRename(
      config.source.path ?? '',
      JSON.stringify(httpsSpec({ certificate_pem: third.certPem, private_key_pem: third.keyPem })),
      0o644,
    );
    const r3 = await nextReport(agent, r2, 'API rotation', (r) => r.result === 'applied');
    const read3 = await reader3.stop();
    await expectRotated(r3, third.certPem, 'API rotation');
    assert.notEqual((await stat(secretsPath)).ino, inode1);
    assert.deepEqual(read3.torn, []);
    // The operator's files are never removed, broken or not.
    assert.ok((await stat(certPath)).isFile() && (await stat(keyPath)).isFile());
    assert.equal(
      events.filter((e) => e.type === 'reload_failed' || e.type === 'rollback').length,
      0,
      JSON.stringify(events),
    );
  });
});
