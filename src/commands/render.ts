import { join } from 'node:path';
import { defaultAgentConfig } from '../config/defaults.ts';
import { toYaml } from '../envoy/build/render.ts';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './exit.ts';
import { schemaProblems } from '../pipeline.ts';
import { specContextFromConfig } from '../spec/context.ts';
import { parseSpecText } from '../spec/validate.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { errorMessage } from '../util/errors.ts';
import { formatProblem } from '../util/result.ts';
import { renderEnvoyConfig } from '../envoy/build/render.ts';
import { readSpecInput } from './input.ts';

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
  // Without --config the built-in defaults apply; the YAML/zod loader is loaded only when a file is given.
  const config =
    args.config === undefined
      ? { ok: true as const, value: defaultAgentConfig() }
      : await (await import('../config/load.ts')).loadAgentConfig(args.config);
  if (!config.ok) {
    for (const p of config.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return EXIT_USAGE;
  }
  const input = await readSpecInput(args.spec);
  if (!input.ok) {
    process.stderr.write(`vpsie-lb-agent: ${input.error}\n`);
    return EXIT_USAGE;
  }
  const result = parseSpecText(input.text, specContextFromConfig(config.value));
  if (!result.ok) {
    for (const p of result.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return EXIT_INVALID;
  }
  for (const w of result.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
  const rendered = renderEnvoyConfig(result.value, config.value);
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
    ['dynamic/listeners.yaml', rendered.listeners],
    ...(rendered.secrets ? ([['dynamic/secrets.yaml', rendered.secrets]] as [string, object][]) : []),
    ['static.yaml', rendered.staticBootstrap],
  ];
  try {
    for (const [name, doc] of files) await writeFileAtomic(join(args.out, name), toYaml(doc));
  } catch (err) {
    process.stderr.write(`vpsie-lb-agent: writing ${args.out}: ${errorMessage(err)}\n`);
    return EXIT_INVALID;
  }
  for (const [name] of files) process.stdout.write(`wrote ${join(args.out, name)}\n`);
  process.stdout.write(`${rendered.hash}\n`);
  return EXIT_OK;
}
