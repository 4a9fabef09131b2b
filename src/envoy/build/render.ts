/**
 * Renders the model into Envoy configuration, in two packagings of the same resources:
 *
 * - runtime layout: `bootstrap` (node, admin, overload manager, runtime) whose dynamic_resources read LDS and CDS
 *   from files in the watched directory `paths.directory` (= config.envoy.configPath); listeners take their route
 *   configurations by RDS (`paths.routes`), IP-only clusters their endpoints by EDS (`paths.endpoints`), and TLS
 *   contexts their certificates by SDS (`paths.secrets`). So a change to domains or redirects replaces routes only,
 *   a backend change endpoints only, and a certificate change secrets only; each file's version_info is the digest
 *   of its own resources, so a file whose resources did not change is not touched at all.
 * - `staticBootstrap`: the same resources inline in static_resources (routes in the HCMs, endpoints in STATIC
 *   clusters, secrets by name): what validation (`envoy --mode validate`, the schema checker) runs on.
 *
 * `files.inline` lists the inline PEMs, which the applier must write (with their modes) before Envoy reads the
 * config; Envoy config only ever names files. `hash` covers everything rendered. Pure: no I/O, no clock.
 */
import { createHash } from 'node:crypto';
import type { AgentConfig } from '../../config/types.ts';
import type { CertificateItem, LoadBalancerModel } from '../../model/types.ts';
import type {
  ClusterLoadAssignmentResource,
  ClusterResource,
  DiscoveryResponse,
  DynamicBootstrap,
  ListenerResource,
  RouteConfigurationResource,
  SdsSecretConfig,
  SecretResource,
  StaticBootstrap,
  XdsResource,
} from '../types/index.ts';
import { TYPE_URL } from '../types/index.ts';
import { buildDynamicBootstrap, buildStaticBootstrap, fileConfigSource } from './bootstrap.ts';
import { buildCluster, needsDns } from './cluster.ts';
import { buildLoadAssignment } from './endpoints.ts';
import { writeCanonical } from './hash.ts';
import { buildListeners } from './listener.ts';
import { endpointsFile, routeFile, secretFile, type XdsFilePaths, xdsFilePaths } from './names.ts';
import { buildRouteConfiguration } from './route.ts';
import { buildSecrets, type InlineCertFile, resolveTlsFiles } from './tls.ts';

export { canonicalJson, configHash, type HashedContent } from './hash.ts';
export { inlineCertPath, type InlineCertFile } from './tls.ts';
export { toYaml } from './yaml.ts';

export interface RenderedConfig {
  readonly bootstrap: DynamicBootstrap;
  readonly listeners: DiscoveryResponse<ListenerResource>;
  /** One document (and file) per route configuration. */
  readonly routes: readonly XdsFile<RouteConfigurationResource>[];
  readonly clusters: DiscoveryResponse<ClusterResource>;
  /** One document (and file) per EDS cluster. */
  readonly endpoints: readonly XdsFile<ClusterLoadAssignmentResource>[];
  /** One document (and file) per SDS secret (Envoy's SDS takes exactly one secret per response). */
  readonly secrets: readonly XdsFile<SecretResource>[];
  readonly staticBootstrap: StaticBootstrap;
  /** SHA-256 hex of everything rendered. */
  readonly hash: string;
  /** Where the runtime bootstrap expects the DiscoveryResponse files. */
  readonly paths: XdsFilePaths;
  readonly files: { readonly inline: readonly InlineCertFile[] };
}

/** A per-resource xDS file: the resource's name, where it goes, what it holds. */
export interface XdsFile<R extends XdsResource> {
  readonly name: string;
  readonly path: string;
  readonly document: DiscoveryResponse<R>;
}

/**
 * A file's version: SHA-256 of its resources' JSON. The builders write every object in a fixed key order, so the
 * plain (native, fast) JSON is canonical for what they build.
 */
function resourcesDigest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value), 'utf8').digest('hex');
}

/** SHA-256 hex of the canonical JSON of `value`. */
function digest(value: unknown): string {
  const hash = createHash('sha256');
  writeCanonical(value, (chunk) => hash.update(chunk, 'utf8'));
  return hash.digest('hex');
}

function response<R extends XdsResource>(resources: R[]): DiscoveryResponse<R> {
  return { version_info: resourcesDigest(resources), resources };
}

export function renderEnvoyConfig(model: LoadBalancerModel, config: AgentConfig): RenderedConfig {
  const paths = xdsFilePaths(config);
  const certDir = config.tls.certDir;

  // Only certificates a listener serves become secrets (a tls_config on an http LB is checked, not served).
  const served = new Set(model.listeners.flatMap((l) => l.tlsChains.map((t) => t.certificate)));
  const certificates = new Map<string, CertificateItem>(model.certificates.map((c) => [c.secretName, c]));
  const inline: InlineCertFile[] = [];
  const secrets = model.certificates
    .filter((c) => served.has(c.secretName))
    .flatMap((c) => {
      const files = resolveTlsFiles(c.tls, certDir);
      inline.push(...files.inline);
      return buildSecrets({ certificate: c.secretName, ca: c.caSecretName }, files);
    });

  const fileRef = (name: string): SdsSecretConfig => ({
    name,
    sds_config: fileConfigSource(secretFile(paths, name), paths.secretsDirectory),
  });
  const staticRef = (name: string): SdsSecretConfig => ({ name });
  const routeConfigs = model.listeners.filter((l) => l.kind !== 'tcp').map(buildRouteConfiguration);
  const routesByName = new Map(routeConfigs.map((r) => [r.name, r]));
  const rdsOf = (name: string | undefined) =>
    fileConfigSource(
      name === undefined ? paths.routesDirectory : routeFile(paths, name),
      paths.routesDirectory,
    );
  const fileListeners = model.listeners.flatMap((l) =>
    buildListeners(l, config, { routes: { rds: rdsOf(l.routeName) }, secretRef: fileRef, certificates }),
  );
  const staticListeners = model.listeners.flatMap((l) => {
    const route = l.routeName === undefined ? undefined : routesByName.get(l.routeName);
    return buildListeners(l, config, {
      // tcp listeners never read it
      routes: route === undefined ? { rds: rdsOf(undefined) } : { inline: route },
      secretRef: staticRef,
      certificates,
    });
  });

  const edsOf = (name: string) => fileConfigSource(endpointsFile(paths, name), paths.endpointsDirectory);
  const fileClusters = model.pools.map((p) => buildCluster(p, config, edsOf(p.name)));
  // EDS clusters carry their endpoints in a file at runtime and inline (STATIC) in the static packaging: the same
  // assignment object for both, built once.
  const assignments = model.pools.filter((p) => !needsDns(p.backends)).map(buildLoadAssignment);
  const byCluster = new Map(assignments.map((a) => [a.cluster_name, a]));
  const staticClusters = fileClusters.map((c) => {
    const assignment = byCluster.get(c.name);
    if (c.type !== 'EDS' || assignment === undefined) return c;
    const { eds_cluster_config: _eds, ...rest } = c;
    return { ...rest, type: 'STATIC' as const, load_assignment: assignment };
  });

  const listeners = response(
    fileListeners.map((l): ListenerResource => ({ '@type': TYPE_URL.listener, ...l })),
  );
  const routes = routeConfigs.map((r) => ({
    name: r.name,
    path: routeFile(paths, r.name),
    document: response([{ '@type': TYPE_URL.routeConfiguration, ...r } as RouteConfigurationResource]),
  }));
  const clusters = response(fileClusters.map((c): ClusterResource => ({ '@type': TYPE_URL.cluster, ...c })));
  const endpoints = assignments.map((a) => ({
    name: a.cluster_name,
    path: endpointsFile(paths, a.cluster_name),
    document: response([{ '@type': TYPE_URL.clusterLoadAssignment, ...a } as ClusterLoadAssignmentResource]),
  }));
  const secretFiles = secrets.map((s) => ({
    name: s.name,
    path: secretFile(paths, s.name),
    document: response([{ '@type': TYPE_URL.secret, ...s } as SecretResource]),
  }));

  const bootstrap = buildDynamicBootstrap(model, config);
  const staticBootstrap = buildStaticBootstrap(model, config, {
    listeners: staticListeners,
    clusters: staticClusters,
    ...(secrets.length === 0 ? {} : { secrets }),
  });
  // The static packaging is a function of the same model as the runtime files, so the runtime documents decide.
  const hash = digest({
    bootstrap,
    listeners: listeners.version_info,
    routes: routes.map((r) => [r.name, r.document.version_info]),
    clusters: clusters.version_info,
    endpoints: endpoints.map((e) => [e.name, e.document.version_info]),
    secrets: secretFiles.map((f) => [f.name, f.document.version_info]),
  });

  return {
    bootstrap,
    listeners,
    routes,
    clusters,
    endpoints,
    secrets: secretFiles,
    staticBootstrap,
    hash,
    paths,
    files: { inline },
  };
}
