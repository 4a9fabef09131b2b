import { defaultAgentConfig } from '../config/defaults.ts';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './exit.ts';
import { specContextFromConfig } from '../spec/context.ts';
import { parseSpecText } from '../spec/validate.ts';
import { formatProblem } from '../util/result.ts';
import { readSpecInput } from './input.ts';

export interface ValidateArgs {
  readonly spec: string;
  readonly config: string | undefined;
}

export async function validateCommand(args: ValidateArgs): Promise<number> {
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
  const spec = result.value;
  process.stdout.write(
    `${args.spec === '-' ? 'spec' : args.spec}: valid (${spec.protocol} load balancer ${spec.id}, ${spec.backends.length} backends)\n`,
  );
  return EXIT_OK;
}
