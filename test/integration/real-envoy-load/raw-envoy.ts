// The pinned Envoy started by hand (no agent), for the facts the launcher and supervisor designs rest on: a static
// bootstrap with one listener proxying to one loopback backend (http or tcp), and epochs started with exact args.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AdminClient, createAdminClient } from '../../../src/envoy/admin/client.ts';
import { realEnvoyBinary } from '../../helpers/real-envoy.ts';
import { eventually, freePort } from '../lifecycle/harness.ts';

let nextBaseId = 64_000 + (process.pid % 4000) * 8;
export const rawBaseId = (): number => nextBaseId++;

export interface RawSetup {
  readonly file: string;
  readonly adminPort: number;
  readonly port: number;
  readonly admin: AdminClient;
}

/** Writes a static bootstrap: admin on a free port, a listener on a free port, proxying to `backendPort`. */
export async function rawBootstrap(
  dir: string,
  backendPort: number,
  kind: 'http' | 'tcp' = 'http',
  name = 'raw',
): Promise<RawSetup> {
  const adminPort = await freePort();
  const port = await freePort();
  const filter =
    kind === 'tcp'
      ? {
          name: 'envoy.filters.network.tcp_proxy',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
            stat_prefix: 't',
            cluster: 'c',
          },
        }
      : {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type':
              'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
            stat_prefix: 'h',
            route_config: {
              virtual_hosts: [
                { name: 'v', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' } }] },
              ],
            },
            http_filters: [
              {
                name: 'envoy.filters.http.router',
                typed_config: {
                  '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                },
              },
            ],
          },
        };
  const bootstrap = {
    node: { id: 'raw-node', cluster: 'raw-cluster' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
    static_resources: {
      listeners: [
        {
          name: 'l',
          address: { socket_address: { address: '127.0.0.1', port_value: port } },
          filter_chains: [{ filters: [filter] }],
        },
      ],
      clusters: [
        {
          name: 'c',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: {
            cluster_name: 'c',
            endpoints: [
              {
                lb_endpoints: [
                  {
                    endpoint: {
                      address: { socket_address: { address: '127.0.0.1', port_value: backendPort } },
                    },
                  },
                ],
              },
            ],
          },
        },
      ],
    },
  };
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(bootstrap));
  return { file, adminPort, port, admin: createAdminClient({ host: '127.0.0.1', port: adminPort }) };
}

export interface RawEpoch {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly log: string;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  output(): Promise<string>;
}

/** Starts the binary with `args` (output to a file). */
export function startRaw(dir: string, label: string, args: readonly string[]): RawEpoch {
  const log = join(dir, `${label}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(realEnvoyBinary(), ['--concurrency', '1', ...args], {
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    pid: child.pid ?? -1,
    log,
    exited,
    output: () => readFile(log, 'utf8').catch(() => ''),
  };
}

/** Epoch arguments for a setup: bootstrap, base id, epoch, drain and parent shutdown times. */
export const epochArgs = (
  s: RawSetup,
  baseId: number,
  epoch: number,
  drainS: number,
  parentS: number,
): string[] => [
  '-c',
  s.file,
  '--base-id',
  String(baseId),
  '--restart-epoch',
  String(epoch),
  '--drain-time-s',
  String(drainS),
  '--parent-shutdown-time-s',
  String(parentS),
];

/** Until admin says epoch `epoch` is LIVE. */
export const rawLive = (s: RawSetup, epoch: number, timeoutMs = 30_000): Promise<true> =>
  eventually(
    `raw epoch ${epoch} LIVE`,
    async () => {
      try {
        const info = await s.admin.serverInfo();
        return info.restartEpoch === epoch && info.state === 'LIVE' ? true : undefined;
      } catch {
        return undefined;
      }
    },
    timeoutMs,
  );

export function killAll(epochs: readonly RawEpoch[]): void {
  for (const e of epochs) {
    try {
      process.kill(e.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
