import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseWith } from '../../../src/agent.ts';
import { EnvoyApplier, type EnvoyApplierOptions, fileVersion } from '../../../src/apply/envoy-applier.ts';
import { TransactionLog } from '../../../src/apply/history.ts';
import type { AgentConfig, ApplyStrategy } from '../../../src/config/types.ts';
import {
  type AdminClient,
  createAdminClient,
  type DynamicVersions,
  dynamicVersions,
} from '../../../src/envoy/admin/client.ts';
import { LocalProcessHost, type ProcessHost, pidAlive } from '../../../src/envoy/process/host.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import { prepareGeneration } from '../../../src/pipeline.ts';
import { type EventKind, Reconciler } from '../../../src/reconcile/reconciler.ts';
import { FileSpecSource } from '../../../src/source/file-source.ts';
import { httpSpec, tempAgentConfig } from '../../helpers/agent-config.ts';
// Shared setup for the lifecycle tests: an agent config pointing at the Envoy double, an isolated hot-restart
// namespace (shm dir, base id, admin port) per test, the double's journal, and cleanup that leaves no process.
import { freePort, waitFor } from '../../helpers/cli-process.ts';

export const DOUBLE = resolve(import.meta.dirname, '../../doubles/envoy/envoy');
export const REPO = resolve(import.meta.dirname, '../../..');

export interface Recorded {
  type: EventKind;
  message: string;
  metadata?: Record<string, unknown>;
}

export { freePort };

let nextBaseId = 1000 + (process.pid % 5000) * 10;

export interface Env {
  config: AgentConfig;
  root: string;
  journal: string;
  controlDir: string;
  envoyEnv: Record<string, string>;
  events: Recorded[];
  writeSpec(spec: unknown): Promise<void>;
  /** A fresh applier + reconciler, as after an agent restart. `maxConnections` changes the bootstrap. */
  make(options?: { host?: ProcessHost }): Promise<{
    reconciler: Reconciler;
    applier: EnvoyApplier;
    history: TransactionLog;
    host: ProcessHost;
  }>;
  /** Bootstrap-level knob read by prepare at each reconcile. */
  bootstrap: { maxConnections: number };
}

/**
 * An applier and reconciler over `config`, as the agent builds them, recording events into `events`; what a test
 * gets after every (simulated) agent start. `bootstrap.maxConnections` is read at each prepare.
 */
export async function makeAgentParts(o: {
  config: AgentConfig;
  host: ProcessHost;
  events: Recorded[];
  bootstrap: { maxConnections: number };
  env?: Record<string, string>;
  hook?: EnvoyApplierOptions['hook'];
}): Promise<{ reconciler: Reconciler; applier: EnvoyApplier; history: TransactionLog; host: ProcessHost }> {
  const { config, host, events, bootstrap } = o;
  const history = new TransactionLog(config.stateDir);
  await history.load();
  const record = async (type: EventKind, message: string, metadata?: Record<string, unknown>) => {
    events.push({ type, message, metadata });
  };
  const applier = new EnvoyApplier({
    config,
    host,
    logger: silentLogger,
    ...(o.env === undefined ? {} : { env: o.env }),
    ...(o.hook === undefined ? {} : { hook: o.hook }),
    onEvent: (type, message, metadata) => void record(type, message, metadata),
    backoff: { initialMs: 100, maxMs: 400 },
  });
  const reconciler = new Reconciler({
    source: new FileSpecSource(config.source.path ?? ''),
    parse: parseWith(config),
    prepare: (spec) =>
      prepareGeneration(
        spec,
        { ...config, envoy: { ...config.envoy, maxConnections: bootstrap.maxConnections } },
        new Date(),
      ),
    applier,
    history,
    events: { enqueue: record },
    logger: silentLogger,
  });
  await reconciler.recover();
  return { reconciler, applier, history, host };
}

export async function lifecycleEnv(strategy: ApplyStrategy, verifyTimeoutMs = 8000): Promise<Env> {
  const port = await freePort();
  const baseId = nextBaseId++;
  const { config, root } = await tempAgentConfig((c, r) => ({
    ...c,
    envoy: {
      ...c.envoy,
      binaryPath: DOUBLE,
      adminAddress: { host: '127.0.0.1', port },
      applyStrategy: strategy,
      baseId,
      drainTimeMs: 1000,
      parentShutdownTimeMs: 1000,
      verifyTimeoutMs,
      launcherSocket: join(r, 'launcher.sock'),
    },
  }));
  const journal = join(root, 'journal');
  const controlDir = join(root, 'control');
  await mkdir(controlDir, { recursive: true });
  const envoyEnv = {
    ENVOY_DOUBLE_JOURNAL: journal,
    ENVOY_DOUBLE_SHM_DIR: join(root, 'shm'),
    ENVOY_DOUBLE_CONTROL_DIR: controlDir,
    ENVOY_DOUBLE_RETRY_MS: '50',
  };
  await mkdir(envoyEnv.ENVOY_DOUBLE_SHM_DIR, { recursive: true });
  const events: Recorded[] = [];
  const bootstrap = { maxConnections: config.envoy.maxConnections };
  const env: Env = {
    config,
    root,
    journal,
    controlDir,
    envoyEnv,
    events,
    bootstrap,
    writeSpec: (spec) => writeFile(config.source.path ?? '', JSON.stringify(spec)),
    make: (options = {}) =>
      makeAgentParts({
        config,
        host: options.host ?? new LocalProcessHost({ logDir: join(root, 'envoy-logs') }),
        events,
        bootstrap,
        env: envoyEnv,
      }),
  };
  return env;
}

/** A spec whose backends (not the bootstrap) differ with `n`. */
/** The Envoy admin API of an environment, through the agent's own client. */
export const adminOf = (env: Env): AdminClient => createAdminClient(env.config.envoy.adminAddress);

/** version_info of the CDS and LDS dumps the running Envoy reports. */
export async function versionsOf(env: Env): Promise<DynamicVersions> {
  return dynamicVersions(await adminOf(env).configDump());
}

export const specN = (n: number) =>
  httpSpec((s) => {
    s.backends = [
      { id: 'b1', address: '10.0.0.11', port: 8000 + n, weight: 1 },
      { id: 'b2', address: '10.0.0.12', port: 8080, weight: 1 + (n % 7) },
    ];
  });

export interface JournalLine {
  ms: number;
  epoch: number;
  pid: number;
  event: string;
  detail: string;
}

export async function readJournal(path: string): Promise<JournalLine[]> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^(\d+) epoch=(\d+) pid=(\d+) (\S+(?: \S+)?)(?: (.*))?$/.exec(l);
      if (m === null) throw new Error(`bad journal line: ${l}`);
      const [event, ...rest] = splitEvent(`${m[4]}${m[5] === undefined ? '' : ` ${m[5]}`}`);
      return {
        ms: Number(m[1]),
        epoch: Number(m[2]),
        pid: Number(m[3]),
        event: event ?? '',
        detail: rest.join(' '),
      };
    });
}

const TWO_WORD = [
  'update accepted',
  'update rejected',
  'update failed',
  'admin shut down',
  'healthcheck failed',
  'healthcheck ok',
];
function splitEvent(text: string): string[] {
  for (const e of TWO_WORD) if (text.startsWith(e)) return [e, text.slice(e.length).trim()];
  const [first = '', ...rest] = text.split(' ');
  return [first, rest.join(' ')];
}

export async function envoyPids(journal: string): Promise<number[]> {
  return [...new Set((await readJournal(journal)).map((l) => l.pid))];
}

export async function livePids(journal: string): Promise<number[]> {
  return (await envoyPids(journal)).filter(pidAlive);
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export const eventually = <T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> => waitFor(what, timeoutMs, check);

/** SIGKILL every Envoy the journal knows and the given process groups; remove the temp root. */
export async function cleanup(env: Env, groups: number[] = []): Promise<void> {
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const pid of await envoyPids(env.journal)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(env.root, { recursive: true, force: true });
}

export async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * The `envoy:` section of an agent.yaml for a CLI test of this environment (the double as the binary, its admin port,
 * base id, launcher socket, short drain times); `extra` lines are added inside the section.
 */
export function envoyYaml(env: Pick<Env, 'config'>, extra: readonly string[] = []): string[] {
  const e = env.config.envoy;
  return [
    'envoy:',
    `  config_path: ${e.configPath}`,
    `  binary_path: ${e.binaryPath}`,
    `  admin_address: 127.0.0.1:${e.adminAddress.port}`,
    `  pid_file: ${e.pidFile}`,
    `  base_id: ${e.baseId}`,
    `  apply_strategy: ${e.applyStrategy}`,
    `  launcher_socket: ${e.launcherSocket}`,
    '  drain_time: 1s',
    '  parent_shutdown_time: 2s',
    ...extra.map((line) => `  ${line}`),
  ];
}

/**
 * Writes `<root>/agent.yaml` for running the real CLI on this environment (the file source unless `fileSource` is
 * false, then the vpsie source of the `top` lines): state and certificate directories, then `top` lines (logging,
 * vpsie, server…), then the envoy section with `envoy` extra lines.
 */
export async function writeAgentYaml(
  env: Pick<Env, 'config' | 'root'>,
  options: { top?: readonly string[]; envoy?: readonly string[]; fileSource?: boolean } = {},
): Promise<string> {
  const c = env.config;
  const file = join(env.root, 'agent.yaml');
  await writeFile(
    file,
    [
      ...(options.fileSource === false ? [] : [`source: {type: file, path: ${c.source.path}}`]),
      `state_dir: ${c.stateDir}`,
      `tls: {cert_dir: ${c.tls.certDir}}`,
      ...(options.top ?? []),
      ...envoyYaml(env, options.envoy),
      '',
    ].join('\n'),
  );
  return file;
}

/** The version_info of the live clusters and listeners files (each file carries the digest of its own resources). */
export async function liveVersions(t: { config: { envoy: { configPath: string } } }) {
  const of = async (name: string) =>
    fileVersion(await readFile(join(t.config.envoy.configPath, name), 'utf8'));
  return { clusters: await of('clusters.yaml'), listeners: await of('listeners.yaml') };
}
