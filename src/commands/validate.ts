import { EXIT_OK } from './exit.ts';
import { loadConfigAndSpec } from './input.ts';

export interface ValidateArgs {
  readonly spec: string;
  readonly config: string | undefined;
}

export async function validateCommand(args: ValidateArgs): Promise<number> {
  const loaded = await loadConfigAndSpec(args);
  if (!loaded.ok) return loaded.exit;
  const { spec } = loaded;
  process.stdout.write(
    `${args.spec === '-' ? 'spec' : args.spec}: valid (${spec.protocol} load balancer ${spec.id}, ${spec.backends.length} backends)\n`,
  );
  return EXIT_OK;
}
