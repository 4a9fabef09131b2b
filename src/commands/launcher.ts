// `vpsie-lb-agent launcher --socket PATH [--config FILE]`: the vpsie-lb-envoy.service process that owns Envoy.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadAgentConfig } from '../config/index.ts';
import { LocalProcessHost } from '../envoy/process/host.ts';
import { LauncherServer } from '../envoy/process/launcher.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { errorMessage } from '../util/errors.ts';
import { formatProblem } from '../util/result.ts';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './exit.ts';

const STOP_TIMEOUT_MS = 30_000;

export async function launcherCommand(args: { socket: string; config: string | undefined }): Promise<number> {
  let logDir = join('/var/lib/vpsie-lb', 'envoy-logs');
  if (args.config !== undefined) {
    const loaded = await loadAgentConfig(args.config);
    if (!loaded.ok) {
      for (const p of loaded.problems) process.stderr.write(`${args.config}: ${formatProblem(p)}\n`);
      return EXIT_USAGE;
    }
    logDir = join(loaded.value.stateDir, 'envoy-logs');
  }
  const host = new LocalProcessHost({ logDir });
  const server = new LauncherServer(host);
  const pidFile = `${args.socket}.pid`;
  try {
    await server.listen(args.socket);
    await writeFileAtomic(pidFile, `${process.pid}\n`);
  } catch (err) {
    process.stderr.write(`vpsie-lb-agent launcher: cannot listen on ${args.socket}: ${errorMessage(err)}\n`);
    return EXIT_INVALID;
  }
  const note = (message: string): void => {
    process.stderr.write(`${new Date().toISOString()} launcher: ${message}\n`);
  };
  note(`listening on ${args.socket} (pid ${process.pid})`);
  host.onExit((info) =>
    note(`pid ${info.pid} exited (code ${String(info.code)}, signal ${String(info.signal)})`),
  );

  return new Promise<number>((resolve) => {
    // Stopping the service stops Envoy: SIGTERM every child, wait, then SIGKILL what is left (like hot-restarter.py).
    const stop = (signal: NodeJS.Signals): void => {
      note(`${signal}: stopping the processes`);
      void (async () => {
        const running = async () => (await host.list()).filter((p) => !p.exited);
        for (const p of await running()) await host.signal(p.pid, 'SIGTERM');
        const deadline = Date.now() + STOP_TIMEOUT_MS;
        while ((await running()).length > 0 && Date.now() < deadline) await sleep(100);
        const left = await running();
        for (const p of left) await host.signal(p.pid, 'SIGKILL');
        await server.close();
        await rm(pidFile, { force: true });
        await rm(args.socket, { force: true });
        resolve(left.length === 0 ? EXIT_OK : EXIT_INVALID);
      })();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
