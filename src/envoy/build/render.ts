/**
 * Renders a validated LoadBalancerSpec into Envoy configuration, in two packagings of the same resources:
 *
 * - runtime layout: `bootstrap` (node, admin, overload manager, runtime) whose dynamic_resources read LDS and CDS
 *   from `paths.listeners` / `paths.clusters` (watched directory `paths.directory` = config.envoy.configPath);
 *   `listeners`, `clusters` and, for https, `secrets` are the DiscoveryResponse documents for those files
 *   (version_info = the hash). Listeners reference certificates by file-based SDS (`paths.secrets`, and
 *   `paths.caSecrets` for the client CA: one secret per file, as Envoy's SDS requires), so replacing
 *   certificate files rotates them without a restart.
 * - `staticBootstrap`: the same listeners, clusters and secrets inline in static_resources (secrets referenced by
 *   name only): what validation (`envoy --mode validate`, the schema checker) runs on.
 *
 * `files.inline` lists the inline PEMs of the spec, which the applier must write (with their modes) before Envoy
 * reads the config; Envoy config only ever names files. `hash` covers both packagings' content.
 * Pure: no I/O, no clock.
 */
import type { AgentConfig } from '../../config/types.ts';
import type { LoadBalancerSpec } from '../../spec/types.ts';
import type {
  ClusterResource,
  DiscoveryResponse,
  DynamicBootstrap,
  ListenerResource,
  SdsSecretConfig,
  SecretResource,
  StaticBootstrap,
} from '../types/index.ts';
import { TYPE_URL } from '../types/index.ts';
import { buildDynamicBootstrap, buildStaticBootstrap, fileConfigSource } from './bootstrap.ts';
import { buildCluster } from './cluster.ts';
import { configHash } from './hash.ts';
import { buildListeners } from './listener.ts';
import { names, type XdsFilePaths, xdsFilePaths } from './names.ts';
import { buildSecrets, type InlineCertFile, resolveTlsFiles, type TlsSecretRefs } from './tls.ts';

export { canonicalJson, configHash, type HashedContent } from './hash.ts';
export { inlineCertPath, type InlineCertFile } from './tls.ts';
export { toYaml } from './yaml.ts';

export interface RenderedConfig {
  readonly bootstrap: DynamicBootstrap;
  readonly listeners: DiscoveryResponse<ListenerResource>;
  readonly clusters: DiscoveryResponse<ClusterResource>;
  /** Present for https only: the certificate secret, to be written to `paths.secrets`. */
  readonly secrets?: DiscoveryResponse<SecretResource>;
  /** Present with a client CA (mTLS) only: its secret, to be written to `paths.caSecrets`. */
  readonly caSecrets?: DiscoveryResponse<SecretResource>;
  readonly staticBootstrap: StaticBootstrap;
  /** SHA-256 hex of the rendered content; also each DiscoveryResponse's version_info. */
  readonly hash: string;
  /** Where the runtime bootstrap expects the DiscoveryResponse files. */
  readonly paths: XdsFilePaths;
  readonly files: { readonly inline: readonly InlineCertFile[] };
}

export function renderEnvoyConfig(spec: LoadBalancerSpec, config: AgentConfig): RenderedConfig {
  const paths = xdsFilePaths(config);
  const https = spec.protocol === 'https' && spec.tls !== undefined;
  const tlsFiles =
    https && spec.tls !== undefined ? resolveTlsFiles(spec.tls, config.tls.certDir) : undefined;
  const secretNames = { certificate: names.certificateSecret(spec.id), ca: names.caSecret(spec.id) };
  const secrets = tlsFiles === undefined ? [] : buildSecrets(secretNames, tlsFiles);

  // Each secret has a file of its own: Envoy's SDS wants exactly one resource per response ("Unexpected SDS
  // secrets length … Expected sum is 1" rejects a file holding both the certificate and the client CA).
  const refs = (source?: (file: string) => SdsSecretConfig['sds_config']): TlsSecretRefs | undefined => {
    if (tlsFiles === undefined) return undefined;
    const ref = (name: string, file: string): SdsSecretConfig =>
      source === undefined ? { name } : { name, sds_config: source(file) };
    const certificate = ref(secretNames.certificate, paths.secrets);
    return tlsFiles.ca === undefined
      ? { certificate }
      : { certificate, ca: ref(secretNames.ca, paths.caSecrets) };
  };

  const cluster = buildCluster(spec, config);
  const fileListeners = buildListeners(
    spec,
    config,
    refs((file) => fileConfigSource(file, paths.directory)),
  );
  const staticListeners = buildListeners(spec, config, refs());

  const listenerResources = fileListeners.map(
    (l): ListenerResource => ({ '@type': TYPE_URL.listener, ...l }),
  );
  const clusterResources: ClusterResource[] = [{ '@type': TYPE_URL.cluster, ...cluster }];
  const secretResources = secrets.map((s): SecretResource => ({ '@type': TYPE_URL.secret, ...s }));
  const certSecrets = secretResources.filter((r) => r.name === secretNames.certificate);
  const caSecrets = secretResources.filter((r) => r.name === secretNames.ca);

  const bootstrap = buildDynamicBootstrap(spec, config);
  const staticBootstrap = buildStaticBootstrap(spec, config, {
    listeners: staticListeners,
    clusters: [cluster],
    ...(secrets.length === 0 ? {} : { secrets }),
  });

  const hash = configHash({
    bootstrap,
    listeners: listenerResources,
    clusters: clusterResources,
    secrets: secretResources,
    staticBootstrap,
  });

  return {
    bootstrap,
    listeners: { version_info: hash, resources: listenerResources },
    clusters: { version_info: hash, resources: clusterResources },
    ...(certSecrets.length === 0 ? {} : { secrets: { version_info: hash, resources: certSecrets } }),
    ...(caSecrets.length === 0 ? {} : { caSecrets: { version_info: hash, resources: caSecrets } }),
    staticBootstrap,
    hash,
    paths,
    files: { inline: tlsFiles?.inline ?? [] },
  };
}
