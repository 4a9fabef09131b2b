import { open } from 'node:fs/promises';
import { defaultAgentConfig } from '../config/defaults.ts';
import type { AgentConfig } from '../config/types.ts';
import { specContextFromConfig } from '../spec/context.ts';
import type { LoadBalancerModel } from '../model/types.ts';
import { parseDocumentText } from '../model/read.ts';
import { formatProblem } from '../util/result.ts';
import { EXIT_INVALID, EXIT_USAGE } from './exit.ts';
import { MAX_SPEC_BYTES } from '../source/file-source.ts';
import { errorMessage } from '../util/errors.ts';

/** Reads a spec from a file, or standard input for `-`, refusing anything over the API's size cap. */
export async function readSpecInput(
  name: string,
): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
  try {
    if (name === '-') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of process.stdin) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
        size += buffer.length;
        if (size > MAX_SPEC_BYTES)
          return { ok: false, error: `standard input: larger than ${MAX_SPEC_BYTES} bytes` };
        chunks.push(buffer);
      }
      return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
    }
    const handle = await open(name, 'r');
    try {
      const info = await handle.stat();
      if (!info.isFile()) return { ok: false, error: `${name}: not a regular file` };
      if (info.size > MAX_SPEC_BYTES)
        return { ok: false, error: `${name}: larger than ${MAX_SPEC_BYTES} bytes` };
      return { ok: true, text: await handle.readFile('utf8') };
    } finally {
      await handle.close();
    }
  } catch (err) {
    return { ok: false, error: `${name}: ${errorMessage(err)}` };
  }
}

/**
 * What `validate` and `render` share: the agent config (built-in defaults without --config; the YAML/zod loader is
 * loaded only when a file is given), the spec read and validated. Problems are written to stderr; the exit status
 * is returned when there is nothing to go on with.
 */
export async function loadConfigAndSpec(args: {
  readonly spec: string;
  readonly config: string | undefined;
}): Promise<{ ok: true; config: AgentConfig; spec: LoadBalancerModel } | { ok: false; exit: number }> {
  const config =
    args.config === undefined
      ? { ok: true as const, value: defaultAgentConfig() }
      : await (await import('../config/load.ts')).loadAgentConfig(args.config);
  if (!config.ok) {
    for (const p of config.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return { ok: false, exit: EXIT_USAGE };
  }
  const input = await readSpecInput(args.spec);
  if (!input.ok) {
    process.stderr.write(`vpsie-lb-agent: ${input.error}\n`);
    return { ok: false, exit: EXIT_USAGE };
  }
  const result = parseDocumentText(input.text, specContextFromConfig(config.value));
  if (!result.ok) {
    for (const p of result.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return { ok: false, exit: EXIT_INVALID };
  }
  for (const w of result.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
  return { ok: true, config: config.value, spec: result.value };
}
