/** The rendered configuration as the files the applier installs (apply's PlannedFile is this RenderedFile). */
import type { RenderedConfig } from './render.ts';
import { toJson } from './json.ts';
import { toYaml } from './yaml.ts';

/** What Envoy reads from `path`: it picks its parser by the extension (`.json`, else YAML). */
export const serialise = (path: string, doc: object): string =>
  path.endsWith('.json') ? toJson(doc) : toYaml(doc);

export type RenderedFileRole =
  | 'bootstrap'
  | 'listeners'
  | 'routes'
  | 'clusters'
  | 'endpoints'
  | 'secrets'
  | 'static'
  | 'certificate';

export interface RenderedFile {
  readonly role: RenderedFileRole;
  /** Absolute live path (where Envoy reads it). */
  readonly path: string;
  readonly content: string;
  /** 0o600 for private keys, 0o644 otherwise. */
  readonly mode: number;
  /** routes / endpoints: the one resource the file holds (what the applier's verify looks up in Envoy's stats). */
  readonly resource?: string;
}

/** Envoy config holds no key material (keys are referenced by path), so it is readable by Envoy's own user. */
const CONFIG_MODE = 0o644;

/** Certificates, secrets, endpoints, clusters, routes, listeners: each file refers only to ones listed before it. */
export function renderedFiles(rendered: RenderedConfig): RenderedFile[] {
  const { paths } = rendered;
  const files: RenderedFile[] = rendered.files.inline.map((f) => ({
    role: 'certificate',
    path: f.path,
    content: f.pem.reveal(),
    mode: f.mode,
  }));
  for (const s of rendered.secrets) {
    files.push({
      role: 'secrets',
      path: s.path,
      content: toYaml(s.document),
      mode: CONFIG_MODE,
      resource: s.name,
    });
  }
  for (const e of rendered.endpoints) {
    files.push({
      role: 'endpoints',
      path: e.path,
      content: serialise(e.path, e.document),
      mode: CONFIG_MODE,
      resource: e.name,
    });
  }
  files.push({
    role: 'clusters',
    path: paths.clusters,
    content: toYaml(rendered.clusters),
    mode: CONFIG_MODE,
  });
  for (const r of rendered.routes) {
    files.push({
      role: 'routes',
      path: r.path,
      content: toYaml(r.document),
      mode: CONFIG_MODE,
      resource: r.name,
    });
  }
  files.push(
    { role: 'listeners', path: paths.listeners, content: toYaml(rendered.listeners), mode: CONFIG_MODE },
    {
      role: 'static',
      path: paths.static,
      content: serialise(paths.static, rendered.staticBootstrap),
      mode: CONFIG_MODE,
    },
    { role: 'bootstrap', path: paths.bootstrap, content: toYaml(rendered.bootstrap), mode: CONFIG_MODE },
  );
  return files;
}
