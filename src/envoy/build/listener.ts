/** The LB's listeners: 0.0.0.0:{port}, plus [::]:{port} when the agent config enables IPv6. */
import type { AgentConfig } from '../../config/types.ts';
import type { LoadBalancerSpec } from '../../spec/types.ts';
import type {
  ConnectionLimitFilter,
  DownstreamTlsTransportSocket,
  FilterChain,
  Listener,
  TerminalFilter,
} from '../types/index.ts';
import { EXTENSION, TYPE_URL } from '../types/index.ts';
import { buildHttpConnectionManager } from './httpConnectionManager.ts';
import { CONNECTION_BUFFER_LIMIT_BYTES } from './limits.ts';
import { type ListenerFamily, names } from './names.ts';
import { prune } from './prune.ts';
import { buildTcpProxy } from './tcpProxy.ts';
import { buildDownstreamTls, type TlsSecretRefs } from './tls.ts';

/**
 * Per filter chain, so with IPv6 enabled each address family's listener has its own budget of max_connections
 * (Envoy has no limit shared between listeners short of the global one).
 */
export function buildConnectionLimit(spec: LoadBalancerSpec): ConnectionLimitFilter | undefined {
  if (spec.maxConnections === undefined) return undefined;
  return {
    name: EXTENSION.connectionLimit,
    typed_config: {
      '@type': TYPE_URL.connectionLimit,
      stat_prefix: names.connectionLimitStatPrefix(spec.id),
      max_connections: spec.maxConnections,
    },
  };
}

export function buildFilterChain(spec: LoadBalancerSpec, tlsRefs?: TlsSecretRefs): FilterChain {
  const terminal: TerminalFilter =
    spec.protocol === 'tcp' ? buildTcpProxy(spec) : buildHttpConnectionManager(spec);
  const limit = buildConnectionLimit(spec);
  let transportSocket: DownstreamTlsTransportSocket | undefined;
  if (spec.protocol === 'https') {
    if (spec.tls === undefined || tlsRefs === undefined) throw new Error('bug: https listener without TLS');
    transportSocket = buildDownstreamTls(spec.tls, tlsRefs);
  }
  return prune<FilterChain>({
    // The connection limit must run before the terminal filter.
    filters: limit === undefined ? [terminal] : [limit, terminal],
    transport_socket: transportSocket,
  });
}

const BIND_ADDRESS: Record<ListenerFamily, string> = { v4: '0.0.0.0', v6: '::' };

export function buildListener(
  spec: LoadBalancerSpec,
  family: ListenerFamily,
  tlsRefs?: TlsSecretRefs,
): Listener {
  return {
    name: names.listener(spec.id, family),
    // Envoy sets IPV6_V6ONLY on [::] (ipv4_compat false), so it can share the port with the 0.0.0.0 listener.
    address: { socket_address: { address: BIND_ADDRESS[family], port_value: spec.port } },
    per_connection_buffer_limit_bytes: CONNECTION_BUFFER_LIMIT_BYTES,
    filter_chains: [buildFilterChain(spec, tlsRefs)],
  };
}

export function buildListeners(
  spec: LoadBalancerSpec,
  config: AgentConfig,
  tlsRefs?: TlsSecretRefs,
): Listener[] {
  const families: ListenerFamily[] = config.envoy.ipv6 ? ['v4', 'v6'] : ['v4'];
  return families.map((family) => buildListener(spec, family, tlsRefs));
}
