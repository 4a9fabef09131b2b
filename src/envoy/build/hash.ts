/** The configuration hash: what decides whether Envoy must be reconfigured. */
import { createHash } from 'node:crypto';
import type { Bootstrap, ClusterResource, ListenerResource, SecretResource } from '../types/index.ts';

/**
 * JSON with object keys sorted at every level and no whitespace; arrays keep their order (order is meaning in
 * Envoy config). `undefined` members are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  let text = '';
  writeCanonical(value, (chunk) => {
    text += chunk;
  });
  return text;
}

/**
 * Streams the canonical JSON of `value` to `sink` in chunks of about 64 KiB. One pass, no per-object entry arrays and
 * no multi-megabyte string: this runs over every endpoint of a 10,000-backend cluster on every reconcile, and
 * building one huge string costs more in garbage collection than the hashing itself.
 */
export function writeCanonical(value: unknown, sink: (chunk: string) => void): void {
  let out = '';
  const write = (v: unknown): void => {
    if (v === undefined || v === null) {
      out += 'null';
      return;
    }
    switch (typeof v) {
      case 'string':
        out += JSON.stringify(v);
        return;
      case 'number':
        if (!Number.isFinite(v)) throw new Error(`bug: non-finite number ${v}`);
        out += JSON.stringify(v);
        return;
      case 'boolean':
        out += v ? 'true' : 'false';
        return;
      case 'object':
        break;
      default:
        throw new Error(`bug: cannot hash a ${typeof v}`);
    }
    if (Array.isArray(v)) {
      out += '[';
      for (let i = 0; i < v.length; i++) {
        if (i > 0) out += ',';
        write(v[i]);
      }
      out += ']';
      return;
    }
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    out += '{';
    let first = true;
    for (const k of keys) {
      const member = obj[k];
      if (member === undefined) continue;
      if (!first) out += ',';
      first = false;
      out += JSON.stringify(k);
      out += ':';
      write(member);
    }
    out += '}';
    if (out.length > 65_536) {
      sink(out);
      out = '';
    }
  };
  write(value);
  if (out.length > 0) sink(out);
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
  const hash = createHash('sha256');
  writeCanonical(
    {
      bootstrap: content.bootstrap,
      listeners: content.listeners,
      clusters: content.clusters,
      secrets: content.secrets,
      // The static bootstrap's clusters are the CDS clusters (same objects, built once): hashing them twice would
      // only cost time on large clusters. Its listeners differ (secrets by name), so they stay in.
      static_bootstrap:
        'static_resources' in content.staticBootstrap
          ? {
              ...content.staticBootstrap,
              static_resources: { ...content.staticBootstrap.static_resources, clusters: undefined },
            }
          : content.staticBootstrap,
    },
    (chunk) => hash.update(chunk, 'utf8'),
  );
  return hash.digest('hex');
}
