// Loads the golden cases of test/golden/<case>/: spec.json in (+ optional agent.yaml), rendered documents out.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AgentConfig, defaultAgentConfig, parseAgentConfig } from '../../../src/config/index.ts';
import { type RenderedConfig, renderEnvoyConfig, toYaml } from '../../../src/envoy/build/render.ts';
import { specContextFromConfig } from '../../../src/spec/context.ts';
import { validateDocument } from '../../../src/model/read.ts';
import type { LoadBalancerModel } from '../../../src/model/types.ts';
import { formatProblem } from '../../../src/util/result.ts';

export const GOLDEN_DIR = fileURLToPath(new URL('../../golden/', import.meta.url));

/**
 * The documents each case pins, one file per resource type; `secrets.yaml` exists only when the case renders
 * secrets. Secrets, route configurations and endpoints are one Envoy file each: their golden file holds them all, each
 * headed by the file name Envoy reads it from.
 */
export const OUTPUTS = [
  'bootstrap.yaml',
  'listeners.yaml',
  'routes.yaml',
  'clusters.yaml',
  'endpoints.yaml',
  'secrets.yaml',
  'static.yaml',
] as const;
export type OutputName = (typeof OUTPUTS)[number];

export function caseNames(): string[] {
  return readdirSync(GOLDEN_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

export function loadConfig(caseDir: string): AgentConfig {
  const file = join(caseDir, 'agent.yaml');
  if (!existsSync(file)) return defaultAgentConfig();
  const parsed = parseAgentConfig(readFileSync(file, 'utf8'), file);
  if (!parsed.ok) throw new Error(`${file}: ${parsed.problems.map(formatProblem).join('; ')}`);
  return parsed.value;
}

/** Certificate paths in the cases do not exist on disk: resolving is just normalising. */
const resolvePath = (p: string): string => posix.normalize(p);

export function loadSpec(caseDir: string, config: AgentConfig): LoadBalancerModel {
  const body: unknown = JSON.parse(readFileSync(join(caseDir, 'spec.json'), 'utf8'));
  const result = validateDocument(body, specContextFromConfig(config, resolvePath));
  if (!result.ok) throw new Error(`${caseDir}/spec.json: ${result.problems.map(formatProblem).join('; ')}`);
  return result.value;
}

export function renderCase(name: string): { rendered: RenderedConfig; documents: Map<OutputName, string> } {
  const dir = join(GOLDEN_DIR, name);
  const config = loadConfig(dir);
  const rendered = renderEnvoyConfig(loadSpec(dir, config), config);
  const documents = new Map<OutputName, string>([
    ['bootstrap.yaml', toYaml(rendered.bootstrap)],
    ['listeners.yaml', toYaml(rendered.listeners)],
    ['clusters.yaml', toYaml(rendered.clusters)],
    ['static.yaml', toYaml(rendered.staticBootstrap)],
  ]);
  const perFile = (files: readonly { path: string; document: object }[]) =>
    files.map((f) => `# ${basename(f.path)}\n${toYaml(f.document)}`).join('---\n');
  if (rendered.secrets.length > 0) documents.set('secrets.yaml', perFile(rendered.secrets));
  if (rendered.routes.length > 0) documents.set('routes.yaml', perFile(rendered.routes));
  if (rendered.endpoints.length > 0) documents.set('endpoints.yaml', perFile(rendered.endpoints));
  return { rendered, documents };
}
