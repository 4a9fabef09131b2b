// The agent as it runs in production, in this process: an agent.yaml loaded by the agent's loader (loopback backends
// allowed by address_policy.allow_cidrs), startAgent with the file source (or the fake VPSie API), the real pinned Envoy as the data plane (spawned by the agent's EnvoyApplier through LocalProcessHost), its own
// agent endpoint. Each start gets a fresh temp root, base id, admin port, agent port and listener port; stop() stops
// the agent (and Envoy, stop_on_exit), then SIGKILLs any Envoy of that base id still alive and removes the root.
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AgentHandle, defaultParts, startAgent } from '../../../src/agent.ts';
import { loadAgentConfig } from '../../../src/config/load.ts';
import type { AgentConfig } from '../../../src/config/types.ts';
import { type AdminClient, createAdminClient } from '../../../src/envoy/admin/client.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import type { AgentStatus } from '../../../src/server/status.ts';
import { formatProblem } from '../../../src/util/result.ts';
import { freePort, waitFor } from '../../helpers/cli-process.ts';
import { envoyWrapper, envoyYamlLines, killEnvoysOf } from '../../helpers/real-envoy.ts';
import type { FakeVpsieApi } from '../../fakes/vpsie-api.ts';

/** Per process a disjoint block of base ids (hot-restart shared memory and sockets are named after it). */
let nextBaseId = 200_000 + (process.pid % 40_000) * 16;

export interface RealAgentOptions {
  /** agent.yaml envoy.max_connections (global, overload manager). */
  readonly maxConnections?: number;
  /** Use the fake VPSie API (its `setSpec` document) as the source instead of the spec file. */
  readonly api?: FakeVpsieApi;
  readonly apiKey?: string;
  /** vpsie.health_interval in seconds: how often backend health is read from Envoy and reported. */
  readonly healthIntervalS?: number;
  /** envoy.stop_on_exit (default true here): false leaves Envoy serving when the agent stops, as in production. */
  readonly stopOnExit?: boolean;
}

export interface RealAgent {
  readonly root: string;
  /** The config of the agent now running (restart may change it). */
  readonly config: AgentConfig;
  /** The load balancer's listener port (Envoy binds 0.0.0.0; tests connect to 127.0.0.1 only). */
  readonly lbPort: number;
  /** The certificate directory (spec paths must be inside it). */
  readonly certDir: string;
  readonly admin: AdminClient;
  readonly handle: AgentHandle;
  /** Replaces the spec file atomically (the file source's watcher triggers a reconcile). */
  writeSpec(spec: Record<string, unknown>): Promise<void>;
  /** GET /status of the agent endpoint. */
  status(): Promise<AgentStatus>;
  /** Waits until the agent has committed a configuration other than `previous` and is converged on it. */
  waitApplied(previous?: string | null, timeoutMs?: number): Promise<string>;
  /** Envoy's stdout/stderr, for failure messages. */
  envoyLog(): Promise<string>;
  /** Stops the agent and starts it again with an agent.yaml written from `options` (same ports, base id, state). */
  restart(options: RealAgentOptions): Promise<void>;
  stop(): Promise<void>;
}

/** The spec of a load balancer on `port` with `backends`; `patch` edits it. */
export function lbSpec(
  port: number,
  protocol: 'http' | 'https' | 'tcp',
  backends: readonly { id: string; port: number; address?: string; weight?: number; enabled?: boolean }[],
  patch: Partial<Record<string, unknown>> = {},
): Record<string, unknown> {
  return {
    id: 'lb-real',
    name: 'real-envoy',
    protocol,
    port,
    algorithm: 'round_robin',
    backends: backends.map((b) => ({
      id: b.id,
      address: b.address ?? '127.0.0.1',
      port: b.port,
      ...(b.weight === undefined ? {} : { weight: b.weight }),
      ...(b.enabled === undefined ? {} : { enabled: b.enabled }),
    })),
    ...patch,
  };
}

/**
 * Starts the agent with the spec `build(lbPort, certDir)` returns and waits until Envoy is LIVE and the agent is
 * converged on it.
 */
export async function startRealAgent(
  build: (lbPort: number, certDir: string) => Record<string, unknown> | Promise<Record<string, unknown>>,
  options: RealAgentOptions = {},
): Promise<RealAgent> {
  const root = await mkdtemp(join(tmpdir(), 'vpsie-lb-real-'));
  const [adminPort, agentPort, lbPort] = [await freePort(), await freePort(), await freePort()];
  const certDir = join(root, 'certs');
  await mkdir(certDir, { recursive: true });
  const specPath = join(root, 'spec.json');
  const baseId = nextBaseId++;
  const api = options.api;
  if (api !== undefined) await writeFile(join(root, 'api-key'), `${options.apiKey}\n`, { mode: 0o600 });
  const wrapper = await envoyWrapper(root);
  // The agent's config as an operator writes it (agent.yaml), loaded by the agent's own loader.
  const loadConfig = async (o: RealAgentOptions): Promise<AgentConfig> => {
    const yaml = [
      ...(api === undefined
        ? [`source: {type: file, path: ${specPath}}`, 'vpsie:']
        : [
            'source: {type: vpsie}',
            'vpsie:',
            `  api_url: ${api.httpUrl}`,
            `  api_key_file: ${join(root, 'api-key')}`,
            '  loadbalancer_id: lb-real',
            '  allow_insecure_api: true',
          ]),
      '  poll_interval: 1h',
      `  health_interval: ${o.healthIntervalS ?? 1}s`,
      '  metrics_interval: 0s',
      `state_dir: ${join(root, 'state')}`,
      ...envoyYamlLines(root, wrapper, adminPort, baseId),
      ...(o.maxConnections === undefined ? [] : [`  max_connections: ${o.maxConnections}`]),
      '  verify_timeout: 30s',
      `  stop_on_exit: ${o.stopOnExit ?? true}`,
      `tls: {cert_dir: ${certDir}}`,
      `server: {listen: 127.0.0.1:${agentPort}}`,
      'logging: {level: error}',
      // Operator-only: the tests' backends are Node servers on loopback.
      'address_policy: {allow_cidrs: [127.0.0.0/8]}',
      '',
    ].join('\n');
    const configFile = join(root, 'agent.yaml');
    await writeFile(configFile, yaml);
    const loaded = await loadAgentConfig(configFile);
    if (!loaded.ok) throw new Error(`agent.yaml: ${loaded.problems.map(formatProblem).join('; ')}`);
    return loaded.value;
  };
  let config: AgentConfig;
  try {
    config = await loadConfig(options);
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  let handle: AgentHandle | undefined;
  const writeSpec = async (spec: Record<string, unknown>) => {
    if (api !== undefined) {
      api.setSpec({ error: false, data: spec });
      handle?.loop.trigger('sighup');
      return;
    }
    await writeFile(`${specPath}.tmp`, JSON.stringify(spec));
    await rename(`${specPath}.tmp`, specPath);
  };
  await writeSpec(await build(lbPort, certDir));
  const agentUrl = `http://127.0.0.1:${agentPort}`;
  const status = async () => (await (await fetch(`${agentUrl}/status`)).json()) as AgentStatus;
  const envoyLog = async () => {
    const dir = join(config.stateDir, 'envoy-logs');
    const files = await readdir(dir).catch(() => [] as string[]);
    const texts = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8').catch(() => '')));
    return texts.join('\n').slice(-6000);
  };
  const cleanup = async () => {
    await killEnvoysOf(baseId);
    await rm(root, { recursive: true, force: true });
  };
  let started: AgentHandle;
  try {
    started = await startAgent(config, silentLogger, await defaultParts(config, silentLogger));
  } catch (err) {
    await cleanup();
    throw err;
  }
  handle = started;
  const waitApplied = async (previous: string | null = null, timeoutMs = 45_000) => {
    try {
      return await waitFor(`the agent to commit a new configuration on ${lbPort}`, timeoutMs, async () => {
        const s = await status();
        return s.applied_hash !== null && s.applied_hash !== previous && s.applied_hash === s.desired_hash
          ? s.applied_hash
          : undefined;
      });
    } catch (err) {
      const s = await status().catch(() => undefined);
      throw new Error(
        `${(err as Error).message}\nlast reconcile: ${JSON.stringify(s?.last_reconcile)}\nenvoy: ${await envoyLog()}`,
      );
    }
  };
  const agent: RealAgent = {
    root,
    get config() {
      return config;
    },
    lbPort,
    certDir,
    admin: createAdminClient(config.envoy.adminAddress),
    get handle() {
      return started;
    },
    writeSpec,
    status,
    waitApplied,
    envoyLog,
    async restart(next: RealAgentOptions) {
      await started.stop();
      config = await loadConfig(next);
      started = await startAgent(config, silentLogger, await defaultParts(config, silentLogger));
      handle = started;
    },
    async stop() {
      try {
        await started.stop();
      } finally {
        await cleanup();
      }
    },
  };
  try {
    await waitApplied();
  } catch (err) {
    await agent.stop();
    throw err;
  }
  return agent;
}
