/** The rendered configuration as the files the applier installs (same shape as apply's PlannedFile). */
import type { RenderedConfig } from './render.ts';
import { toYaml } from './yaml.ts';

export type RenderedFileRole = 'bootstrap' | 'listeners' | 'clusters' | 'secrets' | 'static' | 'certificate';

export interface RenderedFile {
  readonly role: RenderedFileRole;
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

/** Envoy config holds no key material (keys are referenced by path), so it is readable by Envoy's own user. */
const CONFIG_MODE = 0o644;

/** Certificates first, then secrets, clusters, listeners: each file refers only to ones listed before it. */
export function renderedFiles(rendered: RenderedConfig): RenderedFile[] {
  const { paths } = rendered;
  const files: RenderedFile[] = rendered.files.inline.map((f) => ({
    role: 'certificate',
    path: f.path,
    content: f.pem.reveal(),
    mode: f.mode,
  }));
  for (const [path, doc] of [
    [paths.secrets, rendered.secrets],
    [paths.caSecrets, rendered.caSecrets],
  ] as const) {
    if (doc !== undefined) files.push({ role: 'secrets', path, content: toYaml(doc), mode: CONFIG_MODE });
  }
  files.push(
    { role: 'clusters', path: paths.clusters, content: toYaml(rendered.clusters), mode: CONFIG_MODE },
    { role: 'listeners', path: paths.listeners, content: toYaml(rendered.listeners), mode: CONFIG_MODE },
    { role: 'static', path: paths.static, content: toYaml(rendered.staticBootstrap), mode: CONFIG_MODE },
    { role: 'bootstrap', path: paths.bootstrap, content: toYaml(rendered.bootstrap), mode: CONFIG_MODE },
  );
  return files;
}
