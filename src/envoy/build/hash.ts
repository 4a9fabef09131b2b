/** The configuration hash: what decides whether Envoy must be reconfigured. */
import { createHash } from 'node:crypto';
import type { Bootstrap, ClusterResource, ListenerResource, SecretResource } from '../types/index.ts';

/**
 * JSON with object keys sorted at every level and no whitespace; arrays keep their order (order is meaning in
 * Envoy config). `undefined` members are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new Error(`bug: non-finite number ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Everything that is rendered, from both packagings. The spec's informational fields never get here. */
export interface HashedContent {
  readonly bootstrap: Bootstrap;
  readonly listeners: readonly ListenerResource[];
  readonly clusters: readonly ClusterResource[];
  readonly secrets: readonly SecretResource[];
  readonly staticBootstrap: Bootstrap;
}

/** SHA-256, 64 lower-case hex characters, of the canonical JSON of the rendered content. */
export function configHash(content: HashedContent): string {
  const canonical = canonicalJson({
    bootstrap: content.bootstrap,
    listeners: content.listeners,
    clusters: content.clusters,
    secrets: content.secrets,
    static_bootstrap: content.staticBootstrap,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
