/** Counters, gauges and text readouts, rendered like /stats?format=json and /stats/prometheus. */

export class Stats {
  readonly counters = new Map<string, number>();
  readonly gauges = new Map<string, number>();
  readonly texts = new Map<string, string>();
  /** Stats written at least once (what `usedonly` shows). */
  private readonly used = new Set<string>();

  declare(name: string, kind: 'counter' | 'gauge'): void {
    const m = kind === 'counter' ? this.counters : this.gauges;
    if (!m.has(name)) m.set(name, 0);
  }
  inc(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
    this.used.add(name);
  }
  set(name: string, value: number): void {
    this.gauges.set(name, value);
    this.used.add(name);
  }
  text(name: string, value: string): void {
    this.texts.set(name, value);
    this.used.add(name);
  }
  get(name: string): number | undefined {
    return this.counters.get(name) ?? this.gauges.get(name);
  }

  /** Counters handed over from the parent epoch (hot restart), added once. */
  importCounters(counters: Record<string, number>): void {
    for (const [name, value] of Object.entries(counters)) if (value > 0) this.inc(name, value);
  }

  json(filter: RegExp | undefined, usedOnly: boolean): string {
    const keep = (n: string): boolean =>
      (filter === undefined || filter.test(n)) && (!usedOnly || this.used.has(n));
    // As Envoy lists them: text readouts first, then counters and gauges together, each part sorted by name.
    const byName = (a: { name: string }, b: { name: string }): number =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    const texts = [...this.texts].filter(([n]) => keep(n)).map(([name, value]) => ({ name, value }));
    const numbers: { name: string; value: number }[] = [];
    for (const m of [this.counters, this.gauges]) {
      for (const [name, value] of m) if (keep(name)) numbers.push({ name, value });
    }
    const entries = [...texts.sort(byName), ...numbers.sort(byName)];
    const histograms = {
      histograms: {
        supported_quantiles: [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100],
        computed_quantiles: [],
      },
    };
    return JSON.stringify({ stats: [...entries, histograms] }, null, 1);
  }

  prometheus(): string {
    const out: string[] = [];
    const emit = (kind: 'counter' | 'gauge', m: Map<string, number>): void => {
      const byMetric = new Map<string, string[]>();
      for (const [name, value] of [...m].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const { metric, labels } = promName(name);
        const lines = byMetric.get(metric) ?? [];
        lines.push(`${metric}${labels} ${value}`);
        byMetric.set(metric, lines);
      }
      for (const [metric, lines] of byMetric) out.push(`# TYPE ${metric} ${kind}`, ...lines);
    };
    emit('counter', this.counters);
    emit('gauge', this.gauges);
    return `${out.join('\n')}\n`;
  }
}

const sanitize = (s: string): string => s.replace(/[^a-zA-Z0-9_]/g, '_');
const escapeLabel = (s: string): string =>
  s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * A small part of Envoy's tag extraction (compared in real-envoy/conformance.test.ts): `cluster.<name>.x` →
 * `envoy_cluster_x{envoy_cluster_name="<name>"}`, likewise listeners (by address), HTTP connection managers and TCP
 * proxies (by stat prefix) and SDS secrets; untagged metrics get `{}`, as Envoy prints them.
 */
const TAGS: readonly [RegExp, string, string][] = [
  [/^cluster\.([^.]+)\.(.+)$/, 'cluster', 'envoy_cluster_name'],
  [/^listener\.((?:\d+\.){3}\d+_\d+|\[[^\]]*\]_\d+)\.(.+)$/, 'listener', 'envoy_listener_address'],
  [/^http\.([^.]+)\.(.+)$/, 'http', 'envoy_http_conn_manager_prefix'],
  [/^tcp\.([^.]+)\.(.+)$/, 'tcp', 'envoy_tcp_prefix'],
  [/^sds\.([^.]+)\.(.+)$/, 'sds', 'envoy_xds_resource_name'],
];
function promName(name: string): { metric: string; labels: string } {
  // `http.<prefix>.downstream_rq_5xx` → `envoy_http_downstream_rq_xx{envoy_response_code_class="5",…}`.
  const xx = /^http\.([^.]+)\.downstream_rq_([1-5])xx$/.exec(name);
  if (xx?.[1] !== undefined && xx[2] !== undefined) {
    const labels = `{envoy_response_code_class="${xx[2]}",envoy_http_conn_manager_prefix="${escapeLabel(xx[1])}"}`;
    return { metric: 'envoy_http_downstream_rq_xx', labels };
  }
  // `http.<prefix>.rds.<route>.x` → `envoy_http_rds_x{envoy_rds_route_config="<route>",envoy_http_conn_manager_prefix=…}`.
  const rds = /^http\.([^.]+)\.rds\.([^.]+)\.(.+)$/.exec(name);
  if (rds?.[1] !== undefined && rds[2] !== undefined && rds[3] !== undefined) {
    const labels = `{envoy_rds_route_config="${escapeLabel(rds[2])}",envoy_http_conn_manager_prefix="${escapeLabel(rds[1])}"}`;
    return { metric: `envoy_http_rds_${sanitize(rds[3])}`, labels };
  }
  for (const [re, kind, tag] of TAGS) {
    const m = re.exec(name);
    if (m?.[1] !== undefined && m[2] !== undefined) {
      return { metric: `envoy_${kind}_${sanitize(m[2])}`, labels: `{${tag}="${escapeLabel(m[1])}"}` };
    }
  }
  return { metric: `envoy_${sanitize(name)}`, labels: '{}' };
}

/**
 * The per-listener stats the agent reads (metrics summary), at 0 since the double serves no traffic: named as
 * Envoy names them (`listener.<ip>_<port>.…`, `http.<stat_prefix>.…`, `tcp.<stat_prefix>.…`).
 */
export function declareListenerStats(stats: Stats, listeners: readonly Record<string, unknown>[]): void {
  for (const l of listeners) {
    const sa = (l.address as { socket_address?: { address?: unknown; port_value?: unknown } } | undefined)
      ?.socket_address;
    if (sa !== undefined) {
      const at = `listener.${String(sa.address)}_${String(sa.port_value ?? 0)}`;
      stats.declare(`${at}.downstream_cx_active`, 'gauge');
      stats.declare(`${at}.downstream_cx_total`, 'counter');
    }
    const chains = Array.isArray(l.filter_chains) ? l.filter_chains : [];
    for (const fc of chains as { filters?: { typed_config?: Record<string, unknown> }[] }[]) {
      for (const f of fc.filters ?? []) {
        const tc = f.typed_config ?? {};
        const prefix = typeof tc.stat_prefix === 'string' ? tc.stat_prefix : undefined;
        const type = String(tc['@type'] ?? '');
        if (prefix === undefined) continue;
        if (type.endsWith('.HttpConnectionManager')) {
          for (const n of ['downstream_rq_total', 'downstream_rq_5xx', 'downstream_cx_total']) {
            stats.declare(`http.${prefix}.${n}`, 'counter');
          }
          stats.declare(`http.${prefix}.downstream_cx_active`, 'gauge');
        } else if (type.endsWith('.TcpProxy')) {
          stats.declare(`tcp.${prefix}.downstream_cx_total`, 'counter');
        }
      }
    }
  }
}
