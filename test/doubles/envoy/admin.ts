/** The admin HTTP API: the endpoints, methods and shapes of envoy-notes §3. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Options } from './args.ts';
import { type Bootstrap, isRecord, type Json } from './bootstrap.ts';
import { type Control, HEALTH_FLAGS } from './control.ts';
import { HOT_RESTART_VERSION } from './hotrestart.ts';
import type { Logger } from './log.ts';
import type { Stats } from './stats.ts';
import { asDumped } from './protojson.ts';
import { certificatesOf, loadedSecret, staticRouteConfigs } from './secrets.ts';
import { type ChildRegistry, type ResourceStore, type SdsRegistry, TYPE } from './xds.ts';

export type ServerState = 'PRE_INITIALIZING' | 'INITIALIZING' | 'LIVE' | 'DRAINING';
const STATE_GAUGE: Record<ServerState, number> = {
  LIVE: 0,
  DRAINING: 1,
  PRE_INITIALIZING: 2,
  INITIALIZING: 3,
};
export const stateGauge = (s: ServerState): number => STATE_GAUGE[s];

export interface AdminModel {
  readonly opts: Options;
  readonly bootstrap: Bootstrap;
  readonly stats: Stats;
  readonly control: Control;
  readonly log: Logger;
  readonly cds: ResourceStore;
  readonly lds: ResourceStore;
  readonly sds: SdsRegistry;
  readonly xds: ChildRegistry;
  readonly version: string;
  readonly baseId: () => number;
  readonly startTimeMs: number;
  readonly originalStartTimeMs: () => number;
  readonly bootTime: string;
  state(): ServerState;
  healthcheck(fail: boolean): void;
  drainListeners(graceful: boolean, inboundOnly: boolean, skipExit: boolean): void;
  quit(): void;
}

const POST_ONLY = new Set([
  '/quitquitquit',
  '/healthcheck/fail',
  '/healthcheck/ok',
  '/drain_listeners',
  '/logging',
  '/reset_counters',
  '/reopen_logs',
  '/cpuprofiler',
  '/heapprofiler',
  '/tap',
  '/runtime_modify',
  '/stats/recentlookups/clear',
  '/stats/recentlookups/disable',
  '/stats/recentlookups/enable',
]);
/** A few of the extensions Envoy links (name, category, type URL): those the agent's configs use. */
const EXTENSIONS: readonly (readonly [string, string, string])[] = [
  [
    'envoy.filters.network.http_connection_manager',
    'envoy.filters.network',
    'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  ],
  [
    'envoy.filters.network.tcp_proxy',
    'envoy.filters.network',
    'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  ],
  ['envoy.filters.http.router', 'envoy.filters.http', 'envoy.extensions.filters.http.router.v3.Router'],
  [
    'envoy.transport_sockets.tls',
    'envoy.transport_sockets.downstream',
    'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  ],
];

const GET_PATHS = [
  '/ready',
  '/server_info',
  '/stats',
  '/stats/prometheus',
  '/clusters',
  '/config_dump',
  '/listeners',
  '/hot_restart_version',
  '/runtime',
  '/certs',
  '/memory',
  '/help',
];

const secs = (ms: number): string => `${Math.floor(ms / 1000)}s`;
const DUMP = 'type.googleapis.com/envoy.admin.v3.';

/** Repeated fields of the typed dumps and the type each item gets in a `?resource=` answer. */
const REPEATED: Record<string, string> = {
  static_clusters: 'ClustersConfigDump.StaticCluster',
  dynamic_active_clusters: 'ClustersConfigDump.DynamicCluster',
  dynamic_warming_clusters: 'ClustersConfigDump.DynamicCluster',
  static_listeners: 'ListenersConfigDump.StaticListener',
  dynamic_listeners: 'ListenersConfigDump.DynamicListener',
  static_route_configs: 'RoutesConfigDump.StaticRouteConfig',
  dynamic_route_configs: 'RoutesConfigDump.DynamicRouteConfig',
  static_scoped_route_configs: 'ScopedRoutesConfigDump.InlineScopedRouteConfigs',
  dynamic_scoped_route_configs: 'ScopedRoutesConfigDump.DynamicScopedRouteConfigs',
  static_secrets: 'SecretsConfigDump.StaticSecret',
  dynamic_active_secrets: 'SecretsConfigDump.DynamicSecret',
  dynamic_warming_secrets: 'SecretsConfigDump.DynamicSecret',
};
const SINGULAR = new Set(['bootstrap', 'last_updated', 'version_info']);

export class AdminServer {
  private readonly server: Server;
  private readonly runtime = new Map<string, string>();

  constructor(private readonly m: AdminModel) {
    this.server = createServer((req, res) => this.route(req, res));
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Closes the listener and every open connection: "from here the old epoch has no admin endpoint". */
  close(): void {
    this.server.close();
    this.server.closeAllConnections();
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    const q = url.searchParams;
    const send = (status: number, body: string, type = 'text/plain; charset=UTF-8'): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache, max-age=0' });
      res.end(body);
    };
    // Envoy pretty-prints admin JSON with a one-space indent.
    const json = (body: unknown): void => send(200, JSON.stringify(body, null, 1), 'application/json');
    if (POST_ONLY.has(path) && req.method !== 'POST') {
      send(405, `Method ${req.method ?? 'GET'} not allowed, POST required.`);
      return;
    }
    const m = this.m;
    switch (path) {
      case '/ready': {
        const s = m.state();
        send(s === 'LIVE' ? 200 : 503, `${s}\n`);
        return;
      }
      case '/server_info':
        json(this.serverInfo());
        return;
      case '/hot_restart_version':
        send(200, m.opts.disableHotRestart ? 'disabled' : HOT_RESTART_VERSION);
        return;
      case '/stats':
      case '/stats/prometheus': {
        this.refreshClusterGauges();
        if (path === '/stats/prometheus' || q.get('format') === 'prometheus') {
          send(200, m.stats.prometheus(), 'text/plain; version=0.0.4; charset=UTF-8');
          return;
        }
        let filter: RegExp | undefined;
        const f = q.get('filter');
        if (f !== null && f !== '') {
          try {
            filter = new RegExp(f);
          } catch {
            send(400, `Invalid re2 regex`);
            return;
          }
        }
        const body = m.stats.json(filter, q.has('usedonly'));
        if (q.get('format') === 'json') send(200, body, 'application/json');
        else {
          const parsed = JSON.parse(body) as { stats: { name?: string; value?: unknown }[] };
          send(
            200,
            parsed.stats
              .filter((s) => s.name !== undefined)
              // Text readouts are quoted in the text format: `cluster_manager.cds.version_text: "v1"`.
              .map(
                (s) =>
                  `${s.name}: ${typeof s.value === 'string' ? JSON.stringify(s.value) : String(s.value)}\n`,
              )
              .join(''),
          );
        }
        return;
      }
      case '/clusters':
        if (q.get('format') === 'json') json({ cluster_statuses: this.clusterStatuses() });
        else send(200, this.clustersText());
        return;
      case '/config_dump':
        this.configDump(q, send, json);
        return;
      case '/listeners': {
        const ls = this.listeners();
        if (q.get('format') === 'json') {
          json({ listener_statuses: ls.map((l) => ({ name: l.name, local_address: l.address })) });
        } else {
          send(
            200,
            ls
              .map(
                (l) =>
                  `${l.name}::${l.address.socket_address.address}:${l.address.socket_address.port_value}\n`,
              )
              .join(''),
          );
        }
        return;
      }
      case '/runtime':
        json({
          layers: ['admin'],
          entries: Object.fromEntries(
            [...this.runtime].map(([k, v]) => [k, { final_value: v, layer_values: [v] }]),
          ),
        });
        return;
      case '/certs': {
        const secrets = new Map(m.sds.secrets().map((r) => [r.name, loadedSecret(r.body)]));
        json({ certificates: certificatesOf(this.activeListeners(), (n) => secrets.get(n)) });
        return;
      }
      case '/memory':
        {
          const mem = process.memoryUsage();
          json({
            allocated: String(mem.heapUsed),
            heap_size: String(mem.heapTotal),
            pageheap_unmapped: '0',
            pageheap_free: String(mem.heapTotal - mem.heapUsed),
            total_thread_cache: '0',
            total_physical_bytes: String(mem.rss),
          });
        }
        return;
      case '/help':
        send(200, [...GET_PATHS, ...POST_ONLY].map((p) => `  ${p}\n`).join(''));
        return;
      case '/healthcheck/fail':
      case '/healthcheck/ok':
        m.healthcheck(path === '/healthcheck/fail');
        send(200, 'OK\n');
        return;
      case '/drain_listeners':
        m.drainListeners(q.has('graceful'), q.has('inboundonly'), q.has('skip_exit'));
        send(200, 'OK\n');
        return;
      case '/quitquitquit':
        res.on('finish', () => m.quit());
        send(200, 'OK\n');
        return;
      case '/reset_counters':
        for (const k of m.stats.counters.keys()) m.stats.counters.set(k, 0);
        send(200, 'OK\n');
        return;
      case '/reopen_logs':
        m.log.reopen();
        send(200, 'OK\n');
        return;
      case '/runtime_modify': {
        if ([...q.keys()].length === 0) {
          send(400, 'usage: /runtime_modify?key1=value1&key2=value2&keyN=valueN\n');
          return;
        }
        for (const [k, v] of q) v === '' ? this.runtime.delete(k) : this.runtime.set(k, v);
        send(200, 'OK\n');
        return;
      }
      case '/logging':
      case '/cpuprofiler':
      case '/heapprofiler':
      case '/tap':
      case '/stats/recentlookups/clear':
      case '/stats/recentlookups/disable':
      case '/stats/recentlookups/enable':
        send(200, 'OK\n');
        return;
      default:
        send(404, `invalid path. admin commands are:\n${GET_PATHS.map((p) => `  ${p}\n`).join('')}`);
    }
  }

  private serverInfo(): Json {
    const { opts } = this.m;
    const now = Date.now();
    return {
      version: this.m.version,
      state: this.m.state(),
      hot_restart_version: opts.disableHotRestart ? 'disabled' : HOT_RESTART_VERSION,
      command_line_options: {
        base_id: String(this.m.baseId()),
        use_dynamic_base_id: opts.useDynamicBaseId,
        base_id_path: opts.baseIdPath,
        concurrency: opts.concurrency,
        config_path: opts.configPath,
        config_yaml: opts.configYaml,
        allow_unknown_static_fields: opts.allowUnknownStaticFields,
        reject_unknown_dynamic_fields: opts.rejectUnknownDynamicFields,
        ignore_unknown_dynamic_fields: false,
        admin_address_path: opts.adminAddressPath,
        local_address_ip_version: 'v4',
        log_level: opts.logLevel,
        component_log_level: opts.componentLogLevel,
        log_format: '[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v',
        log_format_escaped: false,
        log_path: opts.logPath,
        service_cluster: opts.serviceCluster,
        service_node: opts.serviceNode,
        service_zone: '',
        drain_strategy: opts.drainStrategy === 'gradual' ? 'Gradual' : 'Immediate',
        mode: 'Serve',
        disable_hot_restart: opts.disableHotRestart,
        enable_mutex_tracing: false,
        restart_epoch: opts.restartEpoch,
        cpuset_threads: false,
        disabled_extensions: [],
        enable_fine_grain_logging: false,
        socket_path: opts.socketPath,
        socket_mode: opts.socketMode,
        enable_core_dump: false,
        stats_tag: [],
        skip_hot_restart_on_no_parent: opts.skipHotRestartOnNoParent,
        skip_hot_restart_parent_stats: false,
        skip_deprecated_logs: false,
        file_flush_min_size: 0,
        log_stacktrace_single_entry: false,
        file_flush_interval: '10s',
        drain_time: `${opts.drainTimeS}s`,
        parent_shutdown_time: `${opts.parentShutdownTimeS}s`,
      },
      node: {
        ...this.node(),
        client_features: [],
        listening_addresses: [],
        dynamic_parameters: {},
      },
      uptime_current_epoch: secs(now - this.m.startTimeMs),
      uptime_all_epochs: secs(now - this.m.originalStartTimeMs()),
      hot_restart_initializing: false,
    };
  }

  /** The node as Envoy completes it: the bootstrap's node plus the build version and the linked extensions. */
  node(): Json {
    const { bootstrap } = this.m;
    const node = isRecord(bootstrap.doc.node) ? bootstrap.doc.node : {};
    const [, semver = '0.0.0', status = 'Clean', type = 'RELEASE', ssl = 'BoringSSL'] =
      this.m.version.split('/');
    const [major, minor, patch] = semver.split('.').map(Number);
    return {
      ...node,
      id: bootstrap.node.id,
      cluster: bootstrap.node.cluster,
      user_agent_name: 'envoy',
      user_agent_build_version: {
        version: { major_number: major ?? 0, minor_number: minor ?? 0, patch: patch ?? 0 },
        metadata: {
          'revision.sha': this.m.version.split('/')[0] ?? '',
          'ssl.version': ssl,
          'build.type': type,
          'revision.status': status,
        },
      },
      extensions: EXTENSIONS.map(([name, category, typeUrl]) => ({
        name,
        category,
        type_descriptor: '',
        disabled: false,
        type_urls: [typeUrl],
      })),
    };
  }

  /** Static clusters first, then CDS ones; warming clusters are not listed (the double has none). */
  private allClusters(): { body: Json; viaApi: boolean }[] {
    return [
      ...this.m.bootstrap.staticClusters.map((body) => ({ body, viaApi: false })),
      ...[...this.m.cds.active.values()].map((r) => ({ body: r.body, viaApi: true })),
    ];
  }

  private hostsOf(
    cluster: Json,
  ): { address: string; port: number; weight: number; eds: string; hostname: string }[] {
    // EDS clusters: the assignment their subscription read.
    const la =
      cluster.type === 'EDS' ? this.m.xds.assignment(String(cluster.name ?? '')) : cluster.load_assignment;
    if (!isRecord(la) || !Array.isArray(la.endpoints)) return [];
    const out: { address: string; port: number; weight: number; eds: string; hostname: string }[] = [];
    for (const loc of la.endpoints.filter(isRecord)) {
      for (const lbe of (Array.isArray(loc.lb_endpoints) ? loc.lb_endpoints : []).filter(isRecord)) {
        const ep = isRecord(lbe.endpoint) ? lbe.endpoint : {};
        const sa =
          isRecord(ep.address) && isRecord(ep.address.socket_address) ? ep.address.socket_address : undefined;
        if (sa === undefined) continue;
        out.push({
          address: String(sa.address ?? ''),
          port: Number(sa.port_value ?? 0),
          weight: typeof lbe.load_balancing_weight === 'number' ? lbe.load_balancing_weight : 1,
          eds:
            typeof lbe.health_status === 'string' && lbe.health_status !== 'UNKNOWN'
              ? lbe.health_status
              : 'HEALTHY',
          hostname: typeof ep.hostname === 'string' ? ep.hostname : '',
        });
      }
    }
    return out;
  }

  private clusterStatuses(): Json[] {
    const health = this.m.control.healthFlags();
    return this.allClusters().map(({ body, viaApi }) => {
      const name = String(body.name ?? '');
      const hosts = this.hostsOf(body).map((h) => {
        const flags = health.get(`${h.address}:${h.port}`) ?? [];
        const hs: Json = {};
        for (const f of HEALTH_FLAGS) if (flags.includes(f)) hs[f] = true;
        hs.eds_health_status = h.eds;
        return {
          address: { socket_address: { address: h.address, port_value: h.port } },
          stats: [
            { name: 'cx_connect_fail' },
            { name: 'cx_total' },
            { name: 'rq_error' },
            { name: 'rq_success' },
            { name: 'rq_timeout' },
            { name: 'rq_total' },
            { type: 'GAUGE', name: 'cx_active' },
            { type: 'GAUGE', name: 'rq_active' },
            { type: 'GAUGE', name: 'rq_pending_active' },
          ],
          health_status: hs,
          weight: h.weight,
          ...(h.hostname === '' ? {} : { hostname: h.hostname }),
          locality: {},
        };
      });
      return {
        name,
        ...(viaApi ? { added_via_api: true } : {}),
        host_statuses: hosts,
        circuit_breakers: { thresholds: thresholdsOf(body) },
        observability_name: name,
      };
    });
  }

  /** The text form, line for line as Envoy 1.40 prints it (per-host counters are always 0 here). */
  private clustersText(): string {
    const lines: string[] = [];
    for (const c of this.clusterStatuses()) {
      const name = String(c.name);
      lines.push(`${name}::observability_name::${name}`);
      for (const t of (c.circuit_breakers as { thresholds: Json[] }).thresholds) {
        const prio = t.priority === 'HIGH' ? 'high_priority' : 'default_priority';
        for (const k of ['max_connections', 'max_pending_requests', 'max_requests', 'max_retries']) {
          lines.push(`${name}::${prio}::${k}::${String(t[k])}`);
        }
      }
      lines.push(`${name}::added_via_api::${c.added_via_api === true}`);
      for (const h of c.host_statuses as {
        address: { socket_address: { address: string; port_value: number } };
        health_status: Json;
        weight: number;
        hostname?: string;
      }[]) {
        const sa = h.address.socket_address;
        const at = `${name}::${sa.address}:${sa.port_value}`;
        for (const stat of HOST_STATS) lines.push(`${at}::${stat}::0`);
        const flags = HEALTH_FLAGS.filter((f) => h.health_status[f] === true);
        const text =
          flags.length === 0
            ? 'healthy'
            : flags.map((f) => `/${f === 'failed_active_health_check' ? 'failed_active_hc' : f}`).join('');
        lines.push(`${at}::hostname::${h.hostname ?? ''}`, `${at}::health_flags::${text}`);
        lines.push(`${at}::weight::${h.weight}`, `${at}::region::`, `${at}::zone::`, `${at}::sub_zone::`);
        lines.push(`${at}::canary::false`, `${at}::priority::0`, `${at}::success_rate::-1`);
        lines.push(`${at}::local_origin_success_rate::-1`);
      }
    }
    return lines.map((l) => `${l}\n`).join('');
  }

  /** cluster.<name>.membership_* gauges follow health.json, as real health checking would move them. */
  private refreshClusterGauges(): void {
    const health = this.m.control.healthFlags();
    for (const { body } of this.allClusters()) {
      const name = String(body.name ?? '');
      const hosts = this.hostsOf(body);
      const healthy = hosts.filter((h) => (health.get(`${h.address}:${h.port}`) ?? []).length === 0).length;
      this.m.stats.set(`cluster.${name}.membership_total`, hosts.length);
      this.m.stats.set(`cluster.${name}.membership_healthy`, healthy);
      this.m.stats.declare(`cluster.${name}.upstream_cx_total`, 'counter');
    }
  }

  /** Static listeners, then the active LDS ones. */
  private activeListeners(): Json[] {
    return [...this.m.bootstrap.staticListeners, ...[...this.m.lds.active.values()].map((r) => r.body)];
  }

  private listeners(): {
    name: string;
    address: { socket_address: { address: string; port_value: number } };
  }[] {
    const all = [...this.m.bootstrap.staticListeners, ...[...this.m.lds.active.values()].map((r) => r.body)];
    return all.map((l) => {
      const sa = isRecord(l.address) && isRecord(l.address.socket_address) ? l.address.socket_address : {};
      return {
        name: String(l.name ?? ''),
        address: {
          socket_address: { address: String(sa.address ?? ''), port_value: Number(sa.port_value ?? 0) },
        },
      };
    });
  }

  private dumps(): Json[] {
    const m = this.m;
    const boot = m.bootTime;
    const omitEmpty = (o: Json): Json =>
      Object.fromEntries(
        Object.entries(o).filter(([, v]) => !(Array.isArray(v) && v.length === 0) && v !== ''),
      );
    const clusters = omitEmpty({
      '@type': `${DUMP}ClustersConfigDump`,
      version_info: m.cds.versionInfo,
      static_clusters: m.bootstrap.staticClusters.map((c) => ({
        cluster: { '@type': TYPE.cluster, ...dumped('envoy.config.cluster.v3.Cluster', c) },
        last_updated: boot,
      })),
      dynamic_active_clusters: [...m.cds.active.values()].map((r) => ({
        version_info: r.versionInfo,
        cluster: { '@type': TYPE.cluster, ...dumped('envoy.config.cluster.v3.Cluster', r.body) },
        last_updated: r.lastUpdated,
      })),
    });
    const dynNames = new Set([...m.lds.active.keys(), ...m.lds.errors.keys()]);
    const listeners = omitEmpty({
      '@type': `${DUMP}ListenersConfigDump`,
      version_info: m.lds.versionInfo,
      static_listeners: m.bootstrap.staticListeners.map((l) => ({
        listener: { '@type': TYPE.listener, ...dumped(LISTENER, l) },
        last_updated: boot,
      })),
      dynamic_listeners: [...dynNames].map((name) => {
        const r = m.lds.active.get(name);
        const e = m.lds.errors.get(name);
        return {
          name,
          ...(r === undefined
            ? {}
            : {
                active_state: {
                  version_info: r.versionInfo,
                  listener: { '@type': TYPE.listener, ...dumped(LISTENER, r.body) },
                  last_updated: r.lastUpdated,
                },
              }),
          ...(e === undefined
            ? {}
            : {
                error_state: {
                  failed_configuration: e.failedConfiguration,
                  last_update_attempt: e.lastUpdateAttempt,
                  details: e.details,
                },
              }),
        };
      }),
    });
    const secrets = omitEmpty({
      '@type': `${DUMP}SecretsConfigDump`,
      dynamic_active_secrets: m.sds.secrets().map((s) => ({
        name: s.name,
        version_info: s.versionInfo,
        last_updated: s.lastUpdated,
        secret: {
          '@type': TYPE.secret,
          ...dumped('envoy.extensions.transport_sockets.tls.v3.Secret', loadedSecret(redact(s.body))),
        },
      })),
    });
    return [
      {
        '@type': `${DUMP}BootstrapConfigDump`,
        bootstrap: dumped('envoy.config.bootstrap.v3.Bootstrap', {
          ...redact(m.bootstrap.doc),
          node: this.node(),
        }),
        last_updated: boot,
      },
      clusters,
      listeners,
      { '@type': `${DUMP}ScopedRoutesConfigDump` },
      omitEmpty({
        '@type': `${DUMP}RoutesConfigDump`,
        static_route_configs: staticRouteConfigs(this.activeListeners(), boot),
        dynamic_route_configs: m.xds.routeConfigs().map((r) => ({
          version_info: r.versionInfo,
          last_updated: r.lastUpdated,
          route_config: {
            '@type': TYPE.route,
            ...dumped('envoy.config.route.v3.RouteConfiguration', r.body),
          },
        })),
      }),
      secrets,
    ];
  }

  private configDump(
    q: URLSearchParams,
    send: (s: number, b: string) => void,
    json: (b: unknown) => void,
  ): void {
    const resource = q.get('resource');
    if (resource === null || resource === '') {
      json({ configs: this.dumps() });
      return;
    }
    if (SINGULAR.has(resource)) {
      send(400, `${resource} is not a repeated field. Use ?mask=${resource} to get only this field`);
      return;
    }
    const itemType = REPEATED[resource];
    if (itemType === undefined) {
      send(404, `${resource} not found in config dump`);
      return;
    }
    const nameRe = q.get('name_regex');
    const re = nameRe === null || nameRe === '' ? undefined : new RegExp(nameRe);
    const items: Json[] = [];
    for (const d of this.dumps()) {
      const list = d[resource];
      if (!Array.isArray(list)) continue;
      for (const item of list.filter(isRecord)) {
        if (re !== undefined && !re.test(itemName(item))) continue;
        items.push({ '@type': `${DUMP}${itemType}`, ...item });
      }
    }
    json({ configs: items });
  }
}

function itemName(item: Json): string {
  if (typeof item.name === 'string') return item.name;
  for (const k of ['cluster', 'listener', 'secret', 'route_config']) {
    const v = item[k];
    if (isRecord(v) && typeof v.name === 'string') return v.name;
  }
  return '';
}

/** Private keys and inline secrets never leave the process (Envoy prints `[redacted]`). */
const LISTENER = 'envoy.config.listener.v3.Listener';
const dumped = (type: string, body: Json): Json => {
  const v = asDumped(type, body);
  return isRecord(v) ? v : body;
};

const HOST_STATS = [
  'cx_active',
  'cx_connect_fail',
  'cx_total',
  'rq_active',
  'rq_error',
  'rq_pending_active',
  'rq_success',
  'rq_timeout',
  'rq_total',
];

/** Both priorities, as Envoy's resource managers report them: configured values or the defaults (1024, retries 3). */
function thresholdsOf(cluster: Json): Json[] {
  const cb = isRecord(cluster.circuit_breakers) ? cluster.circuit_breakers : {};
  const configured = Array.isArray(cb.thresholds) ? cb.thresholds.filter(isRecord) : [];
  return (['DEFAULT', 'HIGH'] as const).map((priority) => {
    const t = configured.find((x) => (x.priority ?? 'DEFAULT') === priority) ?? {};
    const n = (k: string, d: number): number => (typeof t[k] === 'number' ? (t[k] as number) : d);
    return {
      ...(priority === 'HIGH' ? { priority } : {}),
      max_connections: n('max_connections', 1024),
      max_pending_requests: n('max_pending_requests', 1024),
      max_requests: n('max_requests', 1024),
      max_retries: n('max_retries', 3),
    };
  });
}

function redact(v: Json): Json {
  const walk = (x: unknown, key: string): unknown => {
    if (Array.isArray(x)) return x.map((y) => walk(y, key));
    if (isRecord(x)) {
      if (key === 'private_key' || key === 'password' || key === 'session_ticket_keys') {
        return isRecord(x) && 'filename' in x ? x : { inline_string: '[redacted]' };
      }
      return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y, k)]));
    }
    return x;
  };
  return walk(v, '') as Json;
}
