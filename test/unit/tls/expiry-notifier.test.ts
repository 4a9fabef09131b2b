import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { CertificateInfo } from '../../../src/tls/check.ts';
import { EXPIRY_STATE_FILE, ExpiryNotifier } from '../../../src/tls/expiry-notifier.ts';

const DAY = 86_400_000;
const roots: string[] = [];
after(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

function info(fingerprint: string, notAfter: Date): CertificateInfo {
  return {
    subject: `CN=${fingerprint}.example`,
    issuer: 'CN=ca',
    notBefore: new Date(notAfter.getTime() - 90 * DAY),
    notAfter,
    serialNumber: '01',
    fingerprint256: fingerprint,
    keyType: 'ec',
    dnsNames: [],
    ipAddresses: [],
    chainLength: 1,
  };
}

async function notifier() {
  const stateDir = await mkdtemp(join(tmpdir(), 'expiry-'));
  roots.push(stateDir);
  const events: { message: string; metadata: Record<string, unknown> }[] = [];
  const make = () =>
    new ExpiryNotifier({
      stateDir,
      emit: async (message, metadata) => void events.push({ message, metadata }),
    });
  return { stateDir, events, make };
}

describe('ExpiryNotifier', () => {
  it('emits at 30, 14, 7 and 1 days, each once, and not again after a restart', async () => {
    const { events, make } = await notifier();
    const notAfter = new Date(Date.UTC(2030, 0, 31));
    const cert = info('AA:01', notAfter);
    const at = (daysLeft: number) => new Date(notAfter.getTime() - daysLeft * DAY);
    let n = make();
    assert.deepEqual(await n.check(cert, at(40)), []);
    assert.deepEqual(await n.check(cert, at(29.5)), [30]);
    assert.deepEqual(await n.check(cert, at(29)), []);
    assert.deepEqual(await n.check(cert, at(13)), [14]);
    n = make(); // restart
    assert.deepEqual(await n.check(cert, at(13)), []);
    assert.deepEqual(await n.check(cert, at(6)), [7]);
    n = make();
    assert.deepEqual(await n.check(cert, at(0.5)), [1]);
    assert.deepEqual(await n.check(cert, at(-1)), []);
    assert.deepEqual(
      events.map((e) => e.metadata.threshold_days),
      [30, 14, 7, 1],
    );
    assert.match(events[3]?.message ?? '', /expires on 2030-01-31T00:00:00.000Z \(in less than a day\)/);
  });

  it('a certificate first seen late warns once for the most urgent threshold; a renewed one starts afresh', async () => {
    const { events, make, stateDir } = await notifier();
    const now = new Date(Date.UTC(2030, 5, 1));
    const n = make();
    assert.deepEqual(await n.check(info('BB:01', new Date(now.getTime() + 5 * DAY)), now), [30, 14, 7]);
    assert.equal(events.length, 1);
    assert.equal(events[0]?.metadata.threshold_days, 7);
    assert.deepEqual(await n.check(info('BB:02', new Date(now.getTime() + 20 * DAY)), now), [30]);
    const state = JSON.parse(await readFile(join(stateDir, EXPIRY_STATE_FILE), 'utf8')) as {
      certificates: Record<string, { notified: number[] }>;
    };
    assert.deepEqual(state.certificates['BB:01']?.notified, [30, 14, 7]);
    assert.deepEqual(state.certificates['BB:02']?.notified, [30]);
  });

  it('an event that cannot be queued is retried at the next check; a corrupt state file starts empty', async () => {
    const { stateDir } = await notifier();
    await writeFile(join(stateDir, EXPIRY_STATE_FILE), '{not json');
    let fail = true;
    const emitted: number[] = [];
    const errors: unknown[] = [];
    const n = new ExpiryNotifier({
      stateDir,
      emit: async (_m, metadata) => {
        if (fail) throw new Error('queue full');
        emitted.push(metadata.threshold_days as number);
      },
      onStateError: (err) => errors.push(err),
    });
    const now = new Date(Date.UTC(2030, 5, 1));
    const cert = info('CC:01', new Date(now.getTime() + 10 * DAY));
    await assert.rejects(n.check(cert, now), /queue full/);
    fail = false;
    assert.deepEqual(await n.check(cert, now), [30, 14]);
    assert.deepEqual(emitted, [14]);
    assert.equal(errors.length, 1);
  });
});
