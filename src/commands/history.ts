// `vpsie-lb-agent history [--config FILE] [--json]`: every transaction state_dir keeps, newest first. Read from
// state_dir, so it works while the agent is down.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TransactionRecord } from '../apply/types.ts';
import { errorMessage } from '../util/errors.ts';
import { commandConfig } from './agent-config.ts';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './exit.ts';
import { transactionLines } from './status-view.ts';
import { styleFor } from './style.ts';

/** The history as JSON for scripts: one object per transaction with its duration, newest first. */
export function historyJson(records: readonly TransactionRecord[]): object[] {
  return [...records].reverse().map((r) => ({
    ...r,
    durationMs: r.endedAt === undefined ? null : Date.parse(r.endedAt) - Date.parse(r.startedAt),
  }));
}

export async function historyCommand(args: { config: string | undefined; json: boolean }): Promise<number> {
  const config = await commandConfig(args.config);
  if (config === undefined) return EXIT_USAGE;
  const file = join(config.stateDir, 'transactions.json');
  let records: TransactionRecord[];
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    records = Array.isArray(parsed) ? (parsed as TransactionRecord[]) : [];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') records = [];
    else {
      process.stderr.write(`vpsie-lb-agent: cannot read ${file}: ${errorMessage(err)}\n`);
      return EXIT_INVALID;
    }
  }
  if (args.json) {
    process.stdout.write(`${JSON.stringify(historyJson(records), null, 2)}\n`);
    return EXIT_OK;
  }
  const st = styleFor(process.stdout);
  if (records.length === 0) {
    process.stdout.write(`no transactions in ${file}\n`);
    return EXIT_OK;
  }
  const lines = [st.bold(`${records.length} transactions in ${file}, newest first`)];
  for (const r of [...records].reverse()) lines.push(...transactionLines(r, st));
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}
