// Property on the real binary: 200 documents from the spec generators (test/unit/spec/arbitraries.ts), made real
// (certificates that parse and match) and taken through the agent's own path, render to static bootstraps that
// `envoy --mode validate` accepts. Ten specs share one Envoy run (their listeners, clusters and secrets side by
// side; ids and ports distinct), so 200 specs cost 20 runs; a refused batch is re-run spec by spec to name the
// spec Envoy refuses. FC_SEED=<n> replays a run.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { defaultAgentConfig } from '../../../src/config/defaults.ts';
import type { RenderedConfig } from '../../../src/envoy/build/render.ts';
import { toJson } from '../../../src/envoy/build/json.ts';
import { getSchemaChecker } from '../../../src/envoy/schema/index.ts';
import type { StaticBootstrap } from '../../../src/envoy/types/index.ts';
import { writeFileAtomic } from '../../../src/util/atomic.ts';
import { killAll, waitFor } from '../../doubles/envoy/harness.ts';
import { validDocArb } from '../../unit/spec/arbitraries.ts';
import {
  configUnder,
  envoyValidate,
  freePort,
  inPool,
  makeTestCerts,
  onLoopback,
  prepareForReal,
  removeDir,
  startEnvoy,
  type TestCerts,
  tempDir,
  waitLive,
  withRealTls,
  writeRendered,
} from './validate-helpers.ts';

const SPECS = 200;
const PER_RUN = 10;
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

let root = '';
let certs: TestCerts;
before(async () => {
  root = await tempDir('real-envoy-property-');
  certs = await makeTestCerts();
});
after(() => removeDir(root));

interface Item {
  readonly body: Record<string, unknown>;
  readonly id: string;
  readonly port: number;
}

const specOf = (body: Record<string, unknown>): Record<string, unknown> =>
  (typeof body.data === 'object' && body.data !== null ? body.data : body) as Record<string, unknown>;

/** Greedy batches of up to PER_RUN specs whose ids and listener ports differ (names and addresses must not clash). */
function batches(items: readonly Item[]): Item[][] {
  const out: Item[][] = [];
  for (const item of items) {
    const fits = out.find(
      (b) => b.length < PER_RUN && b.every((o) => o.id !== item.id && o.port !== item.port),
    );
    if (fits) fits.push(item);
    else out.push([item]);
  }
  return out;
}

/** One static bootstrap holding every spec's resources; node, admin and overload manager from the first. */
function merged(rendered: readonly RenderedConfig[]): StaticBootstrap {
  const [first] = rendered;
  assert.ok(first);
  const all = rendered.map((r) => r.staticBootstrap.static_resources);
  const secrets = all.flatMap((s) => s.secrets ?? []);
  return {
    ...first.staticBootstrap,
    static_resources: {
      listeners: all.flatMap((s) => s.listeners),
      clusters: all.flatMap((s) => s.clusters),
      ...(secrets.length === 0 ? {} : { secrets }),
    },
  };
}

test(`${SPECS} generated specs render to configs real Envoy accepts (seed ${seed})`, async () => {
  const bodies = fc.sample(validDocArb, { numRuns: SPECS, seed });
  const items = bodies.map(({ body }) => ({
    body,
    id: String(specOf(body).id),
    port: Number(specOf(body).port),
  }));
  const groups = batches(items);
  assert.equal(
    groups.reduce((n, g) => n + g.length, 0),
    SPECS,
  );
  const outcomes = await inPool([...groups.entries()], 2, async ([g, group]) => {
    // Half the runs with the IPv6 listener too: both renderer paths meet Envoy.
    const ipv6 = g % 2 === 1;
    const rendered: RenderedConfig[] = [];
    for (const [i, item] of group.entries()) {
      const dir = join(root, `g${g}-s${i}`);
      const base = defaultAgentConfig();
      const config = configUnder({ ...base, envoy: { ...base.envoy, ipv6 } }, dir, 9901);
      const body = await withRealTls(item.body, certs, config.tls.certDir);
      rendered.push(await prepareForReal(body, config));
    }
    const file = join(root, `g${g}.json`);
    await writeFileAtomic(file, toJson(merged(rendered)));
    const run = await envoyValidate(file);
    if (run.code === 0) return { g, refused: [] as string[] };
    // Name the culprits: each spec of the refused batch on its own.
    const refused: string[] = [];
    for (const [i, r] of rendered.entries()) {
      const single = join(root, `g${g}-s${i}.json`);
      await writeFileAtomic(single, toJson(r.staticBootstrap));
      const alone = await envoyValidate(single);
      if (alone.code !== 0) {
        refused.push(
          `${JSON.stringify(group[i]?.body)}\n→ ${alone.output
            .split('\n')
            .filter((l) => /critical/.test(l))
            .join(' ')}`,
        );
      }
    }
    if (refused.length === 0) refused.push(`batch ${g} refused as a whole only:\n${run.output.slice(-2000)}`);
    return { g, refused };
  });
  const refused = outcomes.flatMap((o) => o.refused);
  assert.deepEqual(refused, [], `seed ${seed}: specs whose rendering real Envoy refused`);
});

describe('health check header values with "%" (found by the property above)', () => {
  const value = '50%ok %% %REQ(x)%';
  const bodyWith = (port: number) => ({
    id: 'pct',
    name: 'pct',
    protocol: 'http',
    port,
    algorithm: 'round_robin',
    backends: [{ id: 'b', address: '10.0.0.1', port: 80 }],
    health_check: {
      type: 'http',
      interval: 2,
      timeout: 1,
      unhealthy_threshold: 2,
      healthy_threshold: 1,
      path: '/health',
      headers: { 'x-pct': value },
    },
  });

  test('unescaped, Envoy and the schema checker refuse it; as rendered, Envoy accepts it', async () => {
    const config = configUnder(defaultAgentConfig(), join(root, 'pct-static'), 9901);
    const rendered = await prepareForReal(bodyWith(8080), config);
    const text = toJson(rendered.staticBootstrap);
    assert.ok(text.includes('50%%ok %%%% %%REQ(x)%%'), 'every % doubled');
    const file = join(root, 'pct-static.json');
    await writeFileAtomic(file, text);
    assert.equal((await envoyValidate(file)).code, 0);

    const unescaped = JSON.parse(JSON.stringify(rendered.staticBootstrap).replaceAll('%%', '%'));
    await writeFileAtomic(file, toJson(unescaped));
    const run = await envoyValidate(file);
    assert.equal(run.code, 1);
    assert.match(run.output, /Couldn't find valid command/);
    const problems = getSchemaChecker().checkBootstrap(unescaped);
    assert.ok(
      problems.some((p) => /starts no formatter command/.test(p.message)),
      JSON.stringify(problems),
    );
  });

  test('the backend receives the value verbatim in the health check request', async () => {
    let seen: string | undefined;
    const backend = createServer((req, res) => {
      seen = String(req.headers['x-pct']);
      res.end('ok');
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const dir = join(root, 'pct-live');
    try {
      const address = backend.address();
      assert.ok(address !== null && typeof address === 'object');
      const config = configUnder(defaultAgentConfig(), dir, await freePort());
      const rendered = onLoopback(await prepareForReal(bodyWith(await freePort()), config), address.port);
      await writeRendered(rendered);
      const envoy = await startEnvoy(rendered.paths.bootstrap, dir);
      try {
        await waitLive(envoy);
        assert.equal(await waitFor('a health check request', () => seen, 20_000), value);
      } finally {
        await envoy.stop();
      }
    } finally {
      backend.close();
      killAll();
    }
  });
});
