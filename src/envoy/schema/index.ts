/**
 * Strict check of Envoy configuration against Envoy's own v3 API protos, PGV rules and the load-time rules
 * Envoy applies on top: our stand-in for `envoy --mode validate` where no Envoy binary is at hand.
 */
import type { Problem } from '../../util/result.ts';
import { loadSchema } from './load.ts';
import { Registry } from './registry.ts';
import { bootstrapChecks, discoveryChecks } from './documents.ts';
import { ANY_CATEGORIES, HOOKS } from './semantics.ts';
import { parseEnvoyText } from './text.ts';
import { type SchemaCheckOptions, Walker } from './walker.ts';

export type { SchemaCheckOptions } from './walker.ts';

export const BOOTSTRAP_TYPE = 'envoy.config.bootstrap.v3.Bootstrap';
export const DISCOVERY_RESPONSE_TYPE = 'envoy.service.discovery.v3.DiscoveryResponse';

export interface SchemaChecker {
  /** typeName is a full proto name, e.g. 'envoy.config.bootstrap.v3.Bootstrap'. Returns [] when valid. */
  check(typeName: string, doc: unknown, options?: SchemaCheckOptions): Problem[];
  checkBootstrap(doc: unknown, options?: SchemaCheckOptions): Problem[];
  checkDiscoveryResponse(doc: unknown, options?: SchemaCheckOptions): Problem[];
}

/** How the schema was loaded (for startup logs). */
export interface SchemaLoadInfo {
  readonly source: 'generated' | 'protos';
  readonly ms: number;
  readonly fingerprint: string;
  readonly fallbackReason?: string;
  readonly skippedProtoFiles: readonly string[];
}

class Checker implements SchemaChecker {
  constructor(private readonly registry: Registry) {}

  check(typeName: string, doc: unknown, options: SchemaCheckOptions = {}): Problem[] {
    const t = this.registry.message(typeName);
    if (!t) return [{ path: '', message: `unknown message type ${JSON.stringify(typeName)}` }];
    const w = new Walker(this.registry, options);
    if (typeName === 'google.protobuf.Any') w.any(doc, null);
    else w.message(t, doc, null);
    if (typeName === BOOTSTRAP_TYPE) bootstrapChecks(doc, w);
    else if (typeName === DISCOVERY_RESPONSE_TYPE) discoveryChecks(doc, w);
    return w.problems;
  }

  checkBootstrap(doc: unknown, options?: SchemaCheckOptions): Problem[] {
    return this.check(BOOTSTRAP_TYPE, doc, options);
  }

  checkDiscoveryResponse(doc: unknown, options?: SchemaCheckOptions): Problem[] {
    return this.check(DISCOVERY_RESPONSE_TYPE, doc, options);
  }
}

let cached: { checker: SchemaChecker; info: SchemaLoadInfo } | undefined;

function load(): { checker: SchemaChecker; info: SchemaLoadInfo } {
  if (cached) return cached;
  const loaded = loadSchema();
  const info: SchemaLoadInfo = {
    source: loaded.source,
    ms: loaded.ms,
    fingerprint: loaded.data.fingerprint,
    skippedProtoFiles: loaded.data.skippedFiles,
    ...(loaded.fallbackReason === undefined ? {} : { fallbackReason: loaded.fallbackReason }),
  };
  cached = { checker: new Checker(new Registry(loaded.data, HOOKS, ANY_CATEGORIES)), info };
  return cached;
}

/** The checker; the schema is loaded on first use (synchronously) and kept for the process. */
export function getSchemaChecker(): SchemaChecker {
  return load().checker;
}

export function getSchemaLoadInfo(): SchemaLoadInfo {
  return load().info;
}

/** Parses YAML (.yaml/.yml) or JSON text as Envoy would and checks it; the default type is Bootstrap. */
export function checkEnvoyText(
  text: string,
  fileName: string,
  typeName: string = BOOTSTRAP_TYPE,
  options?: SchemaCheckOptions,
): Problem[] {
  const parsed = parseEnvoyText(text, fileName);
  if (!parsed.ok) return parsed.problems;
  return getSchemaChecker().check(typeName, parsed.value, options);
}
