// `systemctl reload` (SIGHUP): which agent.yaml changes take effect in the running agent, and which need a restart.
import type { ConfigResult } from './config/load.ts';
import { CONFIG_KEYS, toAgentYaml, valueAt } from './config/schema.ts';
import type { AgentConfig } from './config/types.ts';
import type { Logger } from './log/logger.ts';
import type { EventSink } from './reconcile/reconciler.ts';
import { formatProblem } from './util/result.ts';

/**
 * Keys the running agent takes on reload. Rendering keys reach Envoy through the next reconcile: a bootstrap change
 * (max_connections, max_heap) by hot restart, listeners (ipv6) by file update; the address policy applies to the
 * next spec check. Every other key is wired into a running part (sockets, paths, the API client, Envoy's process
 * identity) and needs `systemctl restart vpsie-lb-agent`.
 */
export const RELOADABLE_KEYS: readonly string[] = [
  'vpsie.poll_interval',
  'envoy.max_connections',
  'envoy.max_heap',
  'envoy.ipv6',
  'address_policy.deny_cidrs',
  'address_policy.allow_cidrs',
  'logging.level',
];

export interface ReloadPlan {
  /** The running config with the reloadable changes taken over. */
  readonly config: AgentConfig;
  /** Keys whose value changed and take effect now. */
  readonly applied: readonly string[];
  /** Keys whose value changed but keep their running value until a restart. */
  readonly restartRequired: readonly string[];
}

/** Pure: the keys that differ between two configs, in reference order. */
export function changedKeys(a: AgentConfig, b: AgentConfig): string[] {
  const ya = toAgentYaml(a);
  const yb = toAgentYaml(b);
  return CONFIG_KEYS.map((k) => k.key).filter(
    (key) => JSON.stringify(valueAt(ya, key)) !== JSON.stringify(valueAt(yb, key)),
  );
}

export function planReload(running: AgentConfig, next: AgentConfig): ReloadPlan {
  const changed = changedKeys(running, next);
  const applied = changed.filter((k) => RELOADABLE_KEYS.includes(k));
  const restartRequired = changed.filter((k) => !RELOADABLE_KEYS.includes(k));
  const config: AgentConfig = {
    ...running,
    vpsie: { ...running.vpsie, pollIntervalMs: next.vpsie.pollIntervalMs },
    envoy: {
      ...running.envoy,
      maxConnections: next.envoy.maxConnections,
      maxHeapBytes: next.envoy.maxHeapBytes,
      ipv6: next.envoy.ipv6,
    },
    addressPolicy: next.addressPolicy,
    logging: { ...running.logging, level: next.logging.level },
  };
  return { config, applied, restartRequired };
}

/**
 * A re-read agent.yaml against the running config: the config to run with from now on (undefined: keep the running
 * one, the file is invalid), logged and reported as an event either way.
 */
export async function reloadConfig(
  running: AgentConfig,
  loaded: ConfigResult,
  file: string,
  out: { logger: Logger; events: EventSink },
): Promise<AgentConfig | undefined> {
  if (!loaded.ok) {
    const problems = loaded.problems.map(formatProblem);
    out.logger.error(
      { config: file, problems },
      'reload refused: agent.yaml is invalid; the running configuration is kept',
    );
    await out.events.enqueue(
      'agent_config_rejected',
      `reload refused: ${file} is invalid; the running configuration is kept:\n${problems.join('\n')}`,
      { file, problems },
    );
    return undefined;
  }
  const plan = planReload(running, loaded.value);
  const { applied, restartRequired } = plan;
  const taking = applied.length > 0 ? `taking ${applied.join(', ')}` : 'nothing to take now';
  const restart =
    restartRequired.length > 0 ? `; ${restartRequired.join(', ')} need systemctl restart vpsie-lb-agent` : '';
  const message =
    applied.length === 0 && restartRequired.length === 0
      ? `reloaded ${file}: no change`
      : `reloaded ${file}: ${taking}${restart}`;
  const line = { config: file, applied, restart_required: restartRequired };
  if (restartRequired.length > 0) out.logger.warn(line, message);
  else out.logger.info(line, message);
  await out.events.enqueue('agent_config_reloaded', message, {
    file,
    applied: [...applied],
    restart_required: [...restartRequired],
  });
  return plan.config;
}
