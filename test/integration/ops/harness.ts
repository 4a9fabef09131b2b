// The agent as an operator meets it: the real CLI (`run`) on a file source with REAL Envoy, loopback backends
// (address_policy.allow_cidrs: [127.0.0.0/8]), and the operator commands run as separate CLI processes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliProcess, freePort, runCli, waitFor } from '../../helpers/cli-process.ts';
import { envoyWrapper, envoyYamlLines, killEnvoysOf } from '../../helpers/real-envoy.ts';

let nextBaseId = 20_000 + (process.pid % 2000) * 10;

export interface Backend {
  readonly id: string;
  port: number;
  server: http.Server | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A loopback HTTP backend answering its id (and 200 on /healthz). */
export async function backend(id: string): Promise<Backend> {
  const b: Backend = {
    id,
    port: 0,
    server: undefined,
    async start() {
      const server = http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`${id}\n`);
      });
      await new Promise<void>((resolve) => server.listen(b.port, '127.0.0.1', resolve));
      b.port = (server.address() as AddressInfo).port;
      b.server = server;
    },
    async stop() {
      const s = b.server;
      b.server = undefined;
      if (s === undefined) return;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  await b.start();
  return b;
}

export interface OpsEnv {
  readonly root: string;
  readonly configFile: string;
  readonly specFile: string;
  readonly stateDir: string;
  readonly adminPort: number;
  readonly agentPort: number;
  readonly lbPort: number;
  readonly baseId: number;
  readonly backends: Backend[];
  /** The agent process (undefined between stop and start). */
  agent: CliProcess | undefined;
  /** A spec with the given backends (default: all), optional max_connections, on the env's LB port. */
  spec(options?: {
    backends?: readonly Backend[];
    maxConnections?: number;
    port?: number;
  }): Record<string, unknown>;
  writeSpec(spec: unknown): Promise<void>;
  /** agent.yaml with `extra` top-level lines and `envoyExtra` lines in the envoy section. */
  writeConfig(options?: { extra?: readonly string[]; envoyExtra?: readonly string[] }): Promise<void>;
  /** The spec from this (fake) VPSie API instead of the file; `caFile` is trusted by the agent. */
  api: { url: string; keyFile: string; caFile: string; id: string } | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): Promise<Record<string, unknown>>;
  /** Runs an operator command of the CLI to completion. */
  cli(args: readonly string[], stdin?: string): Promise<{ code: number | string; out: string }>;
  cleanup(): Promise<void>;
}

export async function opsEnv(backendCount = 2): Promise<OpsEnv> {
  const root = await mkdtemp(join(tmpdir(), 'vpsie-lb-ops-'));
  const [adminPort, agentPort, lbPort] = [await freePort(), await freePort(), await freePort()];
  const baseId = nextBaseId++;
  const backends: Backend[] = [];
  for (let i = 1; i <= backendCount; i++) backends.push(await backend(`b${i}`));
  const wrapper = await envoyWrapper(root);
  const env: OpsEnv = {
    root,
    configFile: join(root, 'agent.yaml'),
    specFile: join(root, 'spec.json'),
    stateDir: join(root, 'state'),
    adminPort,
    agentPort,
    lbPort,
    baseId,
    backends,
    agent: undefined,
    api: undefined,
    spec(options = {}) {
      return {
        id: 'lb-ops',
        name: 'ops',
        protocol: 'http',
        port: options.port ?? lbPort,
        algorithm: 'round_robin',
        ...(options.maxConnections === undefined ? {} : { max_connections: options.maxConnections }),
        backends: (options.backends ?? backends).map((b) => ({
          id: b.id,
          address: '127.0.0.1',
          port: b.port,
        })),
        health_check: {
          type: 'http',
          interval: 2,
          timeout: 1,
          unhealthy_threshold: 1,
          healthy_threshold: 1,
          path: '/healthz',
        },
      };
    },
    writeSpec: (spec) => writeFile(env.specFile, JSON.stringify(spec, null, 2)),
    async writeConfig(options = {}) {
      await writeFile(
        env.configFile,
        [
          env.api === undefined ? `source: {type: file, path: ${env.specFile}}` : 'source: {type: vpsie}',
          `state_dir: ${env.stateDir}`,
          `tls: {cert_dir: ${join(root, 'certs')}}`,
          `server: {listen: 127.0.0.1:${agentPort}}`,
          'address_policy: {allow_cidrs: [127.0.0.0/8]}',
          env.api === undefined
            ? 'vpsie: {poll_interval: 1h, health_interval: 1s}'
            : `vpsie: {poll_interval: 1h, health_interval: 1s, metrics_interval: 1s, allow_insecure_api: true, api_url: "${env.api.url}", api_key_file: ${env.api.keyFile}, loadbalancer_id: ${env.api.id}}`,
          'logging: {level: info}',
          ...(options.extra ?? []),
          ...envoyYamlLines(root, wrapper, adminPort, baseId),
          '  stop_on_exit: true',
          ...(options.envoyExtra ?? []).map((l) => `  ${l}`),
          '',
        ].join('\n'),
      );
    },
    async start() {
      env.agent = runCli(
        ['run', '--config', env.configFile],
        env.api === undefined ? {} : { NODE_EXTRA_CA_CERTS: env.api.caFile },
      );
      await waitFor('the agent endpoint', 30_000, async () => {
        try {
          return (await fetch(`http://127.0.0.1:${agentPort}/healthz`)).ok ? true : undefined;
        } catch {
          return undefined;
        }
      });
    },
    async stop() {
      const agent = env.agent;
      env.agent = undefined;
      if (agent === undefined) return;
      agent.child.kill('SIGTERM');
      await agent.exited(60_000);
    },
    async status() {
      return (await (await fetch(`http://127.0.0.1:${agentPort}/status`)).json()) as Record<string, unknown>;
    },
    async cli(args, stdin) {
      const p = runCli([...args, '--config', env.configFile], {}, stdin);
      const code = await p.exited(120_000);
      return { code, out: p.output() };
    },
    async cleanup() {
      if (env.agent !== undefined) {
        env.agent.child.kill('SIGKILL');
        await env.agent.exited(10_000).catch(() => undefined);
      }
      // Envoy runs under the agent's own process host; with the agent gone, stop any Envoy of this base id.
      await killEnvoysOf(baseId);
      for (const b of backends) await b.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
  await env.writeConfig();
  await env.writeSpec(env.spec());
  return env;
}

/** Waits until /status satisfies `check`. */
export function statusUntil(
  env: OpsEnv,
  what: string,
  check: (s: Record<string, unknown>) => boolean,
  timeoutMs = 60_000,
): Promise<Record<string, unknown>> {
  return waitFor(what, timeoutMs, async () => {
    try {
      const s = await env.status();
      return check(s) ? s : undefined;
    } catch {
      return undefined;
    }
  });
}

export const converged = (s: Record<string, unknown>): boolean =>
  s.desired_hash !== null &&
  s.desired_hash === s.applied_hash &&
  (s.envoy as { state: string }).state === 'LIVE' &&
  (s.backends as { health: string }[]).every((b) => b.health === 'healthy');
