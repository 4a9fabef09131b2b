// /status `listeners`: each listener of the model with the pools it routes to (and for which hosts), each pool
// with its backends' health. What `vpsie-lb-agent status` prints first.
import type { BackendStatusEntry } from '../health/backend-health.ts';
import { names } from '../envoy/build/names.ts';
import type { LoadBalancerModel } from '../model/types.ts';
import type { ListenerStatus } from './status.ts';

export function listenerStatus(
  model: LoadBalancerModel | undefined,
  backends: readonly BackendStatusEntry[],
): ListenerStatus[] {
  if (model === undefined) return [];
  const byId = new Map(backends.map((b) => [b.id, b]));
  const poolStatus = (name: string, domains: readonly string[]) => {
    const pool = model.pools.find((p) => p.name === name);
    return {
      name,
      algorithm: pool?.algorithm ?? 'unknown',
      domains,
      backends: (pool?.backends ?? []).map(
        (b): BackendStatusEntry =>
          byId.get(b.id) ?? {
            id: b.id,
            address: b.address,
            port: b.port,
            enabled: b.enabled,
            health: 'unknown',
          },
      ),
    };
  };
  return model.listeners.map((l) => {
    let pools: ListenerStatus['pools'];
    if (l.tcpPool !== undefined) pools = [poolStatus(l.tcpPool, [])];
    else {
      // Hosts grouped by the pool they route to, in the order the virtual hosts come (most specific first).
      const hosts = new Map<string, string[]>();
      for (const vh of l.virtualHosts) {
        if (vh.action.kind !== 'pool') continue;
        const list = hosts.get(vh.action.pool) ?? [];
        list.push(...vh.hosts.filter((h) => h !== '*'));
        hosts.set(vh.action.pool, list);
      }
      pools = [...hosts].map(([pool, domains]) => poolStatus(pool, domains));
    }
    return { name: names.listener(l.name, 'v4'), protocol: l.kind, port: l.port, pools };
  });
}
