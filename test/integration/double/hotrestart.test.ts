import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAdminClient } from '../../../src/envoy/admin/client.ts';
import {
  adminPortFrom,
  bootstrapYaml,
  ENVOY_DOUBLE,
  journalEvents,
  killAll,
  makeSandbox,
  type Running,
  type Sandbox,
  spawnDouble,
  waitFor,
  withDeadline,
} from '../../doubles/envoy/harness.ts';

describe('envoy double: hot restart', { concurrency: true }, () => {
  let sb: Sandbox;
  let boot: string;
  const intermediates: number[] = [];
  before(() => {
    sb = makeSandbox();
    boot = join(sb.dir, 'bootstrap.yaml');
    writeFileSync(boot, bootstrapYaml());
  });
  after(() => {
    killAll();
    for (const pid of intermediates) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    sb.cleanup();
  });

  const epoch = (
    baseId: number,
    n: number,
    extra: string[] = [],
    env: Record<string, string> = {},
  ): { d: Running; addr: string } => {
    const addr = join(sb.dir, `admin-${baseId}-${n}-${Math.random().toString(36).slice(2)}`);
    const args = [
      '-c',
      boot,
      '--base-id',
      String(baseId),
      '--restart-epoch',
      String(n),
      '--drain-time-s',
      '1',
    ];
    // A flag given twice is an argument error (as in Envoy): `extra` may bring its own shutdown time.
    const shutdown = extra.includes('--parent-shutdown-time-s') ? [] : ['--parent-shutdown-time-s', '2'];
    const d = spawnDouble([...args, ...shutdown, '--admin-address-path', addr, ...extra], {
      ...sb.env,
      ...env,
    });
    return { d, addr };
  };
  const live = async (addr: string): Promise<number> => {
    const port = await adminPortFrom(addr);
    const admin = createAdminClient({ host: '127.0.0.1', port, timeoutMs: 10_000 });
    await waitFor('LIVE', async () => ((await admin.ready()).live ? true : undefined));
    return port;
  };
  const flagPath = (baseId: number): string =>
    join(sb.shmDir, `envoy_double_shared_memory_${baseId * 10}`, 'initializing');

  it('0 → 1 → 2: admin handover, parent drains, parent exits 0 after parent-shutdown-time', async () => {
    const e0 = epoch(21, 0);
    const port0 = await live(e0.addr);
    const e1 = epoch(21, 1);
    const port1 = await live(e1.addr);
    const info = await createAdminClient({ host: '127.0.0.1', port: port1 }).serverInfo();
    assert.equal(info.restartEpoch, 1);
    assert.ok(info.uptimeAllEpochsS >= info.uptimeCurrentEpochS);
    await assert.rejects(
      createAdminClient({ host: '127.0.0.1', port: port0, timeoutMs: 5000 }).ready(),
      /connect/,
    );
    assert.deepEqual(await withDeadline(e0.d.exited, 30_000, 'epoch 0 to exit'), { code: 0, signal: null });
    const ev0 = journalEvents(sb.journal)
      .filter((e) => e.pid === e0.d.pid)
      .map((e) => e.event.split(' ')[0]);
    assert.deepEqual(ev0, ['started', 'admin', 'live', 'admin', 'draining', 'drained', 'terminated']);
    assert.equal(existsSync(flagPath(21)), false, 'INITIALIZING is cleared once LIVE');

    const e2 = epoch(21, 2);
    await live(e2.addr);
    assert.deepEqual(await withDeadline(e1.d.exited, 30_000, 'epoch 1 to exit'), { code: 0, signal: null });
  });

  it('starting N+2 while N still runs terminates N', async () => {
    const e0 = epoch(22, 0);
    await live(e0.addr);
    const slow = ['--parent-shutdown-time-s', '600'];
    const e1 = epoch(22, 1, slow);
    await live(e1.addr);
    assert.equal(e0.d.exit(), undefined, 'epoch 0 is still draining');
    const e2 = epoch(22, 2, slow);
    await live(e2.addr);
    assert.deepEqual(await withDeadline(e0.d.exited, 30_000, 'epoch 0 to exit'), { code: 0, signal: null });
    assert.equal(e1.d.exit(), undefined, 'epoch 1 keeps draining');
    const events = journalEvents(sb.journal).filter((e) => [e0.d.pid, e1.d.pid, e2.d.pid].includes(e.pid));
    const e0Gone = events.findIndex((e) => e.pid === e0.d.pid && e.event.startsWith('terminated'));
    const e2Live = events.findIndex((e) => e.pid === e2.d.pid && e.event === 'live');
    assert.ok(e0Gone >= 0 && e0Gone < e2Live, 'N is gone before N+2 serves');
  });

  it('a skipped epoch retries 10 times, aborts, and leaves INITIALIZING set until an epoch-0 start', async () => {
    const e0 = epoch(23, 0);
    await live(e0.addr);
    const skipped = epoch(23, 2);
    assert.equal((await withDeadline(skipped.d.exited, 30_000, 'abort')).code, 134);
    assert.equal(
      skipped.d.stderr().match(/hot restart sendmsg\(\) connection refused, retrying/g)?.length,
      9,
    );
    assert.ok(existsSync(flagPath(23)));
    const next = epoch(23, 1);
    assert.equal((await withDeadline(next.d.exited, 30_000, 'refusal')).code, 1);
    assert.match(next.d.stderr(), /previous envoy process is still initializing/);
    assert.equal(e0.d.exit(), undefined, 'the serving epoch is unaffected');
  });

  it('two epoch-0 instances with one base id: errno=98, exit 1', async () => {
    const e0 = epoch(24, 0);
    await live(e0.addr);
    const twin = epoch(24, 0);
    assert.equal((await withDeadline(twin.d.exited, 30_000, 'exit')).code, 1);
    assert.match(
      twin.d.stderr(),
      /unable to bind domain socket with base_id=240, id=0, errno=98 \(see --base-id option\)/,
    );
    assert.equal(e0.d.exit(), undefined);
  });

  it('a child dying before LIVE leaves INITIALIZING stuck; a cold epoch-0 start clears it', async () => {
    const e0 = epoch(25, 0);
    await live(e0.addr);
    const doomed = epoch(25, 1, [], { ENVOY_DOUBLE_NEVER_LIVE: '1' });
    await adminPortFrom(doomed.addr);
    process.kill(doomed.d.pid, 'SIGKILL');
    await withDeadline(doomed.d.exited, 30_000, 'kill');
    const retry = epoch(25, 2);
    assert.equal((await withDeadline(retry.d.exited, 30_000, 'refusal')).code, 1);
    assert.match(retry.d.stderr(), /previous envoy process is still initializing/);
    process.kill(e0.d.pid, 'SIGTERM');
    await withDeadline(e0.d.exited, 30_000, 'epoch 0 stop');
    const cold = epoch(25, 0);
    await live(cold.addr);
    const warm = epoch(25, 1);
    await live(warm.addr);
  });

  it('PR_SET_PDEATHSIG: the double exits 0 when the process that spawned it dies', async () => {
    const addr = join(sb.dir, 'admin-pdeath');
    const script = `const { spawn } = require('node:child_process');
      const c = spawn(process.argv[1], process.argv.slice(2), { stdio: 'ignore' });
      process.stdout.write(String(c.pid) + '\\n'); setInterval(() => {}, 1000);`;
    const args = ['-c', boot, '--base-id', '26', '--admin-address-path', addr];
    const mid = spawn(process.execPath, ['-e', script, ENVOY_DOUBLE, ...args], {
      env: { ...process.env, ...sb.env },
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    });
    if (mid.pid === undefined) throw new Error('spawn failed');
    intermediates.push(mid.pid);
    let out = '';
    mid.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const pid = await waitFor('double pid', () =>
      /^(\d+)\n/.exec(out)?.[1] ? Number(/^(\d+)\n/.exec(out)?.[1]) : undefined,
    );
    await live(addr);
    process.kill(mid.pid, 'SIGKILL');
    const line = await waitFor('terminated in the journal', () =>
      journalEvents(sb.journal).find((e) => e.pid === pid && e.event.startsWith('terminated')),
    );
    assert.match(line.event, /PR_SET_PDEATHSIG/);
    await waitFor('process gone', () => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return / Z /.test(stat) ? true : undefined;
      } catch {
        return true;
      }
    });
  });
});
