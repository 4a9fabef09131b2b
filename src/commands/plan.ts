// `vpsie-lb-agent plan --spec FILE|- [--config FILE] [--json]`: what applying a document would change against the
// generation the agent last committed (read from state_dir; no running agent needed).
import { readAppliedState } from '../apply/applied-state.ts';
import { GenerationStore } from '../apply/generations.ts';
import { renderedFiles } from '../envoy/build/files.ts';
import type { RenderedConfig } from '../envoy/build/render.ts';
import { prepareGeneration } from '../pipeline.ts';
import { specContextFromConfig } from '../spec/context.ts';
import { parseDocumentText } from '../model/read.ts';
import { errorMessage } from '../util/errors.ts';
import { formatProblem } from '../util/result.ts';
import { commandConfig } from './agent-config.ts';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './exit.ts';
import { readSpecInput } from './input.ts';
import { type Plan, type PlanFile, planChanges } from './plan-diff.ts';
import { planLines } from './plan-view.ts';
import { styleFor } from './style.ts';

/** The rendered files with their objects, so the new side is not parsed back from YAML. */
export function nextFiles(rendered: RenderedConfig): PlanFile[] {
  const { paths } = rendered;
  const documents = new Map<string, unknown>([
    [paths.bootstrap, rendered.bootstrap],
    [paths.listeners, rendered.listeners],
    [paths.clusters, rendered.clusters],
    ...[...rendered.routes, ...rendered.endpoints, ...rendered.secrets].map((f): [string, unknown] => [
      f.path,
      f.document,
    ]),
  ]);
  // A JSON round trip drops what YAML would not write (undefined fields), so both sides compare alike.
  return renderedFiles(rendered).map((f) => {
    const document = documents.get(f.path);
    return document === undefined || f.role === 'certificate'
      ? f
      : { ...f, value: JSON.parse(JSON.stringify(document)) as unknown };
  });
}

/** plan's exit status: 0 no change, 1 invalid document, 2 usage or agent.yaml error, 3 changes, 4 state unreadable. */
export const EXIT_PLAN_CHANGES = 3;
export const EXIT_PLAN_NO_STATE = 4;

export async function planCommand(args: {
  spec: string;
  config: string | undefined;
  json: boolean;
}): Promise<number> {
  const config = await commandConfig(args.config);
  if (config === undefined) return EXIT_USAGE;
  const input = await readSpecInput(args.spec);
  if (!input.ok) {
    process.stderr.write(`vpsie-lb-agent: ${input.error}\n`);
    return EXIT_USAGE;
  }
  const parsed = parseDocumentText(input.text, specContextFromConfig(config));
  if (!parsed.ok) {
    for (const p of parsed.problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write('plan: the document is invalid; nothing would change (exit 1)\n');
    return EXIT_INVALID;
  }
  const prepared = await prepareGeneration(parsed.value, config, new Date(), { stageCertificates: false });
  if (!prepared.ok) {
    for (const p of prepared.problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(
      `plan: the document is refused at ${prepared.stage}; nothing would change (exit 1)\n`,
    );
    return EXIT_INVALID;
  }

  let committed: { seq: number; hash: string; files: PlanFile[] } | undefined;
  try {
    const applied = await readAppliedState(config.stateDir);
    if (applied !== undefined) {
      const stored = await new GenerationStore(config.stateDir).load(applied.generation);
      if (stored === undefined) throw new Error(`generation ${applied.generation} (committed) is missing`);
      committed = { seq: applied.generation, hash: applied.hash, files: [...stored.files] };
    }
  } catch (err) {
    process.stderr.write(
      `vpsie-lb-agent: cannot read the committed generation in ${config.stateDir}: ${errorMessage(err)}\n`,
    );
    return EXIT_PLAN_NO_STATE;
  }

  const hash = prepared.generation.hash;
  const plan: Plan =
    committed !== undefined && committed.hash === hash
      ? {
          resources: [],
          bootstrap: [],
          certificates: { added: [], removed: [] },
          method: { kind: 'none', reasons: [] },
          draining: [],
        }
      : planChanges({
          committed: committed?.files,
          next: nextFiles(prepared.rendered),
          strategy: config.envoy.applyStrategy,
          drainTimeMs: config.envoy.drainTimeMs,
        });
  const header = {
    spec: args.spec === '-' ? 'standard input' : args.spec,
    stateDir: config.stateDir,
    committed: committed === undefined ? null : { generation: committed.seq, hash: committed.hash },
    hash,
  };
  if (args.json) process.stdout.write(`${JSON.stringify({ ...header, ...plan }, null, 2)}\n`);
  else process.stdout.write(`${planLines(header, plan, styleFor(process.stdout)).join('\n')}\n`);
  return plan.method.kind === 'none' ? EXIT_OK : EXIT_PLAN_CHANGES;
}
