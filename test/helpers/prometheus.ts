/**
 * Test helpers over parse-prometheus-text-format: find a family, read one sample's value.
 *
 * The parser folds a histogram family into ONE sample and drops its labels (`flattenMetrics`), which is useless
 * for labelled histograms such as `api_request_duration_seconds{endpoint,status_class}`. So the text is parsed a
 * second time with histogram TYPE lines made `untyped`: then `<name>_count`, `<name>_sum` and `<name>_bucket`
 * come out as plain families with their labels, which `histogramCount`/`histogramSum` read.
 */
import parsePrometheusTextFormat, { type PromFamily, type PromSample } from 'parse-prometheus-text-format';

export type { PromFamily, PromSample };

export interface ParsedMetrics {
  /** Families as the parser gives them. */
  readonly families: Map<string, PromFamily>;
  /** Histogram parts (`x_count`, `x_sum`, `x_bucket`) as plain labelled families. */
  readonly histogramParts: Map<string, PromSample[]>;
  has(name: string): boolean;
}

export function parseMetrics(text: string): ParsedMetrics {
  const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
  const untyped = text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
  const histogramParts = new Map<string, PromSample[]>();
  for (const f of parsePrometheusTextFormat(untyped)) {
    // The same part name recurs once per label set; merge them.
    histogramParts.set(f.name, [...(histogramParts.get(f.name) ?? []), ...f.metrics]);
  }
  return { families, histogramParts, has: (name) => families.has(name) };
}

export function family(m: ParsedMetrics, name: string): PromFamily {
  const found = m.families.get(name);
  if (found === undefined) throw new Error(`metric family ${name} not exposed`);
  return found;
}

const labelsMatch = (s: PromSample, labels: Record<string, string>): boolean =>
  Object.entries(labels).every(([k, v]) => s.labels?.[k] === v);

/** The sample of `name` whose labels include `labels`; undefined when absent. */
export function sample(
  m: ParsedMetrics,
  name: string,
  labels: Record<string, string> = {},
): PromSample | undefined {
  return family(m, name).metrics.find((s) => labelsMatch(s, labels));
}

/** The numeric value of a counter/gauge sample (throws when absent). */
export function value(m: ParsedMetrics, name: string, labels: Record<string, string> = {}): number {
  const found = sample(m, name, labels);
  if (found?.value === undefined) throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
  return Number(found.value);
}

function histogramPart(m: ParsedMetrics, part: string, labels: Record<string, string>): number | undefined {
  const found = m.histogramParts.get(part)?.find((s) => labelsMatch(s, labels));
  return found?.value === undefined ? undefined : Number(found.value);
}

/** `_count` of the histogram series with these labels; undefined when the series does not exist. */
export function histogramCount(
  m: ParsedMetrics,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  if (family(m, name).type !== 'HISTOGRAM') throw new Error(`${name} is not a histogram`);
  return histogramPart(m, `${name}_count`, labels);
}

/** `_sum` of the histogram series with these labels; undefined when the series does not exist. */
export function histogramSum(
  m: ParsedMetrics,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  if (family(m, name).type !== 'HISTOGRAM') throw new Error(`${name} is not a histogram`);
  return histogramPart(m, `${name}_sum`, labels);
}
