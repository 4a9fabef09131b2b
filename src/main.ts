// The CLI is used in scripts: keep start-up light and load heavy modules only for the command that needs them.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';

import { EXIT_INVALID, EXIT_OK, EXIT_USAGE } from './commands/exit.ts';

export { EXIT_INVALID, EXIT_OK, EXIT_USAGE };

const USAGE = `Usage: vpsie-lb-agent <command> [options]

Commands:
  run [--config FILE]                     run the agent (default config: /etc/vpsie-lb/agent.yaml)
  validate --spec FILE|- [--config FILE]  check a load balancer spec; problems go to stderr
  render --spec FILE|- --out DIR [--config FILE]
                                          write bootstrap.yaml, dynamic/{listeners,clusters}.yaml,
                                          dynamic/{routes,endpoints,secrets}/*.yaml and static.yaml into DIR;
                                          print the configuration hash as the last line
  launcher --socket PATH [--config FILE]  run the Envoy launcher service (owns the Envoy processes)

Options:
  -h, --help      show this help
  -v, --version   print the version

Exit status: 0 ok, 1 invalid spec or failure, 2 usage or configuration error.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function usageError(message: string): number {
  process.stderr.write(`vpsie-lb-agent: ${message}\n\n${USAGE}`);
  return EXIT_USAGE;
}

export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  const [command, ...extra] = positionals;
  if (command === undefined) return usageError('a command is required');
  if (extra.length > 0) return usageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  switch (command) {
    case 'validate': {
      if (values.spec === undefined)
        return usageError('validate needs --spec FILE (or - for standard input)');
      const { validateCommand } = await import('./commands/validate.ts');
      return validateCommand({ spec: values.spec, config: values.config });
    }
    case 'render': {
      if (values.spec === undefined) return usageError('render needs --spec FILE (or - for standard input)');
      if (values.out === undefined) return usageError('render needs --out DIR');
      const { renderCommand } = await import('./commands/render.ts');
      return renderCommand({ spec: values.spec, config: values.config, out: values.out });
    }
    case 'run': {
      const { runCommand } = await import('./commands/run.ts');
      return runCommand({ config: values.config ?? '/etc/vpsie-lb/agent.yaml' });
    }
    case 'launcher': {
      if (values.socket === undefined) return usageError('launcher needs --socket PATH');
      const { launcherCommand } = await import('./commands/launcher.ts');
      return launcherCommand({ socket: values.socket, config: values.config });
    }
    default:
      return usageError(`unknown command ${JSON.stringify(command)}`);
  }
}

function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      config: { type: 'string', short: 'c' },
      spec: { type: 'string' },
      out: { type: 'string' },
      socket: { type: 'string' },
    },
  });
}
