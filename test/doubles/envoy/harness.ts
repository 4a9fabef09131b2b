/** Helpers for tests that run the envoy double: sandboxes, spawning in own process groups, bounded waits. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The executable: `test/doubles/envoy/envoy`. */
export const ENVOY_DOUBLE = fileURLToPath(new URL('./envoy', import.meta.url));

export interface Sandbox {
  readonly dir: string;
  readonly shmDir: string;
  readonly controlDir: string;
  readonly xdsDir: string;
  readonly journal: string;
  /** ENVOY_DOUBLE_* variables pointing into the sandbox (plus fast hot-restart retries). */
  readonly env: Record<string, string>;
  cleanup(): void;
}

export function makeSandbox(prefix = 'envoy-double-'): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const shmDir = join(dir, 'shm');
  const controlDir = join(dir, 'control');
  const xdsDir = join(dir, 'xds');
  for (const d of [shmDir, controlDir, xdsDir]) mkdirSync(d);
  const journal = join(dir, 'journal.log');
  return {
    dir,
    shmDir,
    controlDir,
    xdsDir,
    journal,
    env: {
      ENVOY_DOUBLE_SHM_DIR: shmDir,
      ENVOY_DOUBLE_CONTROL_DIR: controlDir,
      ENVOY_DOUBLE_JOURNAL: journal,
      ENVOY_DOUBLE_RETRY_MS: '50',
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface Running {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<Exit>;
  stdout(): string;
  stderr(): string;
  /** The live exit status, undefined while running. */
  exit(): Exit | undefined;
}

const running = new Set<ChildProcess>();

/** Starts the double in its own process group so killAll() can take down anything it spawned. */
export function spawnDouble(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd?: string,
): Running {
  return spawnEnvoy(ENVOY_DOUBLE, args, env, cwd);
}

/** Any envoy executable (the double or the real binary), in its own process group, tracked for killAll(). */
export function spawnEnvoy(
  binary: string,
  args: readonly string[],
  env: Record<string, string> = {},
  cwd?: string,
): Running {
  const child = spawn(binary, args, {
    env: { ...process.env, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  let out = '';
  let err = '';
  let status: Exit | undefined;
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<Exit>((resolve) =>
    child.on('close', (code, signal) => {
      running.delete(child);
      status = { code, signal };
      resolve(status);
    }),
  );
  if (child.pid === undefined) throw new Error('spawn failed');
  return { child, pid: child.pid, exited, stdout: () => out, stderr: () => err, exit: () => status };
}

/** Runs the double to completion (validate mode, argv errors…), with a deadline. */
export async function runDouble(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<Exit & { stdout: string; stderr: string }> {
  const r = spawnDouble(args, env);
  const exit = await withDeadline(r.exited, timeoutMs, `envoy ${args.join(' ')} to exit`);
  return { ...exit, stdout: r.stdout(), stderr: r.stderr() };
}

/** SIGKILLs every process group started by spawnDouble/spawnEnvoy (for `after` hooks). */
export function killAll(): void {
  for (const c of running) {
    if (c.pid !== undefined) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

export async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls until `probe` returns a value other than undefined; errors thrown by the probe count as "not yet". */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`,
  );
}

export const readText = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '');

/** Journal lines as `{epoch, pid, event}` in file order. */
export function journalEvents(path: string): { epoch: number; pid: number; event: string; line: string }[] {
  return readText(path)
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const m = /^\d+ epoch=(\d+) pid=(\d+) (.*)$/.exec(line);
      return { epoch: Number(m?.[1]), pid: Number(m?.[2]), event: m?.[3] ?? '', line };
    });
}

/** Reads `host:port` from an admin address file once it exists. */
export async function adminPortFrom(file: string, timeoutMs = 30_000): Promise<number> {
  return waitFor(
    `admin address in ${file}`,
    () => {
      const m = /:(\d+)$/.exec(readText(file).trim());
      return m?.[1] === undefined ? undefined : Number(m[1]);
    },
    timeoutMs,
  );
}

/** A bootstrap with an ephemeral loopback admin port and, optionally, file-based CDS/LDS. */
export function bootstrapYaml(
  o: { cds?: string; lds?: string; watchedDir?: string; node?: boolean } = {},
): string {
  const src = (path: string): string =>
    `{resource_api_version: V3, path_config_source: {path: ${JSON.stringify(path)}${
      o.watchedDir === undefined ? '' : `, watched_directory: {path: ${JSON.stringify(o.watchedDir)}}`
    }}}`;
  const lines = [
    ...(o.node === false ? [] : ['node: {id: edge-1, cluster: edge}']),
    'admin: {address: {socket_address: {address: 127.0.0.1, port_value: 0}}}',
  ];
  if (o.cds !== undefined || o.lds !== undefined) {
    lines.push('dynamic_resources:');
    if (o.cds !== undefined) lines.push(`  cds_config: ${src(o.cds)}`);
    if (o.lds !== undefined) lines.push(`  lds_config: ${src(o.lds)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A CDS DiscoveryResponse with STATIC clusters of loopback endpoints. */
export function cdsYaml(version: string, clusters: Record<string, number[]>): string {
  const rs = Object.entries(clusters).map(
    ([name, ports]) => `- "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
  name: ${name}
  type: STATIC
  connect_timeout: 1s
  load_assignment:
    cluster_name: ${name}
    endpoints:
    - lb_endpoints:${ports.length === 0 ? ' []' : ''}
${ports.map((p) => `      - endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: ${p}}}}`).join('\n')}`,
  );
  return `version_info: ${JSON.stringify(version)}\nresources:\n${rs.join('\n')}\n`;
}

/** An LDS DiscoveryResponse of TCP proxy listeners on loopback. */
export function ldsYaml(
  version: string,
  listeners: Record<string, { port: number; cluster: string }>,
): string {
  const rs = Object.entries(listeners).map(
    ([name, l]) => `- "@type": type.googleapis.com/envoy.config.listener.v3.Listener
  name: ${name}
  address: {socket_address: {address: 127.0.0.1, port_value: ${l.port}}}
  filter_chains:
  - filters:
    - name: envoy.filters.network.tcp_proxy
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
        stat_prefix: ${name}
        cluster: ${l.cluster}`,
  );
  return `version_info: ${JSON.stringify(version)}\nresources:\n${rs.join('\n')}\n`;
}
