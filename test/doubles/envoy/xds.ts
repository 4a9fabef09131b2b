/**
 * File-based xDS: each subscription reads a DiscoveryResponse file at start and again on every move (IN_MOVED_TO)
 * into its watched directory, or onto the file itself. Like LdsApiImpl/CdsApiHelper, valid resources of a partly
 * bad response are applied, the bad ones keep their last good copy, and the update counts as rejected. A file that
 * does not parse into the response type (YAML, a wrong JSON type, an unknown @type) is an update_failure and
 * changes nothing; unknown fields are dropped unless `--reject-unknown-dynamic-fields` (as on the real binary,
 * test/integration/real-envoy/validate-xds.test.ts and conformance.test.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parse } from 'yaml';
import { formatProblem, type Problem } from '../../../src/util/result.ts';
import { isRecord, type Json, type PathSource } from './bootstrap.ts';
import type { Journal, Logger } from './log.ts';
import type { SchemaAdapter } from './schema.ts';
import type { Stats } from './stats.ts';
import { onMovedTo } from './watch.ts';

const P = 'type.googleapis.com/';
export const TYPE = {
  listener: `${P}envoy.config.listener.v3.Listener`,
  cluster: `${P}envoy.config.cluster.v3.Cluster`,
  secret: `${P}envoy.extensions.transport_sockets.tls.v3.Secret`,
  route: `${P}envoy.config.route.v3.RouteConfiguration`,
  endpoint: `${P}envoy.config.endpoint.v3.ClusterLoadAssignment`,
} as const;
export type Kind = keyof typeof TYPE;

export interface Resource {
  readonly name: string;
  readonly body: Json;
  readonly versionInfo: string;
  readonly lastUpdated: string;
}

export interface ErrorState {
  readonly failedConfiguration: Json;
  readonly lastUpdateAttempt: string;
  readonly details: string;
}

/** The resources of one type: what the config dump and /clusters show. */
export class ResourceStore {
  readonly active = new Map<string, Resource>();
  readonly errors = new Map<string, ErrorState>();
  versionInfo = '';
}

/** Decides whether the next update is force-rejected (env var once per process, or a control file once). */
export interface RejectInjector {
  consume(): boolean;
}

export interface SubscriptionDeps {
  readonly schema: SchemaAdapter;
  readonly stats: Stats;
  readonly log: Logger;
  readonly journal: Journal;
  readonly reject: RejectInjector;
  /** Called after every apply (e.g. LDS → new SDS subscriptions). */
  readonly onApplied?: () => void;
  /** `--reject-unknown-dynamic-fields`: without it Envoy ignores unknown fields (and enum names) in xDS updates. */
  readonly rejectUnknownFields?: boolean;
}

type Outcome = { ok: true } | { ok: false; message: string; failure?: boolean };

/** Checker problems Envoy meets already parsing JSON into protos: the file is an update_failure, not rejected. */
const PARSE_FAILURE =
  /^(expected (a|an) |invalid duration|value .* is out of range for|value must not be negative \(|unknown type "|missing "@type")/;
/** What Envoy's JSON parser ignores in dynamic config unless told to reject it (server.dynamic_unknown_fields). */
const UNKNOWN = /^(unknown field "|unknown value ")/;

/** Deletes the member a problem path (`resources[0].a.b`) names, as Envoy's parser drops an unknown field. */
function dropPath(doc: unknown, path: string): void {
  const keys = path.match(/[^.[\]]+/g) ?? [];
  let at: unknown = doc;
  for (const k of keys.slice(0, -1)) at = isRecord(at) || Array.isArray(at) ? (at as Json)[k] : undefined;
  const last = keys.at(-1);
  if (isRecord(at) && last !== undefined) delete at[last];
}

/** RDS: `http.<stat_prefix>.rds.<route>` (the stat prefix of the first HCM naming it); EDS: `cluster.<name>`. */
const statPrefixOf = (kind: Kind, name: string, httpPrefix: string): string => {
  switch (kind) {
    case 'listener':
      return 'listener_manager.lds';
    case 'cluster':
      return 'cluster_manager.cds';
    case 'secret':
      return `sds.${name}`;
    case 'route':
      return `http.${httpPrefix}.rds.${name}`;
    case 'endpoint':
      return `cluster.${name}`;
  }
};

/** RDS and EDS subscriptions name one resource; real Envoy refuses a file with any other count or name. */
const SINGLE: Partial<Record<Kind, { what: string; field: string }>> = {
  route: { what: 'RDS', field: 'name' },
  endpoint: { what: 'EDS', field: 'cluster_name' },
};

const stable = (v: unknown): string =>
  JSON.stringify(v, (_k, val: unknown) =>
    isRecord(val) ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : 1))) : val,
  );

/** The `version` gauge: Envoy shows a hash of version_info; any stable 52-bit hash serves. */
const versionHash = (v: string): number =>
  Number.parseInt(createHash('sha256').update(v).digest('hex').slice(0, 13), 16);

export class FileSubscription {
  readonly prefix: string;

  constructor(
    readonly kind: Kind,
    readonly source: PathSource,
    readonly store: ResourceStore,
    private readonly deps: SubscriptionDeps,
    /** For SDS, RDS, EDS: the one resource name this subscription serves. */
    private readonly secretName = '',
    httpPrefix = '',
  ) {
    this.prefix = statPrefixOf(kind, secretName, httpPrefix);
    for (const s of ['update_attempt', 'update_success', 'update_rejected', 'update_failure']) {
      deps.stats.declare(`${this.prefix}.${s}`, 'counter');
    }
    deps.stats.declare(`${this.prefix}.version`, 'gauge');
  }

  /** Reads the file now and then on every move. */
  start(): void {
    this.refresh(true);
    const { path, watchedDirectory } = this.source;
    if (watchedDirectory !== undefined) onMovedTo(watchedDirectory, undefined, () => this.refresh(false));
    else onMovedTo(dirname(path), basename(path), () => this.refresh(false));
  }

  refresh(initial: boolean): void {
    const { stats, log, journal } = this.deps;
    stats.inc(`${this.prefix}.update_attempt`);
    const outcome = this.load(initial);
    if (outcome.ok) {
      stats.inc(`${this.prefix}.update_success`);
      stats.set(`${this.prefix}.version`, versionHash(this.store.versionInfo));
      stats.text(`${this.prefix}.version_text`, this.store.versionInfo);
      journal.write('update accepted', `${this.kind} version=${JSON.stringify(this.store.versionInfo)}`);
    } else if (outcome.failure === true) {
      stats.inc(`${this.prefix}.update_failure`);
      log.warn('config', `Filesystem config update failure: in ${this.source.path}, ${outcome.message}`);
      journal.write('update failed', `${this.kind} ${JSON.stringify(outcome.message)}`);
    } else {
      stats.inc(`${this.prefix}.update_rejected`);
      log.warn('config', `Filesystem config update rejected: ${outcome.message}`);
      journal.write('update rejected', `${this.kind} ${JSON.stringify(outcome.message)}`);
    }
    this.deps.onApplied?.();
  }

  private load(initial: boolean): Outcome {
    let text: string;
    try {
      text = readFileSync(this.source.path, 'utf8');
    } catch (err) {
      return {
        ok: false,
        failure: true,
        message: `unable to read file: ${this.source.path}: ${String(err)}`,
      };
    }
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (err) {
      return {
        ok: false,
        failure: true,
        message: `yaml: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    if (!initial && this.deps.reject.consume()) {
      return { ok: false, message: 'injected rejection (ENVOY_DOUBLE_REJECT_NEXT_UPDATE)' };
    }
    let problems = this.deps.schema.checkDiscoveryResponse(doc);
    const parseFailure = problems.find((p) => PARSE_FAILURE.test(p.message));
    if (parseFailure !== undefined) {
      return {
        ok: false,
        failure: true,
        message: `Unable to parse JSON as proto: ${formatProblem(parseFailure)}`,
      };
    }
    const unknown = problems.filter((p) => UNKNOWN.test(p.message));
    if (unknown.length > 0 && this.deps.rejectUnknownFields !== true) {
      // Envoy drops them with a warning and checks what is left (a dropped `name` is then a missing name).
      this.deps.stats.inc('server.dynamic_unknown_fields', unknown.length);
      this.deps.log.warn('misc', `Unknown field(s) ignored: ${unknown.map(formatProblem).join('; ')}`);
      doc = structuredClone(doc);
      for (const p of unknown) dropPath(doc, p.path);
      problems = this.deps.schema.checkDiscoveryResponse(doc);
    }
    if (!isRecord(doc))
      return { ok: false, message: problems.map(formatProblem).join('; ') || 'not a mapping' };
    const resources = Array.isArray(doc.resources) ? doc.resources : [];
    // Problems outside any one resource reject the whole response.
    const perResource = new Map<number, Problem[]>();
    const global: Problem[] = [];
    for (const p of problems) {
      const m = /^resources\[(\d+)\]/.exec(p.path);
      if (m === null) global.push(p);
      else perResource.set(Number(m[1]), [...(perResource.get(Number(m[1])) ?? []), p]);
    }
    if (global.length > 0) return { ok: false, message: global.map(formatProblem).join('; ') };
    for (const [i, r] of resources.entries()) {
      if (!isRecord(r) || r['@type'] !== TYPE[this.kind]) {
        return {
          ok: false,
          message: `resources[${i}]: unexpected type ${isRecord(r) ? String(r['@type']) : typeof r}, expected ${TYPE[this.kind]}`,
        };
      }
    }
    const single = SINGLE[this.kind];
    if (single !== undefined) {
      // rds.cc / eds.cc: validateUpdateSize, then the name check.
      if (resources.length !== 1)
        return { ok: false, message: `Unexpected ${single.what} resource length: ${resources.length}` };
      const r = resources[0];
      const got = isRecord(r) ? r[single.field] : undefined;
      if (got !== this.secretName) {
        const what = this.kind === 'route' ? 'RDS configuration' : 'EDS cluster';
        return { ok: false, message: `Unexpected ${what} (expecting ${this.secretName}): ${String(got)}` };
      }
    }
    return this.apply(doc, resources.filter(isRecord), perResource);
  }

  private apply(doc: Json, resources: Json[], perResource: Map<number, Problem[]>): Outcome {
    const { stats } = this.deps;
    const version = typeof doc.version_info === 'string' ? doc.version_info : '';
    const now = new Date().toISOString();
    const next = new Map<string, Resource>();
    const errors: string[] = [];
    resources.forEach((r, i) => {
      const { '@type': _type, ...body } = r;
      const named = this.kind === 'endpoint' ? body.cluster_name : body.name;
      const name =
        typeof named === 'string' && named !== '' ? named : this.kind === 'listener' ? randomUUID() : '';
      const bad = perResource.get(i);
      let detail = '';
      if (name === '') detail = `resources[${i}]: ${this.kind} name is required`;
      else if (next.has(name)) detail = `duplicate ${this.kind} ${name} found`;
      else if (this.kind === 'secret' && name !== this.secretName)
        detail = `unexpected SDS secret '${name}' (wanted '${this.secretName}')`;
      else if (bad !== undefined) detail = bad.map(formatProblem).join('; ');
      if (detail !== '') {
        errors.push(detail);
        const old = this.store.active.get(name);
        if (old !== undefined) next.set(name, old);
        this.store.errors.set(name, { failedConfiguration: r, lastUpdateAttempt: now, details: detail });
        return;
      }
      const old = this.store.active.get(name);
      this.store.errors.delete(name);
      if (old !== undefined && stable(old.body) === stable(body)) next.set(name, old);
      else {
        next.set(name, {
          name,
          body: this.kind === 'endpoint' ? body : { ...body, name },
          versionInfo: version,
          lastUpdated: now,
        });
        if (this.kind === 'listener' || this.kind === 'cluster') {
          const base = this.kind === 'listener' ? 'listener_manager.listener' : 'cluster_manager.cluster';
          stats.inc(`${base}_${old === undefined ? 'added' : 'modified'}`);
        }
      }
    });
    if (this.kind === 'listener' || this.kind === 'cluster') {
      for (const name of this.store.active.keys()) {
        if (!next.has(name)) {
          stats.inc(
            this.kind === 'listener'
              ? 'listener_manager.listener_removed'
              : 'cluster_manager.cluster_removed',
          );
        }
      }
    }
    this.store.active.clear();
    for (const [k, v] of next) this.store.active.set(k, v);
    if (errors.length > 0) return { ok: false, message: errors.join('; ') };
    this.store.versionInfo = version;
    return { ok: true };
  }
}

/** `{name, sds_config}` pairs anywhere inside a listener (tls_certificate_sds_secret_configs and friends). */
export function sdsConfigsIn(v: unknown, out: { name: string; source: PathSource }[] = []): typeof out {
  if (Array.isArray(v)) for (const x of v) sdsConfigsIn(x, out);
  else if (isRecord(v)) {
    const cs = v.sds_config;
    if (typeof v.name === 'string' && isRecord(cs)) {
      const pcs = cs.path_config_source;
      const path =
        isRecord(pcs) && typeof pcs.path === 'string' ? pcs.path : typeof cs.path === 'string' ? cs.path : '';
      const wd = isRecord(pcs) && isRecord(pcs.watched_directory) ? pcs.watched_directory.path : undefined;
      if (path !== '') {
        out.push({
          name: v.name,
          source: typeof wd === 'string' && wd !== '' ? { path, watchedDirectory: wd } : { path },
        });
      }
    }
    for (const x of Object.values(v)) sdsConfigsIn(x, out);
  }
  return out;
}

/** SDS subscriptions are created on first reference (static or LDS listener) and live as long as the process. */
export class SdsRegistry {
  private readonly subs = new Map<string, FileSubscription>();

  constructor(private readonly deps: SubscriptionDeps) {}

  ensure(listeners: Iterable<Json>): void {
    for (const l of listeners) {
      for (const { name, source } of sdsConfigsIn(l)) {
        if (this.subs.has(name)) continue;
        if (!existsSync(source.path)) {
          this.deps.log.warn('secret', `SDS path for '${name}' does not exist: ${source.path}`);
          continue;
        }
        const sub = new FileSubscription(
          'secret',
          source,
          new ResourceStore(),
          { ...this.deps, onApplied: undefined },
          name,
        );
        this.subs.set(name, sub);
        sub.start();
      }
    }
  }

  /** Every secret with its SDS version, for the config dump. */
  secrets(): Resource[] {
    return [...this.subs.values()].flatMap((s) => [...s.store.active.values()]);
  }
}

function pathSourceOf(cs: unknown): PathSource | undefined {
  if (!isRecord(cs)) return undefined;
  const pcs = cs.path_config_source;
  const path =
    isRecord(pcs) && typeof pcs.path === 'string' ? pcs.path : typeof cs.path === 'string' ? cs.path : '';
  if (path === '') return undefined;
  const wd = isRecord(pcs) && isRecord(pcs.watched_directory) ? pcs.watched_directory.path : undefined;
  return typeof wd === 'string' && wd !== '' ? { path, watchedDirectory: wd } : { path };
}

/** `rds` blocks of HTTP connection managers anywhere inside a listener, with the HCM's stat prefix. */
function rdsIn(v: unknown, out: { name: string; source: PathSource; statPrefix: string }[] = []): typeof out {
  if (Array.isArray(v)) for (const x of v) rdsIn(x, out);
  else if (isRecord(v)) {
    const rds = v.rds;
    if (isRecord(rds) && typeof rds.route_config_name === 'string') {
      const source = pathSourceOf(rds.config_source);
      const statPrefix = typeof v.stat_prefix === 'string' ? v.stat_prefix : '';
      if (source !== undefined) out.push({ name: rds.route_config_name, source, statPrefix });
    }
    for (const x of Object.values(v)) rdsIn(x, out);
  }
  return out;
}

/**
 * RDS (per route configuration named by a listener) and EDS (per EDS cluster) file subscriptions, created on
 * first reference and kept; each reads exactly one resource from its file, as real Envoy's do.
 */
export class ChildRegistry {
  private readonly routes = new Map<string, FileSubscription>();
  private readonly endpoints = new Map<string, FileSubscription>();

  constructor(private readonly deps: SubscriptionDeps) {}

  ensureRoutes(listeners: Iterable<Json>): void {
    for (const l of listeners) {
      for (const { name, source, statPrefix } of rdsIn(l)) {
        if (this.routes.has(name)) continue;
        const sub = new FileSubscription(
          'route',
          source,
          new ResourceStore(),
          { ...this.deps, onApplied: undefined },
          name,
          statPrefix,
        );
        this.routes.set(name, sub);
        sub.start();
      }
    }
  }

  ensureEndpoints(clusters: Iterable<Json>): void {
    for (const c of clusters) {
      if (c.type !== 'EDS' || typeof c.name !== 'string') continue;
      const source = isRecord(c.eds_cluster_config)
        ? pathSourceOf(c.eds_cluster_config.eds_config)
        : undefined;
      if (source === undefined || this.endpoints.has(c.name)) continue;
      const sub = new FileSubscription(
        'endpoint',
        source,
        new ResourceStore(),
        { ...this.deps, onApplied: undefined },
        c.name,
      );
      this.endpoints.set(c.name, sub);
      sub.start();
    }
  }

  /** The ClusterLoadAssignment an EDS cluster has, if any. */
  assignment(cluster: string): Json | undefined {
    return this.endpoints.get(cluster)?.store.active.get(cluster)?.body;
  }

  routeConfigs(): Resource[] {
    return [...this.routes.values()].flatMap((s) => [...s.store.active.values()]);
  }
}
