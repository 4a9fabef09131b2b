// The pure-ish middle of a reconcile: validated spec → rendered, schema-checked, material-checked generation.
import type { Generation } from './apply/types.ts';
import type { AgentConfig } from './config/types.ts';
import { renderedFiles } from './envoy/build/files.ts';
import { type RenderedConfig, renderEnvoyConfig } from './envoy/build/render.ts';
import { getSchemaChecker } from './envoy/schema/index.ts';
import type { PrepareOutcome } from './reconcile/reconciler.ts';
import type { LoadBalancerModel } from './model/types.ts';
import type { CertificateInfo } from './tls/check.ts';
import { checkCertificates } from './tls/items.ts';
import type { AcceptedTlsFiles } from './tls/sources.ts';
import { writeInlineCertificates } from './tls/store.ts';
import { errorMessage } from './util/errors.ts';
import type { FileOwner } from './util/atomic.ts';
import type { Problem } from './util/result.ts';

/** Which packaging to check: the one Envoy runs under the strategy, or both (what `render` writes). */
export type Packagings = 'runtime' | 'static' | 'both';

/**
 * Schema-checks the documents of a packaging; problem paths name the file they belong to. The two packagings
 * hold the same resources, so a reconcile checks only the one its strategy runs (`runtime` for dynamic, `static`
 * for hot_restart): at 64 rules × 10 domains checking both was twice the work for no new problem. Real Envoy's
 * `--mode validate` still reads static.json in the apply transaction.
 */
export function schemaProblems(rendered: RenderedConfig, packagings: Packagings = 'both'): Problem[] {
  const checker = getSchemaChecker();
  const within = (file: string, problems: readonly Problem[]): Problem[] =>
    problems.map((p) => ({ path: `${file}: ${p.path}`, message: p.message }));
  const staticDocs = (): Problem[] => within('static.json', checker.checkBootstrap(rendered.staticBootstrap));
  const runtimeDocs = (): Problem[] => [
    ...within('bootstrap.yaml', checker.checkBootstrap(rendered.bootstrap)),
    ...within('listeners.yaml', checker.checkDiscoveryResponse(rendered.listeners)),
    ...within('clusters.yaml', checker.checkDiscoveryResponse(rendered.clusters)),
    ...rendered.routes.flatMap((r) => within(`routes/${r.name}`, checker.checkDiscoveryResponse(r.document))),
    ...rendered.endpoints.flatMap((e) =>
      within(`endpoints/${e.name}`, checker.checkDiscoveryResponse(e.document)),
    ),
    ...rendered.secrets.flatMap((s) =>
      within(`secrets/${s.name}`, checker.checkDiscoveryResponse(s.document)),
    ),
  ];
  if (packagings === 'static') return staticDocs();
  if (packagings === 'runtime') return runtimeDocs();
  return [...staticDocs(), ...runtimeDocs()];
}

export type PreparedGeneration = Extract<PrepareOutcome, { ok: true }> & {
  readonly rendered: RenderedConfig;
  /** The first certificate (kept for single-certificate observers). */
  readonly certificate?: CertificateInfo;
  /** Every certificate item, by its label (served host, or LB id). */
  readonly certificates: readonly { readonly label: string; readonly info: CertificateInfo }[];
};

export interface PrepareOptions {
  /** What path-based certificate files held when last accepted: a bad replacement is then reported as one. */
  readonly acceptedTlsFiles?: AcceptedTlsFiles;
  /** Envoy's user: the certificate and key copies are chowned to it. */
  readonly certificateOwner?: FileOwner;
  /** false: write nothing (`plan` only compares); the certificate copies are staged by default. */
  readonly stageCertificates?: boolean;
}

/**
 * certificate material read and checked → render → schema check → certificate files staged. Only new
 * content-addressed certificate files are written (nothing that serves changes): the result is a generation the
 * applier can install, or the stage and problems that make the spec unusable (the current config keeps serving).
 *
 * Path-based certificate items are rendered from the content that was checked (as inline items), so Envoy only
 * ever reads the agent's content-addressed copies in the certificate directory: a broken file the operator puts
 * in place never reaches Envoy, and a good one changes only the secret and certificate files (the listener
 * names the secret, not the files), which Envoy takes without a new epoch.
 */
export async function prepareGeneration(
  spec: LoadBalancerModel,
  config: AgentConfig,
  now: Date,
  options: PrepareOptions = {},
): Promise<PreparedGeneration | Extract<PrepareOutcome, { ok: false }>> {
  // Each certificate item once: read → check → the checked content inline (staged as copies below).
  const checked = await checkCertificates(spec, now, options.acceptedTlsFiles);
  if (!checked.ok) return { ok: false, stage: 'tls', problems: checked.problems };
  const { certificates, accept } = checked;
  const certificate = certificates[0]?.info;
  const renderable = checked.model;

  const rendered = renderEnvoyConfig(renderable, config);
  const schema = schemaProblems(
    rendered,
    config.envoy.applyStrategy === 'hot_restart' ? 'static' : 'runtime',
  );
  if (schema.length > 0) return { ok: false, stage: 'schema', problems: schema };

  // Envoy reads certificates by file name, and so does `envoy --mode validate` (it loads the static secrets),
  // which runs before the applier installs anything. The files are content-addressed, so writing them now
  // changes nothing a running configuration refers to; those of a generation that is never committed are
  // removed after the next commit.
  if (options.stageCertificates !== false) {
    try {
      await writeInlineCertificates(
        rendered.files.inline.map((f) => ({ path: f.path, pem: f.pem.reveal(), mode: f.mode })),
        { owner: options.certificateOwner },
      );
    } catch (err) {
      const problem = {
        path: spec.certificates[0]?.path ?? 'tls_config',
        message: `could not write the certificate files: ${errorMessage(err)}`,
      };
      return { ok: false, stage: 'tls', problems: [problem] };
    }
    accept();
  }
  // Serialised only when the applier asks for the files, i.e. when the hash differs from what is live: a poll that
  // finds nothing new does not pay for writing out a 10,000-backend cluster as YAML.
  let files: Generation['files'] | undefined;
  const generation: Generation = {
    hash: rendered.hash,
    get files() {
      files ??= renderedFiles(rendered);
      return files;
    },
  };
  return { ok: true, generation, rendered, certificates, ...(certificate ? { certificate } : {}) };
}
