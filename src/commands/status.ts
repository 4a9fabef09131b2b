// `vpsie-lb-agent status [--server URL] [--config FILE] [--json]`: the running agent at a glance.
import type { AgentStatus } from '../server/status.ts';
import { errorMessage } from '../util/errors.ts';
import { commandConfig, endpointUrl } from './agent-config.ts';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './exit.ts';
import { healthy, statusLines } from './status-view.ts';
import { styleFor } from './style.ts';

const TIMEOUT_MS = 5_000;

/** fetch says "fetch failed"; the reason (ECONNREFUSED, …) is in its cause. */
export function fetchError(err: unknown): string {
  const cause =
    err instanceof Error ? (err.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return errorMessage(err);
}

export async function statusCommand(args: {
  server: string | undefined;
  config: string | undefined;
  json: boolean;
}): Promise<number> {
  const config = await commandConfig(args.config);
  if (config === undefined) return EXIT_USAGE;
  const base = endpointUrl(args.server, config);
  let status: AgentStatus;
  try {
    const response = await fetch(`${base}/status`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    status = (await response.json()) as AgentStatus;
  } catch (err) {
    process.stderr.write(
      `vpsie-lb-agent: cannot read ${base}/status: ${fetchError(err)}\n  is the agent running? (systemctl status vpsie-lb-agent)\n`,
    );
    return EXIT_INVALID;
  }
  if (args.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  else process.stdout.write(`${statusLines(status, styleFor(process.stdout)).join('\n')}\n`);
  return healthy(status) ? EXIT_OK : EXIT_INVALID;
}
