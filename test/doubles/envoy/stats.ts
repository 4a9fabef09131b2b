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
    const entries: { name: string; value: number | string }[] = [];
    for (const m of [this.counters, this.gauges, this.texts]) {
      for (const [name, value] of m) if (keep(name)) entries.push({ name, value });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const histograms = {
      histograms: {
        supported_quantiles: [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100],
        computed_quantiles: [],
      },
    };
    return JSON.stringify({ stats: [...entries, histograms] });
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

/** A small part of Envoy's tag extraction: `cluster.<name>.x` → `envoy_cluster_x{envoy_cluster_name="<name>"}`. */
function promName(name: string): { metric: string; labels: string } {
  const m = /^(cluster|listener|sds)\.([^.]+)\.(.+)$/.exec(name);
  if (m !== null && m[1] !== undefined && m[2] !== undefined && m[3] !== undefined) {
    const tag =
      m[1] === 'cluster'
        ? 'envoy_cluster_name'
        : m[1] === 'listener'
          ? 'envoy_listener_address'
          : 'envoy_sds_name';
    return { metric: `envoy_${m[1]}_${sanitize(m[3])}`, labels: `{${tag}="${escapeLabel(m[2])}"}` };
  }
  return { metric: `envoy_${sanitize(name)}`, labels: '' };
}
