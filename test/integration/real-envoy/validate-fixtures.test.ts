// The shared third-party configs on the real Envoy: every valid Bootstrap passes `envoy --mode validate` (with
// the files its example mounts), every invalid Bootstrap mutant is refused for its own mistake, and where
// Envoy is laxer than the in-product schema checker the case is pinned here (and in docs/architecture.md).
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkEnvoyText } from '../../../src/envoy/schema/index.ts';
import { formatProblem } from '../../../src/util/result.ts';
import { DR, type InvalidCase, invalidCases, sandboxFor, validCases } from './validate-fixtures.ts';
import {
  envoyValidate,
  FIXTURES,
  inPool,
  makeTestCerts,
  removeDir,
  type TestCerts,
  tempDir,
} from './validate-helpers.ts';

let root = '';
let certs: TestCerts;
before(async () => {
  root = await tempDir('real-envoy-fixtures-');
  certs = await makeTestCerts();
});
after(() => removeDir(root));

/** Runs `text` (a fixture or a mutant of `base`) in base's sandbox; the extension tells Envoy the format. */
async function validateIn(base: string, name: string, text?: string) {
  const sandbox = join(root, name.replace(/[^\w.-]/g, '_'));
  await mkdir(sandbox, { recursive: true });
  const config = await sandboxFor(base, sandbox, certs, text);
  const ext = name.endsWith('.json') ? '.json' : '.yaml';
  const file = join(sandbox, `config${ext}`);
  await writeFile(file, config);
  return envoyValidate(file, sandbox);
}

/**
 * Mutants real Envoy 1.40 accepts although the mistake is real; the checker keeps refusing them, and why:
 * tcp_proxy resolves its cluster per connection (an unknown one is a closed connection at run time, not a load
 * error), and a second static listener of the same name is silently dropped (blockUpdate on a static listener).
 */
const ENVOY_ACCEPTS: Readonly<Record<string, string>> = {
  '52-tcp-proxy-cluster-undefined.yaml': 'tcp_proxy cluster is looked up per connection',
  '53-internal-listener-cluster-undefined.yaml': 'tcp_proxy cluster is looked up per connection',
  '55-duplicate-listener-name.yaml': 'the second static listener of a name is ignored',
};

const bootstrapValid = validCases.filter((c) => c.type === undefined);
const bootstrapInvalid = invalidCases.filter((c) => c.type === undefined);

test('every valid third-party Bootstrap passes envoy --mode validate', async () => {
  assert.ok(bootstrapValid.length >= 60, `found ${bootstrapValid.length}`);
  const runs = await inPool(bootstrapValid, 2, async (c) => ({ c, run: await validateIn(c.file, c.file) }));
  const refused = runs.filter((r) => r.run.code !== 0);
  assert.deepEqual(
    refused.map(
      (r) =>
        `${r.c.file}: ${r.run.output
          .split('\n')
          .filter((l) => /critical/.test(l))
          .join(' ')}`,
    ),
    [],
  );
});

describe('invalid Bootstrap mutants', () => {
  test('real Envoy refuses each for its own mistake (not for a missing file of the example)', async () => {
    const refusable = bootstrapInvalid.filter((c) => ENVOY_ACCEPTS[c.file] === undefined);
    assert.equal(refusable.length + Object.keys(ENVOY_ACCEPTS).length, bootstrapInvalid.length);
    assert.ok(refusable.length >= 70, `found ${refusable.length}`);
    const runs = await inPool(refusable, 2, async (c) => ({ c, run: await validateMutant(c) }));
    const accepted = runs.filter((r) => r.run.code === 0).map((r) => r.c.file);
    assert.deepEqual(accepted, [], 'mutants real Envoy accepted');
    for (const { c, run } of runs) {
      assert.equal(run.code, 1, `${c.file}: exit code`);
      // Only the missing-file mutant may fail on a missing file: everything else the sandbox provides.
      if (!c.file.includes('missing')) {
        assert.doesNotMatch(run.output, /does not exist|Invalid path|Failed to load incomplete/, c.file);
      }
      assert.match(
        run.output,
        /error initializing configuration|yaml-cpp|Unable to|Protobuf message/,
        c.file,
      );
    }
  });

  for (const [file, why] of Object.entries(ENVOY_ACCEPTS)) {
    test(`${file}: real Envoy accepts it (${why}); the schema checker refuses it`, async () => {
      const c = bootstrapInvalid.find((x) => x.file === file);
      assert.ok(c, `${file} is in the manifest`);
      const run = await validateMutant(c);
      assert.equal(run.code, 0, run.output.slice(-1500));
      const path = join(FIXTURES, 'invalid', file);
      const problems = checkEnvoyText(await readFile(path, 'utf8'), path);
      assert.ok(problems.length > 0, 'the checker reports the mistake');
      assert.ok(problems.every((p) => formatProblem(p).length > 0));
    });
  }
});

function validateMutant(c: InvalidCase) {
  return readFile(join(FIXTURES, 'invalid', c.file), 'utf8').then((text) => validateIn(c.base, c.file, text));
}

test('validate mode reads no dynamic resource: a broken CDS file passes as long as it exists', async () => {
  // Why the DiscoveryResponse fixtures are tested on a serving Envoy (validate-xds.test.ts) instead.
  const base = 'envoyproxy-examples/dynamic-config-fs/envoy.yaml';
  const broken = invalidCases.find((c) => c.type === DR && c.file.includes('unknown-field'));
  assert.ok(broken);
  const sandbox = join(root, 'validate-reads-no-xds');
  const config = await sandboxFor(base, sandbox, certs);
  await writeFile(
    join(sandbox, 'var/lib/envoy/cds.yaml'),
    await readFile(join(FIXTURES, 'invalid', broken.file)),
  );
  await writeFile(join(sandbox, 'config.yaml'), config);
  const run = await envoyValidate(join(sandbox, 'config.yaml'), sandbox);
  assert.equal(run.code, 0, run.output.slice(-1500));
});
