/** The TCP proxy for tcp LBs. */
import type { LoadBalancerSpec } from '../../spec/types.ts';
import type { TcpProxyFilter } from '../types/index.ts';
import { EXTENSION, TYPE_URL } from '../types/index.ts';
import { seconds } from './duration.ts';
import { DEFAULT_IDLE_TIMEOUT_SECONDS } from './limits.ts';
import { names } from './names.ts';
import { prune } from './prune.ts';

export function buildTcpProxy(spec: LoadBalancerSpec): TcpProxyFilter {
  return prune<TcpProxyFilter>({
    name: EXTENSION.tcpProxy,
    typed_config: {
      '@type': TYPE_URL.tcpProxy,
      stat_prefix: names.statPrefix(spec.id),
      cluster: names.cluster(spec.id),
      idle_timeout: seconds(spec.timeouts.idleSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS),
      // Without a hash key RING_HASH silently picks a random host; the client address keeps affinity.
      hash_policy: spec.algorithm === 'ring_hash' ? [{ source_ip: {} }] : undefined,
    },
  });
}
