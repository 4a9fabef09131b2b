import { EXIT_USAGE } from './exit.ts';

export async function launcherCommand(_args: {
  socket: string;
  config: string | undefined;
}): Promise<number> {
  process.stderr.write('vpsie-lb-agent: launcher is not available in this build\n');
  return EXIT_USAGE;
}
