import { stringify } from 'yaml';
import { type ConfigResult, parseAgentConfig } from '../../../src/config/index.ts';
import { formatProblem } from '../../../src/util/result.ts';

/** A minimal valid configuration: the defaults need only a load balancer id. */
export const BASE = { vpsie: { loadbalancer_id: 'lb-1' } };

/** BASE with `key` (dotted) set to `value`. */
export function withKey(
  key: string,
  value: unknown,
  base: Record<string, unknown> = BASE,
): Record<string, unknown> {
  const doc = structuredClone(base) as Record<string, Record<string, unknown>>;
  const parts = key.split('.');
  if (parts.length === 1) {
    (doc as Record<string, unknown>)[parts[0]!] = value;
  } else {
    const section = parts[0]!;
    doc[section] = { ...(doc[section] ?? {}), [parts[1]!]: value };
  }
  return doc;
}

export function parseObject(doc: unknown, baseDir?: string): ConfigResult {
  return parseAgentConfig(stringify(doc), 'agent.yaml', baseDir === undefined ? {} : { baseDir });
}

/** The formatted problems of a result that must have failed. */
export function problemsOf(r: ConfigResult): string[] {
  if (r.ok) throw new Error(`expected problems, got a valid configuration`);
  return r.problems.map(formatProblem);
}
