/**
 * Document-wide rules that need the whole Bootstrap or DiscoveryResponse: unique names, distinct listener
 * addresses, and resolving the cluster/secret references the per-message hooks collected during the walk.
 */
import { arr, enumName, type Obj, obj, str } from './json.ts';
import { child, type Path, pathString, typeNameOf, type Walker } from './walker.ts';

interface Item {
  readonly o: Obj;
  readonly path: Path;
}

/** Unique names (second one reported) and, for listeners, unique bound addresses. */
function checkListeners(items: Item[], w: Walker): void {
  const names = new Map<string, string>();
  const addresses = new Map<string, string>();
  for (const { o, path } of items) {
    const name = str(o.name);
    if (name !== undefined && name !== '') {
      const prev = names.get(name);
      if (prev !== undefined)
        w.report(child(path, 'name'), `duplicate listener name ${JSON.stringify(name)} (also ${prev})`);
      else names.set(name, pathString(path));
    }
    if (o.bind_to_port === false) continue;
    const a = obj(o.address);
    const sa = obj(a?.socket_address);
    let key: string | undefined;
    let at: Path = child(path, 'address');
    if (sa) {
      const port = sa.port_value;
      if (port === 0 || port === '0' || port == null) continue; // ephemeral ports never collide
      const proto = enumName(w, 'envoy.config.core.v3.SocketAddress.Protocol', sa.protocol, 'TCP');
      key = `${String(sa.address ?? '').toLowerCase()}:${String(port)}/${proto}`;
      at = child(child(at, 'socket_address'), 'port_value');
    } else if (obj(a?.pipe)) {
      key = `pipe:${String(obj(a?.pipe)?.path)}`;
      at = child(child(at, 'pipe'), 'path');
    }
    if (key === undefined) continue;
    const prev = addresses.get(key);
    if (prev !== undefined) {
      w.report(at, `listener ${JSON.stringify(name ?? '')} is on the same address (${key}) as ${prev}`);
    } else addresses.set(key, `listener ${JSON.stringify(name ?? '')}`);
  }
}

function checkUniqueNames(items: Item[], field: string, what: string, w: Walker): void {
  const seen = new Map<string, string>();
  for (const { o, path } of items) {
    const name = str(o[field]);
    if (name === undefined || name === '') continue;
    const prev = seen.get(name);
    if (prev !== undefined)
      w.report(child(path, field), `duplicate ${what} ${JSON.stringify(name)} (also ${prev})`);
    else seen.set(name, pathString(path));
  }
}

const items = (list: unknown, path: Path): Item[] =>
  arr(list).flatMap((x, i) => {
    const o = obj(x);
    return o ? [{ o, path: child(path, i) }] : [];
  });

/** Bootstrap-wide rules, run after the schema walk filled `w.facts`. */
export function bootstrapChecks(doc: unknown, w: Walker): void {
  const b = obj(doc);
  if (!b) return;
  const sr = obj(b.static_resources);
  const srp = child(null, 'static_resources');
  const listeners = items(sr?.listeners, child(srp, 'listeners'));
  const clusters = items(sr?.clusters, child(srp, 'clusters'));
  checkListeners(listeners, w);
  checkUniqueNames(clusters, 'name', 'cluster name', w);
  checkUniqueNames(items(sr?.secrets, child(srp, 'secrets')), 'name', 'secret name', w);

  const dr = obj(b.dynamic_resources);
  const node = obj(b.node);
  if ((dr?.lds_config != null || dr?.cds_config != null) && (!str(node?.id) || !str(node?.cluster))) {
    w.report(child(null, 'node'), "node 'id' and 'cluster' are required for xDS subscriptions (LDS/CDS)");
  }
  const staticTypes = new Map<string, string>();
  for (const { o } of clusters) {
    const n = str(o.name);
    if (n && !staticTypes.has(n))
      staticTypes.set(n, enumName(w, 'envoy.config.cluster.v3.Cluster.DiscoveryType', o.type, 'STATIC'));
  }
  const dynamicClusters = dr?.cds_config != null || dr?.cds_resources_locator != null;
  // The same spot can be seen by two hooks (EnvoyGrpc inside an ApiConfigSource); the xDS one is stricter.
  const refs = new Map<string, { name: string; path: Path; xds: boolean }>();
  for (const r of w.facts.clusterRefs) {
    const k = pathString(r.path);
    const prev = refs.get(k);
    if (!prev || (r.xds && !prev.xds)) refs.set(k, r);
  }
  for (const r of refs.values()) {
    const t = staticTypes.get(r.name);
    if (r.xds) {
      if (t === undefined) {
        w.report(
          r.path,
          `cluster ${JSON.stringify(r.name)} is not defined in static_resources.clusters (xDS servers need a static, non-EDS cluster)`,
        );
      } else if (t === 'EDS') {
        w.report(
          r.path,
          `cluster ${JSON.stringify(r.name)} is an EDS cluster; xDS servers need a static, non-EDS cluster`,
        );
      }
    } else if (t === undefined && !dynamicClusters) {
      w.report(
        r.path,
        `cluster ${JSON.stringify(r.name)} is not defined (no static cluster has this name and there is no CDS)`,
      );
    }
  }
  const secrets = new Set(
    items(sr?.secrets, null).flatMap(({ o }) => (typeof o.name === 'string' ? [o.name] : [])),
  );
  for (const s of w.facts.staticSecretRefs) {
    if (!secrets.has(s.name)) {
      w.report(
        s.path,
        `unknown static secret ${JSON.stringify(s.name)} (no sds_config, and static_resources.secrets has no such secret)`,
      );
    }
  }
}

const NAME_FIELD: Readonly<Record<string, [string, string]>> = {
  'envoy.config.listener.v3.Listener': ['name', 'listener name'],
  'envoy.config.cluster.v3.Cluster': ['name', 'cluster name'],
  'envoy.config.route.v3.RouteConfiguration': ['name', 'route configuration name'],
  'envoy.config.route.v3.ScopedRouteConfiguration': ['name', 'scoped route configuration name'],
  'envoy.config.route.v3.VirtualHost': ['name', 'virtual host name'],
  'envoy.config.endpoint.v3.ClusterLoadAssignment': ['cluster_name', 'cluster_name'],
  'envoy.extensions.transport_sockets.tls.v3.Secret': ['name', 'secret name'],
};

/** DiscoveryResponse rules: resources match type_url, no name twice, listeners on distinct addresses. */
const SECRET_TYPE = 'envoy.extensions.transport_sockets.tls.v3.Secret';

export function discoveryChecks(doc: unknown, w: Walker): void {
  const d = obj(doc);
  if (!d) return;
  const want = str(d.type_url);
  const wantName = want === undefined || want === '' ? undefined : typeNameOf(want);
  const byType = new Map<string, Item[]>();
  arr(d.resources).forEach((r, i) => {
    let o = obj(r);
    let path: Path = child(child(null, 'resources'), i);
    let url = str(o?.['@type']);
    if (url !== undefined && typeNameOf(url) === 'envoy.service.discovery.v3.Resource') {
      path = child(path, 'resource');
      o = obj(o?.resource);
      url = str(o?.['@type']);
    }
    const name = url === undefined ? undefined : typeNameOf(url);
    if (!o || name === undefined || !w.registry.hasMessage(name)) return;
    if (wantName !== undefined && name !== wantName) {
      w.report(child(path, '@type'), `resource type ${name} does not match the response type_url ${want}`);
    }
    const list = byType.get(name) ?? [];
    list.push({ o, path });
    byType.set(name, list);
  });
  for (const [type, list] of byType) {
    // Secrets come in such a file only through SDS, and an SDS subscription takes exactly one secret per response
    // (SdsApi: "Unexpected SDS secrets length … Expected sum is 1" rejects the whole file).
    if (type === SECRET_TYPE && list.length > 1) {
      for (const item of list.slice(1)) {
        w.report(item.path, `an SDS response holds exactly one secret; this file has ${list.length}`);
      }
    }
    if (type === 'envoy.config.listener.v3.Listener') checkListeners(list, w);
    else {
      const nf = NAME_FIELD[type];
      if (nf) checkUniqueNames(list, nf[0], nf[1], w);
    }
  }
}
