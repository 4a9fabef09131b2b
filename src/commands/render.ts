import { basename, join } from 'node:path';
import { serialise } from '../envoy/build/files.ts';
import { EXIT_INVALID, EXIT_OK } from './exit.ts';
import { schemaProblems } from '../pipeline.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { errorMessage } from '../util/errors.ts';
import { formatProblem } from '../util/result.ts';
import { renderEnvoyConfig } from '../envoy/build/render.ts';
import { loadConfigAndSpec } from './input.ts';

export interface RenderArgs {
  readonly spec: string;
  readonly config: string | undefined;
  readonly out: string;
}

/**
 * Writes the runtime layout and the fully static bootstrap for a spec, for inspection or for `envoy --mode validate`.
 * Inline certificates are not written (they are secrets); the rendered files name where the agent would put them.
 */
export async function renderCommand(args: RenderArgs): Promise<number> {
  const loaded = await loadConfigAndSpec(args);
  if (!loaded.ok) return loaded.exit;
  const rendered = renderEnvoyConfig(loaded.spec, loaded.config);
  const problems = schemaProblems(rendered);
  if (problems.length > 0) {
    // A spec that validates but renders something Envoy would refuse is our bug: say so, write nothing.
    process.stderr.write('vpsie-lb-agent: the rendered configuration failed the Envoy schema check:\n');
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    return EXIT_INVALID;
  }
  const files: [string, object][] = [
    ['bootstrap.yaml', rendered.bootstrap],
    ['dynamic/clusters.yaml', rendered.clusters],
    ...rendered.endpoints.map((e): [string, object] => [`dynamic/endpoints/${basename(e.path)}`, e.document]),
    ...rendered.routes.map((r): [string, object] => [`dynamic/routes/${basename(r.path)}`, r.document]),
    ['dynamic/listeners.yaml', rendered.listeners],
    ...rendered.secrets.map((s): [string, object] => [`dynamic/secrets/${basename(s.path)}`, s.document]),
    ['static.json', rendered.staticBootstrap],
  ];
  try {
    for (const [name, doc] of files) await writeFileAtomic(join(args.out, name), serialise(name, doc));
  } catch (err) {
    process.stderr.write(`vpsie-lb-agent: writing ${args.out}: ${errorMessage(err)}\n`);
    return EXIT_INVALID;
  }
  for (const [name] of files) process.stdout.write(`wrote ${join(args.out, name)}\n`);
  process.stdout.write(`${rendered.hash}\n`);
  return EXIT_OK;
}
