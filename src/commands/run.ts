import { defaultParts, startAgent } from '../agent.ts';
import { loadAgentConfig } from '../config/index.ts';
import { createLogger } from '../log/logger.ts';
import { errorMessage } from '../util/errors.ts';
import { formatProblem } from '../util/result.ts';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './exit.ts';

export async function runCommand(args: { config: string }): Promise<number> {
  const loaded = await loadAgentConfig(args.config);
  if (!loaded.ok) {
    // A config error stops the agent before it touches anything.
    for (const p of loaded.problems) process.stderr.write(`${args.config}: ${formatProblem(p)}\n`);
    return EXIT_USAGE;
  }
  const config = loaded.value;
  const logger = createLogger(config.logging);
  for (const warning of loaded.warnings) logger.warn({ config: args.config }, warning);

  let agent: Awaited<ReturnType<typeof startAgent>>;
  try {
    agent = await startAgent(config, logger, await defaultParts(config, logger));
  } catch (err) {
    logger.error({ error: errorMessage(err) }, 'agent failed to start');
    return EXIT_INVALID;
  }
  logger.info({ config: args.config, strategy: agent.applierStrategy }, 'agent running');

  return new Promise<number>((resolve) => {
    let stopping = false;
    // systemctl reload: agent.yaml read again (the valid parts taken, an invalid file refused), then a poll at once.
    const onHup = () => {
      void loadAgentConfig(args.config).then(
        (next) => agent.reload(next, args.config),
        (err: unknown) => logger.error({ error: errorMessage(err) }, 'reload failed'),
      );
    };
    const onStop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      agent.stop().then(
        () => {
          process.off('SIGHUP', onHup);
          resolve(EXIT_OK);
        },
        (err: unknown) => {
          logger.error({ error: errorMessage(err) }, 'stopping failed');
          resolve(EXIT_INVALID);
        },
      );
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', onStop);
    process.once('SIGINT', onStop);
  });
}
