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
                                          dynamic/{routes,secrets}/*.yaml, dynamic/endpoints/*.json and
                                          static.json into DIR;
                                          print the configuration hash as the last line
  launcher --socket PATH [--config FILE]  run the Envoy launcher service (owns the Envoy processes)

Operator commands (--config defaults to /etc/vpsie-lb/agent.yaml when it exists):
  status [--server URL] [--json]          the running agent: convergence, Envoy, listeners, pools, backends,
                                          certificates, last transactions; exit 0 converged and serving, else 1
  history [--json]                        every transaction kept in state_dir, newest first
  plan --spec FILE|- [--json]             what applying the document would change against the committed
                                          generation; exit 0 no change, 3 changes, 1 invalid document,
                                          4 state_dir unreadable
  rollback [--to GENERATION]              put a kept generation back (default: the one before) and hold it
                                          until the spec changes or: release
  release                                 end a hold; the spec is applied again

Options:
  -h, --help      show this help
  -v, --version   print the version

Exit status: 0 ok, 1 invalid spec or failure, 2 usage or configuration error (plan: see above).
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
    case 'status': {
      const { statusCommand } = await import('./commands/status.ts');
      return statusCommand({ server: values.server, config: values.config, json: values.json === true });
    }
    case 'history': {
      const { historyCommand } = await import('./commands/history.ts');
      return historyCommand({ config: values.config, json: values.json === true });
    }
    case 'plan': {
      if (values.spec === undefined) return usageError('plan needs --spec FILE (or - for standard input)');
      const { planCommand } = await import('./commands/plan.ts');
      return planCommand({ spec: values.spec, config: values.config, json: values.json === true });
    }
    case 'rollback': {
      const { controlCommand, parseGeneration } = await import('./commands/rollback.ts');
      const to = parseGeneration(values.to);
      if (typeof to === 'string') return usageError(to);
      return controlCommand({
        config: values.config,
        request: { op: 'rollback', ...(to === undefined ? {} : { to }) },
      });
    }
    case 'release': {
      const { controlCommand } = await import('./commands/rollback.ts');
      return controlCommand({ config: values.config, request: { op: 'release' } });
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
      server: { type: 'string' },
      json: { type: 'boolean' },
      to: { type: 'string' },
    },
  });
}
