/**
 * What Envoy checks at load time beyond the protos: extension categories, terminal filters, listener and
 * cluster rules, cross-references (clusters, static secrets, files), regex syntax.
 * Hooks run per message during the walk; `bootstrapChecks` / `discoveryChecks` resolve references after it.
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { re2Error } from './re2.ts';
import { arr, enumName, type Obj, obj, str } from './json.ts';
import type { Category, Hook } from './registry.ts';
import { child, type Path, pathString, typeNameOf, type Walker } from './walker.ts';

const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3';
const TYPED_STRUCTS = new Set(['xds.type.v3.TypedStruct', 'udpa.type.v1.TypedStruct']);

const prefixCategory = (label: string, prefixes: string[]): Category => ({
  label,
  allows: (name) => prefixes.some((p) => name.startsWith(p)),
});

/** Extension points whose Any must be of one family. Keyed `<message>.<field>`. */
export const ANY_CATEGORIES: Readonly<Record<string, Category>> = {
  [`${HCM}.HttpFilter.typed_config`]: prefixCategory('HTTP filter', [
    'envoy.extensions.filters.http.',
    'envoy.extensions.common.matching.',
  ]),
  'envoy.config.listener.v3.Filter.typed_config': prefixCategory('network filter', [
    'envoy.extensions.filters.network.',
  ]),
  'envoy.config.listener.v3.ListenerFilter.typed_config': prefixCategory('listener filter', [
    'envoy.extensions.filters.listener.',
    'envoy.extensions.filters.udp.',
  ]),
  'envoy.config.core.v3.TransportSocket.typed_config': prefixCategory('transport socket', [
    'envoy.extensions.transport_sockets.',
  ]),
  'envoy.config.accesslog.v3.AccessLog.typed_config': prefixCategory('access logger', [
    'envoy.extensions.access_loggers.',
  ]),
};

const TERMINAL_NETWORK = new Set([
  `${HCM}.HttpConnectionManager`,
  `${HCM}.EnvoyMobileHttpConnectionManager`,
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  'envoy.extensions.filters.network.redis_proxy.v3.RedisProxy',
  'envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy',
  'envoy.extensions.filters.network.thrift_proxy.v3.ThriftProxy',
  'envoy.extensions.filters.network.echo.v3.Echo',
  'envoy.extensions.filters.network.direct_response.v3.Config',
  'envoy.extensions.filters.network.generic_proxy.v3.GenericProxy',
]);
const TERMINAL_HTTP = new Set([
  'envoy.extensions.filters.http.router.v3.Router',
  'envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec',
]);

/** The configured type of a filter entry (looking through TypedStruct), if it has one. */
function filterType(filter: unknown): string | undefined {
  const tc = obj(obj(filter)?.typed_config);
  const url = str(tc?.['@type']);
  const name = url === undefined ? undefined : typeNameOf(url);
  if (name !== undefined && TYPED_STRUCTS.has(name)) {
    const inner = str(tc?.type_url);
    return inner === undefined ? undefined : typeNameOf(inner);
  }
  return name;
}

/** Envoy's validateTerminalFilters: the terminal filter is last, and the last filter is terminal. */
function checkFilterOrder(
  filters: unknown[],
  path: Path,
  terminal: ReadonlySet<string>,
  kind: string,
  w: Walker,
): void {
  const last = filters.length - 1;
  filters.forEach((f, i) => {
    const t = filterType(f);
    if (t === undefined) return;
    const name = str(obj(f)?.name) ?? t;
    if (terminal.has(t) && i < last) {
      w.report(
        child(path, i),
        `terminal filter "${name}" (${t}) must be the last filter in the ${kind} filter chain`,
      );
    } else if (!terminal.has(t) && i === last) {
      w.report(
        child(path, i),
        `non-terminal filter "${name}" (${t}) is the last filter in the ${kind} filter chain`,
      );
    }
  });
}

const noTypedConfig: Hook = (o, path, w) => {
  if (o.typed_config == null && o.config_discovery == null) {
    w.report(child(path, 'typed_config'), `filter ${JSON.stringify(str(o.name) ?? '')} has no typed_config`);
  }
};

function checkIpLiteral(sa: Obj | undefined, path: Path, why: string, w: Walker): void {
  if (!sa || sa.resolver_name != null) return;
  const a = str(sa.address);
  if (a !== undefined && a !== '' && isIP(a) === 0) {
    w.report(child(path, 'address'), `malformed IP address ${JSON.stringify(a)} (${why})`);
  }
}

const listenerHook: Hook = (l, path, w) => {
  const address = obj(l.address);
  const isApi = l.api_listener != null;
  if (!address && l.internal_listener == null && !isApi) {
    w.report(
      child(path, 'address'),
      'listener has no address (and is neither an internal nor an API listener)',
    );
  }
  const sa = obj(address?.socket_address);
  const listenerIp = 'a listener binds to an IP address, not a host name';
  checkIpLiteral(sa, child(child(path, 'address'), 'socket_address'), listenerIp, w);
  arr(l.additional_addresses).forEach((x, i) => {
    const p = child(child(child(path, 'additional_addresses'), i), 'address');
    checkIpLiteral(obj(obj(obj(x)?.address)?.socket_address), child(p, 'socket_address'), listenerIp, w);
  });
  const udp = enumName(w, 'envoy.config.core.v3.SocketAddress.Protocol', sa?.protocol, 'TCP') === 'UDP';
  const quic = obj(l.udp_listener_config)?.quic_options != null;
  const chains = arr(l.filter_chains);
  if (chains.length === 0 && l.default_filter_chain == null && !isApi && !(udp && !quic)) {
    w.report(child(path, 'filter_chains'), 'listener has no filter chains');
  }
  chains.forEach((c, i) => {
    const fp = child(child(child(path, 'filter_chains'), i), 'filters');
    checkFilterOrder(arr(obj(c)?.filters), fp, TERMINAL_NETWORK, 'network', w);
  });
  const dfc = obj(l.default_filter_chain);
  if (dfc)
    checkFilterOrder(
      arr(dfc.filters),
      child(child(path, 'default_filter_chain'), 'filters'),
      TERMINAL_NETWORK,
      'network',
      w,
    );
};

const hcmHook: Hook = (h, path, w) => {
  const filters = arr(h.http_filters);
  if (filters.length > 0) checkFilterOrder(filters, child(path, 'http_filters'), TERMINAL_HTTP, 'HTTP', w);
};

/** Upstream HTTP filter chains (router, cluster protocol options) must end with the upstream codec. */
const TERMINAL_UPSTREAM_HTTP = new Set(['envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec']);
const upstreamFilters =
  (field: string): Hook =>
  (o, path, w) => {
    const filters = arr(o[field]);
    if (filters.length > 0)
      checkFilterOrder(filters, child(path, field), TERMINAL_UPSTREAM_HTTP, 'upstream HTTP', w);
  };

/** Calls `f` for each host socket_address of a cluster's load_assignment; paths are built lazily. */
function forEachEndpointAddress(c: Obj, path: Path, f: (sa: Obj, at: () => Path) => void): void {
  const la = obj(c.load_assignment);
  if (!la) return;
  const localities = arr(la.endpoints);
  for (let i = 0; i < localities.length; i++) {
    const lbs = arr(obj(localities[i])?.lb_endpoints);
    for (let j = 0; j < lbs.length; j++) {
      const sa = obj(obj(obj(obj(lbs[j])?.endpoint)?.address)?.socket_address);
      if (!sa) continue;
      f(sa, () => {
        let p: Path = child(child(child(path, 'load_assignment'), 'endpoints'), i);
        for (const k of ['lb_endpoints', j, 'endpoint', 'address', 'socket_address']) p = child(p, k);
        return p;
      });
    }
  }
}

const clusterHook: Hook = (c, path, w) => {
  if (c.cluster_type != null) return; // custom cluster extension: `type` does not apply
  const type = enumName(w, 'envoy.config.cluster.v3.Cluster.DiscoveryType', c.type, 'STATIC');
  const lb = enumName(w, 'envoy.config.cluster.v3.Cluster.LbPolicy', c.lb_policy, 'ROUND_ROBIN');
  if (type === 'STATIC') {
    forEachEndpointAddress(c, path, (sa, at) => {
      const a = sa.address;
      if (sa.resolver_name != null || typeof a !== 'string' || a === '' || isIP(a) !== 0) return;
      const why = 'STATIC clusters need IP addresses; use STRICT_DNS or LOGICAL_DNS for host names';
      w.reportAt(at(), 'address', `malformed IP address ${JSON.stringify(a)} (${why})`);
    });
  } else if (type === 'LOGICAL_DNS') {
    const eps = arr(obj(c.load_assignment)?.endpoints);
    const ep = child(child(path, 'load_assignment'), 'endpoints');
    const msg = 'LOGICAL_DNS clusters must have a single locality_lb_endpoint and a single lb_endpoint';
    if (eps.length > 1) w.report(ep, msg);
    else if (eps.length === 1 && arr(obj(eps[0])?.lb_endpoints).length > 1)
      w.report(child(child(ep, 0), 'lb_endpoints'), msg);
  } else if (type === 'ORIGINAL_DST') {
    if (lb !== 'CLUSTER_PROVIDED' && c.load_balancing_policy == null) {
      w.report(
        child(path, 'lb_policy'),
        `LB policy ${lb} is not valid for cluster type ORIGINAL_DST; only CLUSTER_PROVIDED is allowed with ORIGINAL_DST`,
      );
    }
    if (c.load_assignment != null) {
      w.report(
        child(path, 'load_assignment'),
        'ORIGINAL_DST clusters must have no load assignment configured',
      );
    }
  } else if (type === 'EDS') {
    if (obj(c.eds_cluster_config)?.eds_config == null) {
      w.report(child(path, 'eds_cluster_config'), 'EDS cluster needs eds_cluster_config with an eds_config');
    }
  }
};

/** Cluster names a route configuration uses, unless it opts out with validate_clusters: false. */
const routeConfigHook: Hook = (rc, path, w) => {
  const routeName = str(rc.name) ?? '';
  const vhp = child(path, 'virtual_hosts');
  const domains = new Map<string, string>();
  const collect = rc.validate_clusters !== false;
  arr(rc.virtual_hosts).forEach((vh, i) => {
    const v = obj(vh);
    if (!v) return;
    const p = child(vhp, i);
    arr(v.domains).forEach((d, j) => {
      if (typeof d !== 'string') return;
      const key = d.toLowerCase();
      const prev = domains.get(key);
      const dp = child(child(p, 'domains'), j);
      if (prev !== undefined) {
        w.report(
          dp,
          d === '*'
            ? `only a single wildcard domain "*" is permitted in route config ${JSON.stringify(routeName)} (already in ${prev})`
            : `duplicate domain ${JSON.stringify(d)} in route config ${JSON.stringify(routeName)} (already in ${prev})`,
        );
      } else domains.set(key, pathString(dp));
    });
    if (!collect) return;
    arr(v.routes).forEach((r, k) => {
      const ra = obj(obj(r)?.route);
      if (!ra) return;
      const rp = child(child(child(p, 'routes'), k), 'route');
      const c = str(ra.cluster);
      if (c) w.facts.clusterRefs.push({ name: c, path: child(rp, 'cluster'), xds: false });
      arr(obj(ra.weighted_clusters)?.clusters).forEach((wc, m) => {
        const n = str(obj(wc)?.name);
        const wp = child(child(child(rp, 'weighted_clusters'), 'clusters'), m);
        if (n) w.facts.clusterRefs.push({ name: n, path: child(wp, 'name'), xds: false });
      });
      arr(ra.request_mirror_policies).forEach((mp, m) => {
        const n = str(obj(mp)?.cluster);
        const pp = child(child(rp, 'request_mirror_policies'), m);
        if (n) w.facts.clusterRefs.push({ name: n, path: child(pp, 'cluster'), xds: false });
      });
    });
  });
};

const weightedClusterHook: Hook = (wc, path, w) => {
  const clusters = arr(wc.clusters);
  if (clusters.length === 0) return;
  let sum = 0;
  for (const c of clusters) {
    const weight = obj(c)?.weight;
    const n = typeof weight === 'number' ? weight : typeof weight === 'string' ? Number(weight) : 0;
    if (!Number.isFinite(n)) return;
    sum += n;
  }
  if (sum === 0)
    w.report(child(path, 'clusters'), 'the sum of weights in weighted_clusters must be greater than 0');
};

const tcpProxyHook: Hook = (t, path, w) => {
  const c = str(t.cluster);
  if (c) w.facts.clusterRefs.push({ name: c, path: child(path, 'cluster'), xds: false });
  arr(obj(t.weighted_clusters)?.clusters).forEach((wc, i) => {
    const n = str(obj(wc)?.name);
    if (n) {
      const p = child(child(child(child(path, 'weighted_clusters'), 'clusters'), i), 'name');
      w.facts.clusterRefs.push({ name: n, path: p, xds: false });
    }
  });
};

const clusterField =
  (field: string): Hook =>
  (o, path, w) => {
    const n = str(o[field]);
    if (n) w.facts.clusterRefs.push({ name: n, path: child(path, field), xds: false });
  };

const apiConfigSourceHook: Hook = (a, path, w) => {
  arr(a.grpc_services).forEach((g, i) => {
    const n = str(obj(obj(g)?.envoy_grpc)?.cluster_name);
    const p = child(child(child(child(path, 'grpc_services'), i), 'envoy_grpc'), 'cluster_name');
    if (n) w.facts.clusterRefs.push({ name: n, path: p, xds: true });
  });
  arr(a.cluster_names).forEach((n, i) => {
    if (typeof n === 'string')
      w.facts.clusterRefs.push({ name: n, path: child(child(path, 'cluster_names'), i), xds: true });
  });
  const v = enumName(w, 'envoy.config.core.v3.ApiVersion', a.transport_api_version, 'AUTO');
  if (v === 'V2')
    w.report(child(path, 'transport_api_version'), 'only v3 xDS is supported (transport_api_version V2)');
};

function checkFile(file: unknown, path: Path, w: Walker, what: string): void {
  if (!w.options.checkFiles || typeof file !== 'string' || file === '') return;
  if (!existsSync(resolve(w.options.baseDir ?? process.cwd(), file))) {
    w.report(path, `${what} ${JSON.stringify(file)} does not exist`);
  }
}

const configSourceHook: Hook = (cs, path, w) => {
  checkFile(cs.path, child(path, 'path'), w, 'file');
  const pcs = obj(cs.path_config_source);
  if (pcs) {
    checkFile(pcs.path, child(child(path, 'path_config_source'), 'path'), w, 'file');
    const wd = obj(pcs.watched_directory);
    const wp = child(child(child(path, 'path_config_source'), 'watched_directory'), 'path');
    if (wd) checkFile(wd.path, wp, w, 'watched directory');
  }
  const v = enumName(w, 'envoy.config.core.v3.ApiVersion', cs.resource_api_version, 'AUTO');
  if (v === 'V2')
    w.report(child(path, 'resource_api_version'), 'only v3 xDS is supported (resource_api_version V2)');
};

const dataSourceHook: Hook = (d, path, w) => checkFile(d.filename, child(path, 'filename'), w, 'file');

const regexHook: Hook = (r, path, w) => {
  const re = str(r.regex);
  if (re === undefined) return;
  const err = re2Error(re);
  if (err !== undefined) w.report(child(path, 'regex'), `invalid RE2 regex ${JSON.stringify(re)}: ${err}`);
};

const sdsSecretHook: Hook = (s, path, w) => {
  const name = str(s.name);
  if (name && s.sds_config == null) w.facts.staticSecretRefs.push({ name, path: child(path, 'name') });
};

/**
 * Added header values are formatter strings: `%%` is a literal percent, `%NAME%`, `%NAME(args)%` and
 * `%NAME(args):N%` are commands; any other `%` makes Envoy refuse the config ("Couldn't find valid command").
 * Which command names exist is not checked.
 */
const FORMATTER_TOKEN = /%%|%[A-Z][A-Z0-9_]*(\([^)]*\))?(:\d+)?%/g;
const headerValueOptionHook: Hook = (o, path, w) => {
  const header = obj(o.header);
  const value = str(header?.value);
  if (value === undefined) return;
  const at = value.replace(FORMATTER_TOKEN, (t) => ' '.repeat(t.length)).indexOf('%');
  if (at >= 0) {
    w.report(
      child(child(path, 'header'), 'value'),
      `"%" at position ${at} starts no formatter command (write "%%" for a literal percent sign)`,
    );
  }
};

export const HOOKS: Readonly<Record<string, Hook>> = {
  'envoy.config.core.v3.HeaderValueOption': headerValueOptionHook,
  'envoy.config.listener.v3.Listener': listenerHook,
  'envoy.config.cluster.v3.Cluster': clusterHook,
  [`${HCM}.HttpConnectionManager`]: hcmHook,
  [`${HCM}.HttpFilter`]: noTypedConfig,
  'envoy.extensions.filters.http.router.v3.Router': upstreamFilters('upstream_http_filters'),
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': upstreamFilters('http_filters'),
  'envoy.config.listener.v3.Filter': noTypedConfig,
  'envoy.config.listener.v3.ListenerFilter': noTypedConfig,
  'envoy.config.route.v3.RouteConfiguration': routeConfigHook,
  'envoy.config.route.v3.WeightedCluster': weightedClusterHook,
  'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy': tcpProxyHook,
  'envoy.config.core.v3.GrpcService.EnvoyGrpc': clusterField('cluster_name'),
  'envoy.config.core.v3.HttpUri': clusterField('cluster'),
  'envoy.config.trace.v3.ZipkinConfig': clusterField('collector_cluster'),
  'envoy.config.trace.v3.DatadogConfig': clusterField('collector_cluster'),
  'envoy.config.core.v3.ApiConfigSource': apiConfigSourceHook,
  'envoy.config.core.v3.ConfigSource': configSourceHook,
  'envoy.config.core.v3.DataSource': dataSourceHook,
  'envoy.type.matcher.v3.RegexMatcher': regexHook,
  'xds.type.matcher.v3.RegexMatcher': regexHook,
  'envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig': sdsSecretHook,
};
