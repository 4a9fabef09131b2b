/**
 * A loopback fake of Envoy's admin `/clusters?format=json` and `/stats?format=json`, in Envoy's exact JSON shape
 * (proto3 JSON: false flags absent, port_value a number, stat values numbers). Tests flip host flags between ticks.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeHost {
  address: string;
  port: number;
  /** STRICT_DNS hosts carry the DNS name they were resolved from. */
  hostname?: string;
  failedActiveHc?: boolean;
  failedOutlier?: boolean;
  pendingActiveHc?: boolean;
}

export interface FakeAdmin {
  readonly port: number;
  /** Hosts of the LB cluster, keyed by cluster name. */
  clusters: Map<string, FakeHost[]>;
  stats: Map<string, number>;
  /** When set, /clusters and /stats answer this status with a text body (an admin that is not answering). */
  failWith: number | undefined;
  requests: number;
  close(): Promise<void>;
}

function hostStatus(h: FakeHost): object {
  const health: Record<string, unknown> = {};
  if (h.failedActiveHc === true) health.failed_active_health_check = true;
  if (h.failedOutlier === true) health.failed_outlier_check = true;
  if (h.pendingActiveHc === true) health.pending_active_hc = true;
  health.eds_health_status = 'HEALTHY';
  return {
    address: { socket_address: { address: h.address, port_value: h.port } },
    stats: [
      { name: 'cx_connect_fail', value: '0' },
      { name: 'rq_total', value: '3' },
      { name: 'rq_active', type: 'GAUGE' },
    ],
    health_status: health,
    weight: 1,
    ...(h.hostname === undefined ? {} : { hostname: h.hostname }),
    locality: {},
  };
}

export async function startFakeAdmin(): Promise<FakeAdmin> {
  const sockets = new Set<Socket>();
  const state: Omit<FakeAdmin, 'port' | 'close'> = {
    clusters: new Map(),
    stats: new Map(),
    failWith: undefined,
    requests: 0,
  };
  const server = http.createServer((req, res) => {
    state.requests++;
    if (req.method !== 'GET') {
      res.writeHead(405).end(`Method ${req.method} not allowed, POST required.`);
      return;
    }
    if (req.url === '/clusters?format=json') {
      if (state.failWith !== undefined) {
        res.writeHead(state.failWith, { 'content-type': 'text/plain' }).end('unavailable');
        return;
      }
      const body = {
        cluster_statuses: [
          // The admin's own cluster-like entries are unrelated and must be ignored.
          {
            name: 'unrelated',
            host_statuses: [hostStatus({ address: '10.9.9.9', port: 1, failedActiveHc: true })],
          },
          ...[...state.clusters].map(([name, hosts]) => ({
            name,
            added_via_api: true,
            host_statuses: hosts.map(hostStatus),
          })),
        ],
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body, null, 1));
      return;
    }
    if (req.url?.startsWith('/stats?format=json')) {
      if (state.failWith !== undefined) {
        res.writeHead(state.failWith, { 'content-type': 'text/plain' }).end('unavailable');
        return;
      }
      // Like Envoy, each cluster's membership gauges follow its hosts' routing health.
      const membership = [...state.clusters].flatMap(([name, hosts]) => {
        const healthy = hosts.filter((h) => !h.failedActiveHc && !h.failedOutlier && !h.pendingActiveHc);
        return [
          [`cluster.${name}.membership_total`, hosts.length],
          [`cluster.${name}.membership_healthy`, healthy.length],
        ] as const;
      });
      const filter = new URL(req.url, 'http://x').searchParams.get('filter');
      const stats = [...state.stats, ...membership]
        .filter(([name]) => filter === null || new RegExp(filter).test(name))
        .map(([name, value]) => ({ name, value }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ stats }));
      return;
    }
    res.writeHead(404).end('invalid path. admin commands are:\n');
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  // Tests mutate `state` through the returned object: it is the same object.
  return Object.assign(state, { port, close });
}
