import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HoldStore, readHold } from '../../../src/apply/hold.ts';
import { sendControl } from '../../../src/control/client.ts';
import { parseControlRequest } from '../../../src/control/protocol.ts';
import { startControlServer } from '../../../src/control/server.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import { serial } from '../../../src/util/serial.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const tempDir = async () => {
  const d = await mkdtemp(join(tmpdir(), 'vpsie-lb-control-'));
  dirs.push(d);
  return d;
};

describe('control channel', () => {
  it('parses only the two operations, with a positive integer generation', () => {
    assert.deepEqual(parseControlRequest('{"op":"rollback"}'), { op: 'rollback' });
    assert.deepEqual(parseControlRequest('{"op":"rollback","to":3}'), { op: 'rollback', to: 3 });
    assert.deepEqual(parseControlRequest('{"op":"release"}'), { op: 'release' });
    assert.equal(parseControlRequest('{"op":"rollback","to":-1}'), 'rollback: to must be a positive integer');
    assert.equal(parseControlRequest('{"op":"shutdown"}'), 'unknown op "shutdown"');
    assert.equal(parseControlRequest('nope'), 'request is not JSON');
  });

  it('a socket 0660 that answers one request, refuses garbage and oversized input, and is removed on close', async () => {
    const dir = await tempDir();
    const path = join(dir, 'control.sock');
    const seen: unknown[] = [];
    const server = await startControlServer(
      path,
      async (r) => {
        seen.push(r);
        return { ok: true, message: `did ${r.op}` };
      },
      silentLogger,
    );
    assert.equal((await stat(path)).mode & 0o777, 0o660);
    assert.deepEqual(await sendControl(path, { op: 'rollback', to: 2 }, 5_000), {
      ok: true,
      message: 'did rollback',
    });
    assert.deepEqual(seen, [{ op: 'rollback', to: 2 }]);
    await server.close();
    await assert.rejects(
      sendControl(path, { op: 'release' }, 5_000),
      /no agent is running with this state_dir/,
    );
  });

  it('the hold survives a new store (restart) and a damaged file reads as none', async () => {
    const dir = await tempDir();
    const store = new HoldStore(dir);
    const hold = {
      since: '2026-01-01T00:00:00.000Z',
      fromHash: 'b'.repeat(64),
      toHash: 'a'.repeat(64),
      generation: 2,
      transactionId: 't',
    };
    await store.set(hold);
    assert.deepEqual(await new HoldStore(dir).load(), hold);
    assert.equal((await stat(join(dir, 'hold.json'))).mode & 0o777, 0o640);
    await store.clear();
    assert.equal(await new HoldStore(dir).load(), undefined);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'hold.json'), '{"fromHash": 1');
    assert.equal(await readHold(join(dir, 'hold.json')), undefined);
  });

  it('serial runs one function at a time, in order, past failures', async () => {
    const run = serial();
    const order: string[] = [];
    const slow = run(async () => {
      await new Promise((r) => setTimeout(r, 30));
      order.push('slow');
    });
    const failing = run(async () => {
      order.push('failing');
      throw new Error('x');
    });
    const last = run(async () => order.push('last'));
    await slow;
    await assert.rejects(failing);
    await last;
    assert.deepEqual(order, ['slow', 'failing', 'last']);
  });
});
