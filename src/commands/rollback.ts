// `vpsie-lb-agent rollback [--to GENERATION]` and `vpsie-lb-agent release`: asks the running agent over its local
// control socket (state_dir/control.sock, root and the agent's group only).
import { sendControl } from '../control/client.ts';
import { type ControlRequest, controlSocketPath } from '../control/protocol.ts';
import { errorMessage } from '../util/errors.ts';
import { commandConfig } from './agent-config.ts';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './exit.ts';

/** Long enough for a hot restart with verification (envoy.verify_timeout is at most minutes). */
const TIMEOUT_MS = 10 * 60_000;

export async function controlCommand(args: {
  config: string | undefined;
  request: ControlRequest;
}): Promise<number> {
  const config = await commandConfig(args.config);
  if (config === undefined) return EXIT_USAGE;
  const socket = controlSocketPath(config.stateDir);
  try {
    const response = await sendControl(socket, args.request, TIMEOUT_MS);
    (response.ok ? process.stdout : process.stderr).write(`${response.message}\n`);
    return response.ok ? EXIT_OK : EXIT_INVALID;
  } catch (err) {
    process.stderr.write(`vpsie-lb-agent ${args.request.op}: ${errorMessage(err)}\n`);
    return EXIT_INVALID;
  }
}

/** --to: a generation number as `history`/`status` show them. */
export function parseGeneration(text: string | undefined): number | undefined | string {
  if (text === undefined) return undefined;
  return /^[1-9]\d{0,9}$/.test(text)
    ? Number(text)
    : `--to must be a generation number, got ${JSON.stringify(text)}`;
}
