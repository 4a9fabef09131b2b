// Real Envoy under the agent, for the load and hot-restart tests: an agent config on the pinned binary (its own
// admin port, listener port and base id), loopback backends, and the agent's reconciler driven in-process.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type EnvoyApplier, fileVersion } from '../../../src/apply/envoy-applier.ts';
import type { TransactionLog } from '../../../src/apply/history.ts';
import type { AgentConfig, ApplyStrategy } from '../../../src/config/types.ts';
import { type AdminClient, createAdminClient, dynamicVersions } from '../../../src/envoy/admin/client.ts';
import { xdsFilePaths } from '../../../src/envoy/build/names.ts';
import { LocalProcessHost, type ProcessHost } from '../../../src/envoy/process/host.ts';
import type { Reconciler } from '../../../src/reconcile/reconciler.ts';
import { httpSpec, tempAgentConfig } from '../../helpers/agent-config.ts';
import { realEnvoyBinary } from '../../helpers/real-envoy.ts';
import { eventually, freePort, makeAgentParts, type Recorded } from '../lifecycle/harness.ts';

export { eventually, freePort } from '../lifecycle/harness.ts';

// Distinct from the lifecycle tests' range (1000 + pid%5000*10) and per process, so parallel files never share one.
let nextBaseId = 60_000 + (process.pid % 4000) * 8;

export interface RealEnv {
  config: AgentConfig;
  root: string;
  /** The load balancer's listener port (the spec's `port`). */
  port: number;
  admin: AdminClient;
  events: Recorded[];
  /** Read by prepare at each reconcile: a change here changes the bootstrap (hot restart). */
  bootstrap: { maxConnections: number };
  writeSpec(spec: unknown): Promise<void>;
  /** A fresh applier + reconciler on the same state, as after an agent restart. */
  make(options?: { host?: ProcessHost; hook?: (step: string) => void; config?: AgentConfig }): Promise<Agent>;
}

export interface Agent {
  reconciler: Reconciler;
  applier: EnvoyApplier;
  history: TransactionLog;
  host: ProcessHost;
}

export interface RealEnvOptions {
  strategy?: ApplyStrategy;
  drainTimeMs?: number;
  parentShutdownTimeMs?: number;
  verifyTimeoutMs?: number;
  edit?: (c: AgentConfig, root: string) => AgentConfig;
}

export async function realEnv(options: RealEnvOptions = {}): Promise<RealEnv> {
  const adminPort = await freePort();
  const port = await freePort();
  const baseId = nextBaseId++;
  const { config, root } = await tempAgentConfig((c, r) => {
    const edited: AgentConfig = {
      ...c,
      // The operator's exemption for the loopback backends these tests run (as examples/agent.local.yaml does).
      addressPolicy: { ...c.addressPolicy, allowCidrs: ['127.0.0.0/8'] },
      envoy: {
        ...c.envoy,
        binaryPath: realEnvoyBinary(),
        adminAddress: { host: '127.0.0.1', port: adminPort },
        applyStrategy: options.strategy ?? 'dynamic',
        baseId,
        drainTimeMs: options.drainTimeMs ?? 2000,
        parentShutdownTimeMs: options.parentShutdownTimeMs ?? 3000,
        verifyTimeoutMs: options.verifyTimeoutMs ?? 30_000,
        launcherSocket: join(r, 'launcher.sock'),
      },
    };
    return options.edit === undefined ? edited : options.edit(edited, r);
  });
  await mkdir(config.stateDir, { recursive: true });
  const events: Recorded[] = [];
  const bootstrap = { maxConnections: config.envoy.maxConnections };
  const base = config;
  return {
    config,
    root,
    port,
    admin: createAdminClient({ ...config.envoy.adminAddress, timeoutMs: 5000, maxBodyBytes: 64 << 20 }),
    events,
    bootstrap,
    writeSpec: (spec) => writeFile(config.source.path ?? '', JSON.stringify(spec)),
    make: (o = {}) =>
      makeAgentParts({
        config: o.config ?? base,
        host: o.host ?? new LocalProcessHost({ logDir: join(root, 'envoy-logs') }),
        events,
        bootstrap,
        hook: o.hook,
      }),
  };
}

/** version_info of the CDS and LDS dumps the running Envoy reports. */
export async function versions(env: RealEnv): Promise<{ clusters?: string; listeners?: string }> {
  return dynamicVersions(await env.admin.configDump());
}

/** The version_info of the clusters and listeners files the agent installed (what Envoy must report). */
export async function installedVersions(env: RealEnv): Promise<{ clusters?: string; listeners?: string }> {
  const paths = xdsFilePaths(env.config);
  const read = async (f: string) => fileVersion(await readFile(f, 'utf8').catch(() => ''));
  return { clusters: await read(paths.clusters), listeners: await read(paths.listeners) };
}

/** Every xDS subscription's update counters summed (CDS, LDS, RDS, EDS, SDS), as the applier's verify reads them. */
export async function updateTotals(env: RealEnv): Promise<{ success: number; refused: number }> {
  const all = await env.admin.statsFiltered(
    '^(cluster_manager\\.cds|listener_manager\\.lds|http\\..*\\.rds\\..*|cluster\\..*|sds\\..*)\\.update_(success|rejected|failure)$',
  );
  let success = 0;
  let refused = 0;
  for (const [name, value] of all) {
    if (name.endsWith('.update_success')) success += value;
    else refused += value;
  }
  return { success, refused };
}

/** A few counters and gauges, by exact name (absent ones are 0). */
export async function stats(env: RealEnv, names: readonly string[]): Promise<Record<string, number>> {
  const filter = `^(${names.map((n) => n.replaceAll('.', '\\.')).join('|')})$`;
  const got = await env.admin.statsFiltered(filter);
  return Object.fromEntries(names.map((n) => [n, got.get(n) ?? 0]));
}

/** Stop every Envoy the applier started (their pids from envoy.json and the host), close, and remove the root. */
export async function cleanupEnv(env: RealEnv, agents: Agent[]): Promise<void> {
  const pids = new Set<number>();
  for (const a of agents) {
    try {
      for (const p of await a.host.list()) if (!p.exited) pids.add(p.pid);
    } catch {
      // a closed launcher client: envoy.json below still names the processes
    }
    const s = a.applier.supervisor.state;
    for (const r of [s.serving, s.pending, ...s.draining]) if (r?.pid !== undefined) pids.add(r.pid);
    a.applier.supervisor.close();
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(env.root, { recursive: true, force: true });
}

/** An http (or `protocol`) spec on the environment's listener port with these loopback backends. */
export function lbSpec(
  env: RealEnv,
  backends: readonly { id: string; port: number }[],
  patch: (s: Record<string, unknown>) => void = () => undefined,
): Record<string, unknown> {
  return httpSpec((s) => {
    s.port = env.port;
    s.backends = backends.map((b) => ({ id: b.id, address: '127.0.0.1', port: b.port, weight: 1 }));
    s.health_check = {
      type: 'http',
      interval: 5,
      timeout: 2,
      unhealthy_threshold: 3,
      healthy_threshold: 1,
      path: '/healthz',
    };
    patch(s);
  });
}

/** Until the listener answers a GET with 200 (bounded). */
export const serving = (env: RealEnv, timeoutMs = 30_000): Promise<string> =>
  eventuallyOk(`Envoy serves on ${env.port}`, env.port, timeoutMs);

async function eventuallyOk(what: string, port: number, timeoutMs: number): Promise<string> {
  return eventually(
    what,
    async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        return res.status === 200 ? await res.text() : undefined;
      } catch {
        return undefined;
      }
    },
    timeoutMs,
  );
}
