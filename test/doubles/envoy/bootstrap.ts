/** Loads the bootstrap like Envoy: file (by extension) merged with --config-yaml (MergeFrom), then the schema check. */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { formatProblem } from '../../../src/util/result.ts';
import type { Options } from './args.ts';
import type { SchemaAdapter } from './schema.ts';

export type Json = Record<string, unknown>;
export const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A failure that ends the process: `error initializing configuration '<path>': <message>` and exit 1 (or 134). */
export class ConfigError extends Error {}

export interface PathSource {
  readonly path: string;
  /** Set when the ConfigSource names a watched_directory: any move into it reloads. */
  readonly watchedDirectory?: string;
}

export interface Bootstrap {
  readonly doc: Json;
  readonly admin?: { readonly address: string; readonly port: number };
  readonly node: { readonly id: string; readonly cluster: string };
  readonly lds?: PathSource;
  readonly cds?: PathSource;
  readonly staticListeners: Json[];
  readonly staticClusters: Json[];
}

/** protobuf MergeFrom on proto3 JSON: scalars replaced, messages merged, repeated fields appended. */
export function mergeFrom(target: Json, source: Json): Json {
  const out: Json = { ...target };
  for (const [k, v] of Object.entries(source)) {
    const cur = out[k];
    if (Array.isArray(v) && Array.isArray(cur)) out[k] = [...cur, ...v];
    else if (isRecord(v) && isRecord(cur)) out[k] = mergeFrom(cur, v);
    else out[k] = v;
  }
  return out;
}

function parseText(text: string, what: string): unknown {
  try {
    return parse(text);
  } catch (err) {
    throw new ConfigError(
      `Unable to convert YAML as JSON: ${what}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

export function readBootstrapDoc(opts: Options): Json {
  let doc: Json = {};
  if (opts.configPath === '' && opts.configYaml === '') {
    throw new ConfigError(
      'At least one of --config-path or --config-yaml or Options::configProto() should be non-empty',
    );
  }
  if (opts.configPath !== '') {
    if (/\.pb(_text)?$/.test(opts.configPath)) {
      throw new ConfigError(`the test double reads only YAML/JSON bootstraps, not ${opts.configPath}`);
    }
    let text: string;
    try {
      text = readFileSync(opts.configPath, 'utf8');
    } catch {
      throw new ConfigError(`Invalid path: ${opts.configPath}`);
    }
    const parsed = parseText(text, opts.configPath);
    if (parsed !== null && parsed !== undefined && !isRecord(parsed)) {
      throw new ConfigError(
        `Unable to parse JSON as proto (INVALID_ARGUMENT: not a mapping): ${opts.configPath}`,
      );
    }
    doc = parsed ?? {};
  }
  if (opts.configYaml !== '') {
    const extra = parseText(opts.configYaml, '--config-yaml');
    if (!isRecord(extra))
      throw new ConfigError('Unable to parse JSON as proto: --config-yaml is not a mapping');
    doc = mergeFrom(doc, extra);
  }
  return doc;
}

/** Parse + check; what --mode validate does (dynamic resources are not looked at). */
export function checkBootstrap(opts: Options, schema: SchemaAdapter): Json {
  const doc = readBootstrapDoc(opts);
  let problems = schema.checkBootstrap(doc);
  if (opts.allowUnknownStaticFields) problems = problems.filter((p) => !/unknown field/i.test(p.message));
  if (problems.length > 0) throw new ConfigError(problems.map(formatProblem).join('; '));
  return doc;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const portOf = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN;
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
};
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isRecord) : []);

export function pathSourceOf(configSource: unknown): PathSource | undefined {
  if (!isRecord(configSource)) return undefined;
  const pcs = configSource.path_config_source;
  if (isRecord(pcs)) {
    const wd = pcs.watched_directory;
    const dir = isRecord(wd) ? str(wd.path) : '';
    return dir === '' ? { path: str(pcs.path) } : { path: str(pcs.path), watchedDirectory: dir };
  }
  if (typeof configSource.path === 'string') return { path: configSource.path };
  return undefined;
}

export function interpret(doc: Json, opts: Options): Bootstrap {
  const node = isRecord(doc.node) ? doc.node : {};
  const admin = isRecord(doc.admin) ? doc.admin : undefined;
  let adminAddr: Bootstrap['admin'];
  if (admin !== undefined && isRecord(admin.address)) {
    const sa = admin.address.socket_address;
    if (!isRecord(sa)) throw new ConfigError('the test double supports only socket_address admin addresses');
    const port = portOf(sa.port_value);
    if (port === undefined) throw new ConfigError(`invalid admin port_value: ${String(sa.port_value)}`);
    adminAddr = { address: str(sa.address), port };
  }
  const dyn = isRecord(doc.dynamic_resources) ? doc.dynamic_resources : {};
  const statics = isRecord(doc.static_resources) ? doc.static_resources : {};
  const lds = pathSourceOf(dyn.lds_config);
  const cds = pathSourceOf(dyn.cds_config);
  return {
    doc,
    ...(adminAddr === undefined ? {} : { admin: adminAddr }),
    node: {
      id: opts.serviceNode !== '' ? opts.serviceNode : str(node.id),
      cluster: opts.serviceCluster !== '' ? opts.serviceCluster : str(node.cluster),
    },
    ...(lds === undefined ? {} : { lds }),
    ...(cds === undefined ? {} : { cds }),
    staticListeners: list(statics.listeners),
    staticClusters: list(statics.clusters),
  };
}

/** What creating a filesystem subscription checks (subscription_factory_impl.cc); serve mode only. */
export function checkSubscription(typeUrl: string, source: PathSource, node: Bootstrap['node']): void {
  if (node.id === '' || node.cluster === '') {
    throw new ConfigError(
      `${typeUrl}: node 'id' and 'cluster' are required. Set it either in 'node' config or via --service-node and --service-cluster options.`,
    );
  }
  if (source.path === '' || !existsSync(source.path)) {
    throw new ConfigError(
      `paths must refer to an existing path in the system: '${source.path}' does not exist`,
    );
  }
  if (source.watchedDirectory !== undefined && !existsSync(source.watchedDirectory)) {
    throw new ConfigError(
      `paths must refer to an existing path in the system: '${source.watchedDirectory}' does not exist`,
    );
  }
}
