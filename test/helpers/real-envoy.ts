// Where the real, pinned Envoy is for tests. `npm test` runs scripts/ensure-envoy.mjs first, so on a clean clone
// the binary is in .cache/envoy/<version>/envoy (or ENVOY_BIN). A missing binary is a test failure, never a skip.
// Also what every harness that runs the agent on the real Envoy shares: the one-worker wrapper, agent.yaml's envoy
// lines, and finding/killing the Envoys of a base id.
import { existsSync, readFileSync } from 'node:fs';
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const pin = JSON.parse(readFileSync(join(root, 'packaging/envoy.json'), 'utf8')) as { version: string };

export const ENVOY_VERSION: string = pin.version;

export function realEnvoyBinary(): string {
  const bin = process.env.ENVOY_BIN ?? join(root, '.cache/envoy', pin.version, 'envoy');
  if (!existsSync(bin)) {
    throw new Error(
      `real Envoy not found at ${bin}: run \`node scripts/ensure-envoy.mjs\` (npm test does) or set ENVOY_BIN`,
    );
  }
  return bin;
}

/** Writes `dir/envoy-c1`, which `exec`s the real Envoy with one worker thread (the machine is small and shared). */
export async function envoyWrapper(dir: string): Promise<string> {
  const path = join(dir, 'envoy-c1');
  await writeFile(path, `#!/bin/sh\nexec '${realEnvoyBinary()}' --concurrency 1 "$@"\n`);
  await chmod(path, 0o755);
  return path;
}

/** Pids of live processes whose command line carries `--base-id <baseId>` (Envoys of this test). */
export async function envoyPidsOf(baseId: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmd.split('\0');
    const i = args.indexOf('--base-id');
    if (i >= 0 && args[i + 1] === String(baseId)) pids.push(Number(entry));
  }
  return pids;
}

/** SIGKILLs every Envoy of this base id still alive (after its agent is gone). */
export async function killEnvoysOf(baseId: number): Promise<void> {
  for (const pid of await envoyPidsOf(baseId)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * The agent.yaml `envoy:` lines a test agent under `root` shares: real Envoy through `binaryPath`, admin on
 * loopback, its own base id, no launcher, short drains.
 */
export function envoyYamlLines(
  root: string,
  binaryPath: string,
  adminPort: number,
  baseId: number,
): string[] {
  return [
    'envoy:',
    `  config_path: ${join(root, 'envoy', 'dynamic')}`,
    `  binary_path: ${binaryPath}`,
    `  admin_address: 127.0.0.1:${adminPort}`,
    `  pid_file: ${join(root, 'envoy.pid')}`,
    `  base_id: ${baseId}`,
    `  launcher_socket: ${join(root, 'no-launcher.sock')}`,
    '  drain_time: 1s',
    '  parent_shutdown_time: 2s',
  ];
}
