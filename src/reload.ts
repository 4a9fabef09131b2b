// `systemctl reload` (SIGHUP): which agent.yaml changes take effect in the running agent, and which need a restart.
import { CONFIG_KEYS, toAgentYaml } from './config/schema.ts';
import type { AgentConfig } from './config/types.ts';

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

const valueAt = (obj: Record<string, unknown>, key: string): unknown =>
  key
    .split('.')
    .reduce<unknown>(
      (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      obj,
    );

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
