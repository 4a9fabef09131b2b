// The double follows the binary, part two: file-watch semantics and how each kind of bad xDS file is counted
// (with --reject-unknown-dynamic-fields, as the agent runs Envoy), and the command line: exit codes and the
// wording of --version, --hot-restart-version, argument errors, --mode validate and config errors.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  bootstrapYaml,
  cdsYaml,
  ENVOY_DOUBLE,
  killAll,
  makeSandbox,
  type Sandbox,
  waitFor,
} from '../../doubles/envoy/harness.ts';
import { realEnvoyBinary } from '../../helpers/real-envoy.ts';
import { FIXTURES, removeDir, type ServingEnvoy, startEnvoy, tempDir, waitLive } from './validate-helpers.ts';

type Which = 'real' | 'double';
const WHICH: readonly Which[] = ['real', 'double'];
const binaryOf = (w: Which): string => (w === 'real' ? realEnvoyBinary() : ENVOY_DOUBLE);

let root = '';
let sandbox: Sandbox;
const envoys = new Map<Which, ServingEnvoy>();
const xdsDir = (w: Which): string => join(root, w, 'xds');

before(async () => {
  root = await tempDir('real-envoy-conformance-cli-');
  sandbox = makeSandbox('conformance-cli-double-');
  await Promise.all(
    WHICH.map(async (w) => {
      await mkdir(xdsDir(w), { recursive: true });
      const cds = join(xdsDir(w), 'cds.yaml');
      await writeFile(cds, cdsYaml('v1', { a: [9001] }));
      await writeFile(join(xdsDir(w), 'other'), 'a');
      await writeFile(join(root, w, 'bootstrap.yaml'), bootstrapYaml({ cds, watchedDir: xdsDir(w) }));
      const envoy = await startEnvoy(join(root, w, 'bootstrap.yaml'), join(root, w), {
        binary: binaryOf(w),
        env: w === 'double' ? sandbox.env : {},
        args: ['--reject-unknown-dynamic-fields'],
      });
      envoys.set(w, envoy);
      await waitLive(envoy);
    }),
  );
});
after(async () => {
  await Promise.all([...envoys.values()].map((e) => e.stop()));
  killAll();
  sandbox?.cleanup();
  await removeDir(root);
});

const CDS = 'cluster_manager.cds';
const counters = async (w: Which): Promise<Map<string, number>> =>
  (envoys.get(w) as ServingEnvoy).admin.statsFiltered(`^${CDS}\\.update_`);

/** Applies `change` on both and waits (bounded) until each has read the file, or `quiet` ms without a read. */
async function onBoth(
  change: (w: Which) => Promise<void>,
  expectRead = true,
): Promise<Record<Which, string>> {
  const out = {} as Record<Which, string>;
  await Promise.all(
    WHICH.map(async (w) => {
      const before = await counters(w);
      await change(w);
      const attempts = before.get(`${CDS}.update_attempt`) ?? 0;
      let after = before;
      if (expectRead) {
        after = await waitFor(`${w}: the file read`, async () => {
          const s = await counters(w);
          return (s.get(`${CDS}.update_attempt`) ?? 0) > attempts ? s : undefined;
        });
      } else {
        // Nothing to wait for: a second look after both had time to react.
        await new Promise((r) => setTimeout(r, 1500));
        after = await counters(w);
      }
      const d = (k: string) => (after.get(`${CDS}.${k}`) ?? 0) - (before.get(`${CDS}.${k}`) ?? 0);
      out[w] =
        `attempt ${d('update_attempt')} success ${d('update_success')} rejected ${d('update_rejected')} failure ${d('update_failure')}`;
    }),
  );
  return out;
}

const moveOnto = (text: string) => async (w: Which) => {
  const tmp = join(root, w, 'next.yaml');
  await writeFile(tmp, text);
  await rename(tmp, join(xdsDir(w), 'cds.yaml'));
};
const cluster = (extra: string, connectTimeout = '1s') =>
  `version_info: x\nresources:\n- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster\n  name: c\n  connect_timeout: ${connectTimeout}\n${extra}`;

describe('file-based xDS: what triggers a read and how a bad file counts', () => {
  test('a write in place is not seen (no IN_MOVED_TO)', async () => {
    const r = await onBoth(
      (w) => writeFile(join(xdsDir(w), 'cds.yaml'), cdsYaml('v2', { a: [9002] })),
      false,
    );
    assert.equal(r.real, 'attempt 0 success 0 rejected 0 failure 0');
    assert.equal(r.double, r.real);
  });

  test('a rename of another file over an existing name in the watched directory reloads', async () => {
    const r = await onBoth(async (w) => {
      await writeFile(join(xdsDir(w), 'tmp'), 'b');
      await rename(join(xdsDir(w), 'tmp'), join(xdsDir(w), 'other'));
    });
    assert.equal(r.real, 'attempt 1 success 1 rejected 0 failure 0');
    assert.equal(r.double, r.real);
  });

  test('real Envoy: a move onto a new name reloads too (the double can miss it: fs.watch, see its README)', async () => {
    const e = envoys.get('real') as ServingEnvoy;
    const before = (await counters('real')).get(`${CDS}.update_attempt`) ?? 0;
    await writeFile(join(root, 'real', 'outside'), 'c');
    await rename(join(root, 'real', 'outside'), join(xdsDir('real'), `new-${Date.now()}`));
    await waitFor('a read after the move', async () => {
      const s = await e.admin.statsFiltered(`^${CDS}\\.update_attempt$`);
      return (s.get(`${CDS}.update_attempt`) ?? 0) > before ? true : undefined;
    });
  });

  const CASES: Record<string, string> = {
    good: cluster(''),
    'YAML syntax error': 'resources: [\n',
    'duration without unit': cluster('', '5'),
    'word for a boolean': cluster('  respect_dns_ttl: maybe\n'),
    'number for a string': cluster('  alt_stat_name: 12\n'),
    'resources not a list': 'resources: 5\n',
    'unknown field (rejected with the flag)': cluster('  lb_polcy: RANDOM\n'),
    'unknown enum name (rejected with the flag)': cluster('  lb_policy: ROUND_ROBBIN\n'),
    'undefined enum number': cluster('  lb_policy: 42\n'),
    'connect_timeout 0s (PGV gt 0)': cluster('', '0s'),
    'empty name': cluster('').replace('name: c', 'name: ""'),
    'good again': cluster('  lb_policy: RANDOM\n'),
  };
  for (const [name, text] of Object.entries(CASES)) {
    test(`moved onto the file: ${name}`, async () => {
      const r = await onBoth(moveOnto(text));
      assert.equal(r.double, r.real, `double: ${r.double}; real: ${r.real}`);
    });
  }
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}
const run = (w: Which, args: readonly string[], cwd = root): Promise<Run> =>
  new Promise((done) => {
    execFile(
      binaryOf(w),
      [...args],
      { cwd, timeout: 30_000, env: { ...process.env, ...(w === 'double' ? sandbox.env : {}) } },
      (err, stdout, stderr) => {
        done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
      },
    );
  });

/** The first line of interest, with what differs by nature (time, pid, source location, paths) taken out. */
const gist = (text: string, w: Which): string =>
  (text.split('\n').find((l) => /critical|PARSE ERROR|version|^\d|^disabled|^error|OK$/.test(l)) ?? '')
    .replaceAll(binaryOf(w), '<envoy>')
    .replace(/^\[[^\]]+\]\[\d+\]\[(\w+)\]\[(\w+)\] \[[^\]]+\] /, '[$1][$2] ')
    .replace(/version: \S+\/(\d+\.\d+\.\d+)\//, 'version: <sha>/$1/');

describe('command line: exit codes and wording', () => {
  const INVALID = join(FIXTURES, 'invalid', '10-port-70000.yaml');
  const cases: Record<string, { args: string[]; stream: 'stdout' | 'stderr' }> = {
    '--version': { args: ['--version'], stream: 'stdout' },
    '--hot-restart-version': { args: ['--hot-restart-version'], stream: 'stderr' },
    '--hot-restart-version --disable-hot-restart': {
      args: ['--hot-restart-version', '--disable-hot-restart'],
      stream: 'stderr',
    },
    'unknown flag': { args: ['--bogus'], stream: 'stderr' },
    'bad value': { args: ['--concurrency', 'x'], stream: 'stderr' },
    'flag given twice': { args: ['--base-id', '1', '--base-id', '2'], stream: 'stderr' },
    'unknown mode': { args: ['--mode', 'bogus', '-c', 'x.yaml'], stream: 'stderr' },
    'validate: accepted': { args: ['--mode', 'validate', '-c', '<bootstrap>'], stream: 'stdout' },
    'validate: refused': { args: ['--mode', 'validate', '-c', INVALID], stream: 'stderr' },
    'validate: no such file': { args: ['--mode', 'validate', '-c', '/nonexistent.yaml'], stream: 'stderr' },
  };
  for (const [name, c] of Object.entries(cases)) {
    test(name, async () => {
      const args = c.args.map((a) => (a === '<bootstrap>' ? join(root, 'real', 'bootstrap.yaml') : a));
      const [real, double] = await Promise.all(WHICH.map((w) => run(w, args)));
      assert.ok(real && double);
      assert.equal(double.code, real.code, `${name}: exit code`);
      const [r, d] = [gist(real[c.stream], 'real'), gist(double[c.stream], 'double')];
      // Envoy's own reasons for refusing a config are its own words; the double says what the checker found.
      const message = name === 'validate: refused' ? /^(.*configuration '[^']+': ).*/ : /^(.*)$/;
      assert.equal(d.replace(message, '$1'), r.replace(message, '$1'), `${name}\nreal:   ${r}\ndouble: ${d}`);
    });
  }

  test('serve: a refused bootstrap exits 1 with the serve-mode wording', async () => {
    const [real, double] = await Promise.all(
      WHICH.map((w) => run(w, ['-c', INVALID, '--disable-hot-restart'])),
    );
    for (const [w, r] of [
      ['real', real],
      ['double', double],
    ] as const) {
      assert.equal(r?.code, 1, w);
      assert.match(r?.stderr ?? '', /\[critical\]\[main\] .*error `[\s\S]*` initializing config '/, w);
    }
  });
});

test('SIGTERM: both exit 0 (last: stops the two serving instances)', async () => {
  const exits = await Promise.all(
    WHICH.map(async (w) => {
      const e = envoys.get(w) as ServingEnvoy;
      process.kill(e.process.pid, 'SIGTERM');
      return e.process.exited;
    }),
  );
  assert.deepEqual(exits, [
    { code: 0, signal: null },
    { code: 0, signal: null },
  ]);
});
