// Shared by the real-Envoy validation and conformance tests: `envoy --mode validate` runs (bounded, two at a time),
// golden specs rendered through the product's own path with real certificates, and a real Envoy run to LIVE.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AgentConfig } from '../../../src/config/types.ts';
import { type AdminClient, createAdminClient } from '../../../src/envoy/admin/client.ts';
import { renderedFiles } from '../../../src/envoy/build/files.ts';
import type { RenderedConfig } from '../../../src/envoy/build/render.ts';
import { prepareGeneration } from '../../../src/pipeline.ts';
import { specContextFromConfig } from '../../../src/spec/context.ts';
import { validateDocument } from '../../../src/model/read.ts';
import { writeFileAtomic } from '../../../src/util/atomic.ts';
import { formatProblem } from '../../../src/util/result.ts';
import { adminPortFrom, type Running, spawnEnvoy, waitFor } from '../../doubles/envoy/harness.ts';
import { makeCert } from '../../helpers/certs.ts';
import { freePort } from '../../helpers/cli-process.ts';
import { realEnvoyBinary } from '../../helpers/real-envoy.ts';
import { GOLDEN_DIR, loadConfig } from '../../unit/build/goldenCases.ts';

export const REPO = resolve(import.meta.dirname, '../../..');
/** The shared third-party configs and mutants (see its valid/SOURCES.md); same place the unit tests read. */
export const FIXTURES = resolve(REPO, '..', 'shared', 'third_party', 'envoy-configs');

export interface ValidateRun {
  readonly code: number;
  /** stdout + stderr, for failure messages. */
  readonly output: string;
}

/** `envoy --mode validate -c <file>` on the real binary. Validate mode binds nothing and takes no base id. */
export function envoyValidate(file: string, cwd?: string, binary = realEnvoyBinary()): Promise<ValidateRun> {
  return new Promise((done) => {
    execFile(
      binary,
      ['--mode', 'validate', '-c', file, '--concurrency', '1', '-l', 'warning'],
      { cwd, timeout: 60_000, maxBuffer: 8 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        done({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** Runs `fn` over `items`, `width` at a time (the CI machine has 2 cores), results in input order. */
export async function inPool<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Real PEMs for a spec's tls_config: a server certificate issued by a CA (the CA doubles as client CA). */
export interface TestCerts {
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
}

export async function makeTestCerts(): Promise<TestCerts> {
  const ca = await makeCert({ commonName: 'validate test CA', isCa: true });
  const server = await makeCert({ commonName: 'localhost', issuer: ca, dnsNames: ['localhost'] });
  return { certPem: server.certPem, keyPem: server.keyPem, caPem: ca.certPem };
}

const PEM_OF = { certificate: 'certPem', private_key: 'keyPem', ca_cert: 'caPem' } as const;

/**
 * Makes a spec body's TLS items real: `*_pem` get real PEMs, `*_path` are moved from `fromDir` into `certDir`
 * (same relative name) and the real PEM is written there. Returns the new body (the input is not changed).
 */
export async function withRealTls(
  body: Record<string, unknown>,
  certs: TestCerts,
  certDir: string,
  fromDir = '/etc/vpsie-lb/certs',
): Promise<Record<string, unknown>> {
  const out = structuredClone(body);
  const holder = (isRecord(out.data) ? out.data : out) as Record<string, unknown>;
  if (Array.isArray(holder.rules)) {
    // VPSie form: every rule and domain TLS object, and the <cert_dir>/<id>.crt/.key files of the others.
    const write = async (name: string, pem: string, mode: number) => {
      await mkdir(certDir, { recursive: true });
      await writeFile(join(certDir, name), pem, { mode });
    };
    for (const rule of holder.rules.filter(isRecord)) {
      const secure = rule.scheme === 'https' || rule.scheme === 'http2';
      const domains = Array.isArray(rule.domains) ? rule.domains.filter(isRecord) : [];
      if (isRecord(rule.tls)) await realTlsObject(rule.tls, certs, certDir, fromDir);
      else if (secure && domains.length === 0 && typeof rule.ruleId === 'string') {
        await write(`${rule.ruleId}.crt`, certs.certPem, 0o644);
        await write(`${rule.ruleId}.key`, certs.keyPem, 0o600);
      }
      for (const d of domains) {
        if (isRecord(d.tls)) await realTlsObject(d.tls, certs, certDir, fromDir);
        else if (secure && typeof d.domainId === 'string') {
          await write(`${d.domainId}.crt`, certs.certPem, 0o644);
          await write(`${d.domainId}.key`, certs.keyPem, 0o600);
        }
      }
    }
    return out;
  }
  const tls = holder.tls_config;
  if (!isRecord(tls)) return out;
  await realTlsObject(tls, certs, certDir, fromDir);
  return out;
}

async function realTlsObject(
  tls: Record<string, unknown>,
  certs: TestCerts,
  certDir: string,
  fromDir: string,
): Promise<void> {
  const taken = new Set<string>();
  for (const [item, pemKey] of Object.entries(PEM_OF)) {
    if (typeof tls[`${item}_pem`] === 'string') tls[`${item}_pem`] = certs[pemKey];
    const p = tls[`${item}_path`];
    if (typeof p === 'string') {
      const name = p.startsWith(`${fromDir}/`) ? p.slice(fromDir.length + 1) : `${item}.pem`;
      // Generated specs may name one file for two items; each item gets its own real content.
      const target = join(certDir, taken.has(name) ? `${name}.${item}` : name);
      taken.add(name);
      await mkdir(resolve(target, '..'), { recursive: true });
      await writeFile(target, certs[pemKey], { mode: item === 'private_key' ? 0o600 : 0o644 });
      tls[`${item}_path`] = target;
    }
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An agent config whose every path is under `dir`, admin on loopback at `adminPort`. */
export function configUnder(base: AgentConfig, dir: string, adminPort: number): AgentConfig {
  return {
    ...base,
    stateDir: join(dir, 'state'),
    envoy: {
      ...base.envoy,
      configPath: join(dir, 'envoy', 'dynamic'),
      adminAddress: { host: '127.0.0.1', port: adminPort },
      pidFile: join(dir, 'envoy.pid'),
    },
    tls: { certDir: join(dir, 'certs') },
  };
}

/**
 * validate → prepareGeneration (certificate material read and checked, render, schema check, certificate files
 * written): what the agent does before it installs a generation. Throws with the problems if any stage refuses.
 */
export async function prepareForReal(body: unknown, config: AgentConfig): Promise<RenderedConfig> {
  const spec = validateDocument(body, specContextFromConfig(config));
  if (!spec.ok) throw new Error(`spec refused: ${spec.problems.map(formatProblem).join('; ')}`);
  const prepared = await prepareGeneration(spec.value, config, new Date());
  if (!prepared.ok) {
    throw new Error(
      `prepare refused (${prepared.stage}): ${prepared.problems.map(formatProblem).join('; ')}`,
    );
  }
  return prepared.rendered;
}

export async function writeRendered(rendered: RenderedConfig): Promise<void> {
  for (const f of renderedFiles(rendered)) {
    await mkdir(resolve(f.path, '..'), { recursive: true });
    await writeFileAtomic(f.path, f.content, { mode: f.mode });
  }
}

export interface GoldenForEnvoy {
  readonly config: AgentConfig;
  readonly rendered: RenderedConfig;
  readonly dir: string;
}

/** A golden case's spec.json through the product path in `dir`, with real certificates; `port` overrides the LB port. */
export async function renderGolden(
  name: string,
  dir: string,
  certs: TestCerts,
  options: { adminPort?: number; port?: number; rulePorts?: readonly number[] } = {},
): Promise<GoldenForEnvoy> {
  const config = configUnder(loadConfig(join(GOLDEN_DIR, name)), dir, options.adminPort ?? 9901);
  const original: unknown = JSON.parse(await readFile(join(GOLDEN_DIR, name, 'spec.json'), 'utf8'));
  const body = await withRealTls(original as Record<string, unknown>, certs, config.tls.certDir);
  const holder = (isRecord(body.data) ? body.data : body) as Record<string, unknown>;
  if (options.port !== undefined && !Array.isArray(holder.rules)) holder.port = options.port;
  if (Array.isArray(holder.rules)) {
    // VPSie form: a free port per rule (the documents say 80, 443, …).
    holder.rules.filter(isRecord).forEach((rule, i) => {
      const p = options.rulePorts?.[i];
      if (p !== undefined) rule.frontPort = p;
    });
  }
  const rendered = await prepareForReal(body, config);
  return { config, rendered, dir };
}

/**
 * Points every socket address of the rendered resources at loopback so a serving Envoy touches nothing else:
 * listeners bind 127.0.0.1 / ::1 instead of 0.0.0.0 / ::, backends become `deadPort` on loopback (health checks
 * are refused at once) and DNS backends `localhost` (answered from /etc/hosts). Names, versions and every other
 * field stay as rendered.
 */
export function onLoopback(rendered: RenderedConfig, deadPort: number): RenderedConfig {
  const swap = (v: unknown, inCluster: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => swap(x, inCluster));
    if (!isRecord(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = swap(x, inCluster);
    const sa = out.socket_address;
    if (isRecord(sa) && typeof sa.address === 'string') {
      const a = sa.address;
      const v6 = a.includes(':');
      const host = inCluster
        ? /^[0-9.]+$/.test(a) || v6
          ? v6
            ? '::1'
            : '127.0.0.1'
          : 'localhost'
        : v6
          ? '::1'
          : '127.0.0.1';
      out.socket_address = { ...sa, address: host, ...(inCluster ? { port_value: deadPort } : {}) };
    }
    return out;
  };
  return {
    ...rendered,
    listeners: swap(rendered.listeners, false) as RenderedConfig['listeners'],
    clusters: swap(rendered.clusters, true) as RenderedConfig['clusters'],
    endpoints: rendered.endpoints.map((e) => ({
      ...e,
      document: swap(e.document, true) as typeof e.document,
    })),
  };
}

export interface ServingEnvoy {
  readonly process: Running;
  readonly admin: AdminClient;
  readonly adminPort: number;
  stop(): Promise<void>;
}

/**
 * Starts an envoy (the real binary unless `binary` says otherwise) on `bootstrap` and waits until its admin
 * answers. Hot restart is off unless `baseId` is given, so parallel tests share no shared memory or sockets.
 */
export async function startEnvoy(
  bootstrap: string,
  dir: string,
  options: {
    binary?: string;
    baseId?: number;
    env?: Record<string, string>;
    cwd?: string;
    args?: readonly string[];
  } = {},
): Promise<ServingEnvoy> {
  const addressFile = join(dir, `admin-${Date.now()}-${Math.random().toString(16).slice(2)}.txt`);
  const args = ['-c', bootstrap, '--concurrency', '1', '-l', 'info', '--admin-address-path', addressFile];
  args.push(
    ...(options.baseId === undefined ? ['--disable-hot-restart'] : ['--base-id', String(options.baseId)]),
  );
  args.push('--drain-time-s', '1', '--parent-shutdown-time-s', '2', ...(options.args ?? []));
  const proc = spawnEnvoy(options.binary ?? realEnvoyBinary(), args, options.env, options.cwd);
  const adminPort = await Promise.race([
    adminPortFrom(addressFile, 30_000),
    proc.exited.then((e) => {
      throw new Error(
        `envoy exited (${e.code ?? e.signal}) before its admin answered:\n${proc.stderr().slice(-3000)}`,
      );
    }),
  ]);
  const admin = createAdminClient({ host: '127.0.0.1', port: adminPort, timeoutMs: 10_000 });
  return {
    process: proc,
    admin,
    adminPort,
    stop: async () => {
      if (proc.exit() === undefined) {
        try {
          process.kill(-proc.pid, 'SIGTERM');
        } catch {
          // gone already
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-proc.pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }, 10_000);
        await proc.exited;
        clearTimeout(timer);
      }
    },
  };
}

export async function waitLive(envoy: ServingEnvoy, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    'Envoy LIVE',
    async () => {
      if (envoy.process.exit() !== undefined) {
        throw new Error(`envoy exited: ${envoy.process.stderr().slice(-3000)}`);
      }
      return (await envoy.admin.ready()).live ? true : undefined;
    },
    timeoutMs,
    100,
  );
}

/** GET on the admin port: status and body text. */
export async function adminGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(10_000) });
  return { status: r.status, body: await r.text() };
}

export const removeDir = (dir: string): Promise<void> => rm(dir, { recursive: true, force: true });
export { freePort };
