/**
 * Typed client for Envoy's admin API (envoy-notes §3). Every call has a deadline and a body cap; every body is
 * parsed into a type here, at the edge; every failure is an AdminError naming the endpoint.
 */
import { request } from 'node:http';
import type { z } from 'zod';
import { parseIpLiteral } from '../../spec/address.ts';
import { AdminError } from './errors.ts';
import {
  ClustersJson,
  ConfigDumpJson,
  describeIssues,
  ListenersJson,
  ServerInfoJson,
  StatsJson,
} from './parse.ts';

export type ServerState = 'LIVE' | 'PRE_INITIALIZING' | 'INITIALIZING' | 'DRAINING' | (string & {});

export interface AdminClientOptions {
  readonly host: string;
  readonly port: number;
  /** Deadline of one whole call: connect, request, full body. Default 5000. */
  readonly timeoutMs?: number;
  /** Body cap of every call unless the call names its own. Default 8 MiB. */
  readonly maxBodyBytes?: number;
  /** The admin API can stop and reconfigure Envoy; off loopback it must be asked for explicitly. */
  readonly allowNonLoopback?: boolean;
}

export interface Ready {
  readonly state: ServerState;
  /** 200 and LIVE. */
  readonly live: boolean;
}

export interface ServerInfo {
  readonly version: string;
  readonly state: ServerState;
  readonly hotRestartVersion: string;
  readonly uptimeCurrentEpochS: number;
  readonly uptimeAllEpochsS: number;
  readonly restartEpoch: number;
  /** uint64 in proto3 JSON, kept as the decimal string. */
  readonly baseId: string;
  readonly concurrency: number;
  readonly drainTimeS: number;
  readonly parentShutdownTimeS: number;
  readonly drainStrategy: string;
  readonly mode: string;
  readonly disableHotRestart: boolean;
  readonly nodeId: string;
  readonly nodeCluster: string;
}

/** The boolean flags of envoy.admin.v3.HostHealthStatus. False ones are absent from the JSON. */
export const FAILURE_FLAGS = [
  'failed_active_health_check',
  'failed_outlier_check',
  'failed_active_degraded_check',
  'pending_dynamic_removal',
  'pending_active_hc',
  'excluded_via_immediate_hc_fail',
  'active_hc_timeout',
] as const;
export type FailureFlag = (typeof FAILURE_FLAGS)[number];
const EDS_UNHEALTHY = new Set(['UNHEALTHY', 'DRAINING', 'TIMEOUT']);

export interface HostStatus {
  /** IP (or pipe path) and port (0 for pipes). */
  readonly address: string;
  readonly port: number;
  /** No failure flag set and the EDS status is not UNHEALTHY/DRAINING/TIMEOUT. */
  readonly healthy: boolean;
  readonly failureFlags: readonly FailureFlag[];
  /** HEALTHY unless EDS said otherwise; UNKNOWN when absent (the proto default). */
  readonly edsHealthStatus: string;
  readonly weight: number;
  readonly stats: ReadonlyMap<string, number>;
  /** STRICT_DNS / LOGICAL_DNS hosts: the DNS name the address was resolved from. */
  readonly hostname?: string;
}

export interface ClusterStatus {
  readonly name: string;
  readonly addedViaApi: boolean;
  readonly hosts: readonly HostStatus[];
}

export interface ListenerStatus {
  readonly name: string;
  readonly address: string;
  readonly port: number;
}

/** One typed dump (BootstrapConfigDump, ClustersConfigDump…) or, with `resource`, one item; `@type` kept. */
export type ConfigDumpEntry = Readonly<Record<string, unknown>> & { readonly '@type'?: unknown };
export interface ConfigDump {
  readonly configs: readonly ConfigDumpEntry[];
}

export interface ConfigDumpOptions {
  readonly mask?: string;
  readonly nameRegex?: string;
  readonly includeEds?: boolean;
  readonly maxBytes?: number;
}

/** version_info of the dynamic CDS and LDS dumps: what the running Envoy last accepted. */
export interface DynamicVersions {
  readonly clusters?: string;
  readonly listeners?: string;
}

export interface DrainOptions {
  readonly graceful?: boolean;
  readonly inboundOnly?: boolean;
  readonly skipExit?: boolean;
}

export interface AdminClient {
  readonly host: string;
  readonly port: number;
  ready(): Promise<Ready>;
  serverInfo(): Promise<ServerInfo>;
  /** Counters and gauges (text readouts and histograms left out). */
  stats(options?: { usedOnly?: boolean }): Promise<Map<string, number>>;
  /** `filter=<re2>`: Envoy applies the regex. */
  statsFiltered(regex: string, options?: { usedOnly?: boolean }): Promise<Map<string, number>>;
  /** Text readouts such as `cluster_manager.cds.version_text`. */
  textReadouts(regex?: string): Promise<Map<string, string>>;
  configDump(resource?: string, options?: ConfigDumpOptions): Promise<ConfigDump>;
  clusters(): Promise<ClusterStatus[]>;
  listeners(): Promise<ListenerStatus[]>;
  /** `signal` cancels the call (an `aborted` AdminError); the client's own deadline still applies. */
  prometheusStats(maxBytes?: number, options?: { readonly signal?: AbortSignal }): Promise<string>;
  hotRestartVersion(): Promise<string>;
  drainListeners(options?: DrainOptions): Promise<void>;
  quit(): Promise<void>;
  healthcheckFail(): Promise<void>;
  healthcheckOk(): Promise<void>;
}

/** 127.0.0.0/8, ::1 and ::ffff:127.x.y.z in any IPv6 notation, or the name localhost (dialled as 127.0.0.1). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const ip = parseIpLiteral(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
  if (ip === undefined) return false;
  // IPv4-mapped IPv6 comes back as its IPv4.
  if (ip.kind === 'ipv4') return ip.bytes[0] === 127;
  return ip.bytes.every((b, i) => b === (i === 15 ? 1 : 0));
}

/** The versions in a full `/config_dump` (a dump filtered by `resource` has no typed dumps to read). */
export function dynamicVersions(dump: ConfigDump): DynamicVersions {
  const out: { clusters?: string; listeners?: string } = {};
  for (const c of dump.configs) {
    const version = typeof c.version_info === 'string' ? c.version_info : undefined;
    if (c['@type'] === 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump') out.clusters = version;
    if (c['@type'] === 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump') out.listeners = version;
  }
  return out;
}

const VERSION_TEXT = '^(cluster_manager\\.cds|listener_manager\\.lds)\\.version_text$';

/**
 * The version_info of the last update Envoy accepted, per type, from the `version_text` text readouts. Not the
 * `/config_dump` version_info: real Envoy leaves a ListenersConfigDump's version_info where it was when an LDS
 * update changes no listener (measured on 1.40.0), while `listener_manager.lds.version_text` moves on. Also far
 * cheaper than a full config dump at 10,000 endpoints.
 */
export async function acceptedVersions(admin: Pick<AdminClient, 'textReadouts'>): Promise<DynamicVersions> {
  const t = await admin.textReadouts(VERSION_TEXT);
  const pick = (name: string): string | undefined => {
    const v = t.get(name);
    return v === undefined || v === '' ? undefined : v;
  };
  return {
    clusters: pick('cluster_manager.cds.version_text'),
    listeners: pick('listener_manager.lds.version_text'),
  };
}

/** A client as is; options (at least host and port) become a new client, `defaults` filling what they leave out. */
export function adminClientOf(
  admin: AdminClient | AdminClientOptions,
  defaults: Omit<AdminClientOptions, 'host' | 'port'> = {},
): AdminClient {
  return 'prometheusStats' in admin ? admin : createAdminClient({ ...defaults, ...admin });
}

interface RawResponse {
  readonly status: number;
  readonly body: string;
}

export function createAdminClient(options: AdminClientOptions): AdminClient {
  const { port } = options;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`admin port: must be 1..65535, got ${String(port)}`);
  }
  if (!options.allowNonLoopback && !isLoopbackHost(options.host)) {
    throw new RangeError(
      `admin host: ${options.host} is not a loopback address; set allowNonLoopback to talk to a remote admin API`,
    );
  }
  const host = options.host === 'localhost' ? '127.0.0.1' : options.host.replace(/^\[(.*)\]$/, '$1');
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;

  const call = (
    method: 'GET' | 'POST',
    path: string,
    maxBytes = maxBodyBytes,
    signal?: AbortSignal,
  ): Promise<RawResponse> => {
    const endpoint = `${method} ${path}`;
    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      const finish = (err: AdminError | undefined, value?: RawResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err !== undefined) {
          req.destroy();
          reject(err);
        } else if (value !== undefined) resolve(value);
      };
      const req = request(
        { host, port, method, path, agent: false, headers: { connection: 'close' } },
        (res) => {
          const declared = Number(res.headers['content-length'] ?? Number.NaN);
          if (declared > maxBytes) {
            finish(
              new AdminError(endpoint, 'too_large', `body of ${declared} bytes exceeds ${maxBytes} bytes`),
            );
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) {
              finish(new AdminError(endpoint, 'too_large', `body exceeds ${maxBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () =>
            finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (err) => finish(new AdminError(endpoint, 'connect', err.message)));
        },
      );
      const timer = setTimeout(
        () => finish(new AdminError(endpoint, 'timeout', `timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      req.on('error', (err: NodeJS.ErrnoException) =>
        finish(new AdminError(endpoint, 'connect', `${err.code ?? 'error'}: ${err.message}`)),
      );
      const onAbort = (): void => finish(new AdminError(endpoint, 'aborted', 'aborted by the caller'));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      if (method === 'POST') req.setHeader('content-length', '0');
      req.end();
    });
  };

  const expect = async (
    method: 'GET' | 'POST',
    path: string,
    ok: readonly number[],
    maxBytes?: number,
    signal?: AbortSignal,
  ): Promise<RawResponse> => {
    const res = await call(method, path, maxBytes, signal);
    if (!ok.includes(res.status)) {
      const snippet = res.body.slice(0, 200);
      throw new AdminError(
        `${method} ${path}`,
        'status',
        `HTTP ${res.status}: ${snippet.trim()}`,
        res.status,
        snippet,
      );
    }
    return res;
  };

  const json = async <S extends z.ZodType>(
    path: string,
    schema: S,
    maxBytes?: number,
  ): Promise<z.output<S>> => {
    const res = await expect('GET', path, [200], maxBytes);
    let raw: unknown;
    try {
      raw = JSON.parse(res.body);
    } catch (err) {
      throw new AdminError(
        `GET ${path}`,
        'parse',
        `not JSON: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new AdminError(`GET ${path}`, 'parse', describeIssues(parsed.error));
    return parsed.data;
  };

  const post = async (path: string): Promise<void> => {
    await expect('POST', path, [200]);
  };

  const statsQuery = (filter: string | undefined, usedOnly: boolean | undefined): string => {
    const q = new URLSearchParams({ format: 'json' });
    if (usedOnly) q.set('usedonly', '');
    if (filter !== undefined) q.set('filter', filter);
    return `/stats?${q.toString()}`;
  };

  const numericStats = async (
    filter: string | undefined,
    usedOnly: boolean | undefined,
  ): Promise<Map<string, number>> => {
    const body = await json(statsQuery(filter, usedOnly), StatsJson);
    const out = new Map<string, number>();
    for (const s of body.stats) if ('name' in s && typeof s.value === 'number') out.set(s.name, s.value);
    return out;
  };

  return {
    host,
    port,

    async ready() {
      const res = await expect('GET', '/ready', [200, 503]);
      const state = res.body.trim();
      if (!/^[A-Z_]+$/.test(state))
        throw new AdminError('GET /ready', 'parse', `unexpected body ${JSON.stringify(state.slice(0, 40))}`);
      return { state, live: res.status === 200 && state === 'LIVE' };
    },

    async serverInfo() {
      const j = await json('/server_info', ServerInfoJson);
      const o = j.command_line_options ?? {};
      return {
        version: j.version,
        state: j.state,
        hotRestartVersion: j.hot_restart_version ?? '',
        uptimeCurrentEpochS: j.uptime_current_epoch ?? 0,
        uptimeAllEpochsS: j.uptime_all_epochs ?? 0,
        restartEpoch: o.restart_epoch ?? 0,
        baseId: o.base_id ?? '0',
        concurrency: o.concurrency ?? 0,
        drainTimeS: o.drain_time ?? 0,
        parentShutdownTimeS: o.parent_shutdown_time ?? 0,
        drainStrategy: o.drain_strategy ?? 'Gradual',
        mode: o.mode ?? 'Serve',
        disableHotRestart: o.disable_hot_restart ?? false,
        nodeId: j.node?.id ?? '',
        nodeCluster: j.node?.cluster ?? '',
      };
    },

    stats: (opts) => numericStats(undefined, opts?.usedOnly),
    statsFiltered: (regex, opts) => numericStats(regex, opts?.usedOnly),

    async textReadouts(regex) {
      const body = await json(statsQuery(regex, false), StatsJson);
      const out = new Map<string, string>();
      for (const s of body.stats) if ('name' in s && typeof s.value === 'string') out.set(s.name, s.value);
      return out;
    },

    async configDump(resource, opts = {}) {
      const q = new URLSearchParams();
      if (resource !== undefined) q.set('resource', resource);
      if (opts.mask !== undefined) q.set('mask', opts.mask);
      if (opts.nameRegex !== undefined) q.set('name_regex', opts.nameRegex);
      if (opts.includeEds) q.set('include_eds', '');
      const qs = q.toString();
      const body = await json(`/config_dump${qs === '' ? '' : `?${qs}`}`, ConfigDumpJson, opts.maxBytes);
      return { configs: body.configs ?? [] };
    },

    async clusters() {
      const body = await json('/clusters?format=json', ClustersJson);
      return (body.cluster_statuses ?? []).map((c) => ({
        name: c.name,
        addedViaApi: c.added_via_api ?? false,
        hosts: (c.host_statuses ?? []).map((h): HostStatus => {
          const hs = h.health_status ?? {};
          const failureFlags = FAILURE_FLAGS.filter((f) => hs[f] === true);
          const eds = typeof hs.eds_health_status === 'string' ? hs.eds_health_status : 'UNKNOWN';
          const sa = h.address.socket_address;
          return {
            ...(h.hostname === undefined || h.hostname === '' ? {} : { hostname: h.hostname }),
            address: sa?.address ?? h.address.pipe?.path ?? '',
            port: sa?.port_value ?? 0,
            healthy: failureFlags.length === 0 && !EDS_UNHEALTHY.has(eds),
            failureFlags,
            edsHealthStatus: eds,
            weight: h.weight ?? 1,
            stats: new Map((h.stats ?? []).map((s) => [s.name, s.value ?? 0])),
          };
        }),
      }));
    },

    async listeners() {
      const body = await json('/listeners?format=json', ListenersJson);
      return (body.listener_statuses ?? []).map((l) => ({
        name: l.name,
        address: l.local_address?.socket_address?.address ?? l.local_address?.pipe?.path ?? '',
        port: l.local_address?.socket_address?.port_value ?? 0,
      }));
    },

    async prometheusStats(maxBytes, opts = {}) {
      return (await expect('GET', '/stats/prometheus', [200], maxBytes, opts.signal)).body;
    },

    async hotRestartVersion() {
      return (await expect('GET', '/hot_restart_version', [200])).body.trim();
    },

    async drainListeners(opts = {}) {
      const flags = [
        opts.graceful && 'graceful',
        opts.inboundOnly && 'inboundonly',
        opts.skipExit && 'skip_exit',
      ];
      const q = flags.filter((f): f is string => typeof f === 'string').join('&');
      await post(`/drain_listeners${q === '' ? '' : `?${q}`}`);
    },

    quit: () => post('/quitquitquit'),
    healthcheckFail: () => post('/healthcheck/fail'),
    healthcheckOk: () => post('/healthcheck/ok'),
  };
}

export { AdminError, type AdminErrorKind, isAdminError } from './errors.ts';
