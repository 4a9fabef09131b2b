// The pure-ish middle of a reconcile: validated spec → rendered, schema-checked, material-checked generation.
import type { Generation } from './apply/types.ts';
import type { AgentConfig } from './config/types.ts';
import { renderedFiles } from './envoy/build/files.ts';
import { type RenderedConfig, renderEnvoyConfig } from './envoy/build/render.ts';
import { getSchemaChecker } from './envoy/schema/index.ts';
import type { PrepareOutcome } from './reconcile/reconciler.ts';
import type { LoadBalancerSpec } from './spec/types.ts';
import { type CertificateInfo, checkTlsMaterial } from './tls/check.ts';
import { readTlsSources, tlsSpecPaths } from './tls/store.ts';
import type { Problem } from './util/result.ts';

/** Schema-checks every document of both packagings; problem paths name the file they belong to. */
export function schemaProblems(rendered: RenderedConfig): Problem[] {
  const checker = getSchemaChecker();
  const within = (file: string, problems: readonly Problem[]): Problem[] =>
    problems.map((p) => ({ path: `${file}: ${p.path}`, message: p.message }));
  return [
    ...within('static.yaml', checker.checkBootstrap(rendered.staticBootstrap)),
    ...within('bootstrap.yaml', checker.checkBootstrap(rendered.bootstrap)),
    ...within('listeners.yaml', checker.checkDiscoveryResponse(rendered.listeners)),
    ...within('clusters.yaml', checker.checkDiscoveryResponse(rendered.clusters)),
    ...(rendered.secrets ? within('secrets.yaml', checker.checkDiscoveryResponse(rendered.secrets)) : []),
  ];
}

export type PreparedGeneration = Extract<PrepareOutcome, { ok: true }> & {
  readonly rendered: RenderedConfig;
  readonly certificate?: CertificateInfo;
};

/**
 * render → schema check → certificate material check. Nothing is written: the result is a generation the applier
 * can install, or the stage and problems that make the spec unusable (the current config keeps serving).
 */
export async function prepareGeneration(
  spec: LoadBalancerSpec,
  config: AgentConfig,
  now: Date,
): Promise<PreparedGeneration | Extract<PrepareOutcome, { ok: false }>> {
  const rendered = renderEnvoyConfig(spec, config);
  const problems = schemaProblems(rendered);
  if (problems.length > 0) return { ok: false, stage: 'schema', problems };

  let certificate: CertificateInfo | undefined;
  if (spec.tls !== undefined) {
    const material = await readTlsSources(spec.tls);
    if (!material.ok) return { ok: false, stage: 'tls', problems: material.problems };
    const checked = checkTlsMaterial(material.value, now, tlsSpecPaths(spec.tls));
    if (checked.problems.length > 0) return { ok: false, stage: 'tls', problems: checked.problems };
    certificate = checked.info;
  }

  const generation: Generation = { hash: rendered.hash, files: renderedFiles(rendered) };
  return { ok: true, generation, rendered, ...(certificate ? { certificate } : {}) };
}
