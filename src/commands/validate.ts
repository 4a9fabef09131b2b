import type { LoadBalancerModel } from '../model/types.ts';
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
    `${args.spec === '-' ? 'spec' : args.spec}: valid (load balancer ${spec.id}: ${describeListeners(spec)}, ${spec.pools.reduce((n, p) => n + p.backends.length, 0)} backends)\n`,
  );
  return EXIT_OK;
}

/** `http :80, https :443` (one entry per listener). */
function describeListeners(model: LoadBalancerModel): string {
  if (model.listeners.length === 0) return 'no listeners';
  return model.listeners.map((l) => `${l.kind} :${l.port}`).join(', ');
}
