// The few admin calls the lifecycle needs, each bounded by a timeout. Bodies are parsed at the edge with the
// shared admin schemas (src/envoy/admin/parse.ts).
import { request } from 'node:http';
import type { HostPort } from '../../config/types.ts';
import { ConfigDumpJson, ServerInfoJson, StatsJson } from '../admin/parse.ts';

export interface AdminAnswer {
  readonly status: number;
  readonly body: string;
}

const MAX_BODY = 16 * 1024 * 1024;

export function adminCall(
  address: HostPort,
  method: 'GET' | 'POST',
  path: string,
  timeoutMs = 2000,
): Promise<AdminAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: address.host, port: address.port, method, path, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) req.destroy(new Error(`admin ${method} ${path}: body over ${MAX_BODY} bytes`));
          else chunks.push(c);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`admin ${method} ${path}: timed out after ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}

export interface ServerInfo {
  readonly state: string;
  readonly restartEpoch: number;
  readonly baseId?: string;
}

export async function serverInfo(address: HostPort, timeoutMs?: number): Promise<ServerInfo> {
  const answer = await adminCall(address, 'GET', '/server_info', timeoutMs);
  if (answer.status !== 200) throw new Error(`admin GET /server_info: HTTP ${answer.status}`);
  const parsed = ServerInfoJson.parse(JSON.parse(answer.body));
  return {
    state: parsed.state,
    restartEpoch: parsed.command_line_options?.restart_epoch ?? 0,
    baseId: parsed.command_line_options?.base_id,
  };
}

/** Counters and gauges by name (texts and histograms left out). */
export async function statsByName(address: HostPort, filter: string): Promise<Map<string, number>> {
  const answer = await adminCall(address, 'GET', `/stats?format=json&filter=${encodeURIComponent(filter)}`);
  if (answer.status !== 200) throw new Error(`admin GET /stats: HTTP ${answer.status}`);
  const parsed = StatsJson.parse(JSON.parse(answer.body));
  const out = new Map<string, number>();
  for (const s of parsed.stats) {
    if ('name' in s && typeof s.value === 'number') out.set(s.name, s.value);
  }
  return out;
}

/** version_info of the CDS and LDS dumps: what the running Envoy last accepted. */
export async function dynamicVersions(address: HostPort): Promise<{ clusters?: string; listeners?: string }> {
  const answer = await adminCall(address, 'GET', '/config_dump');
  if (answer.status !== 200) throw new Error(`admin GET /config_dump: HTTP ${answer.status}`);
  const parsed = ConfigDumpJson.parse(JSON.parse(answer.body));
  const out: { clusters?: string; listeners?: string } = {};
  for (const c of parsed.configs ?? []) {
    const type = c['@type'];
    const version = typeof c.version_info === 'string' ? c.version_info : undefined;
    if (type === 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump') out.clusters = version;
    if (type === 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump') out.listeners = version;
  }
  return out;
}
