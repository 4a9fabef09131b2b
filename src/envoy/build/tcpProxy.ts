/** The TCP proxy of a tcp listener. */
import type { ListenerModel } from '../../model/types.ts';
import type { TcpProxyFilter } from '../types/index.ts';
import { EXTENSION, TYPE_URL } from '../types/index.ts';
import { seconds } from './duration.ts';
import { DEFAULT_IDLE_TIMEOUT_SECONDS } from './limits.ts';
import { prune } from './prune.ts';

export function buildTcpProxy(l: ListenerModel): TcpProxyFilter {
  if (l.tcpPool === undefined) throw new Error(`bug: tcp listener ${l.name} has no pool`);
  return prune<TcpProxyFilter>({
    name: EXTENSION.tcpProxy,
    typed_config: {
      '@type': TYPE_URL.tcpProxy,
      stat_prefix: l.statPrefix,
      cluster: l.tcpPool,
      idle_timeout: seconds(l.idleSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS),
      // Without a hash key RING_HASH silently picks a random host; the client address keeps affinity.
      hash_policy: l.tcpHashSourceIp === true ? [{ source_ip: {} }] : undefined,
    },
  });
}
