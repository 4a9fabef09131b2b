/** A model listener as Envoy listeners: 0.0.0.0:{port}, plus [::]:{port} when the agent config enables IPv6. */
import type { AgentConfig } from '../../config/types.ts';
import type { CertificateItem, ListenerModel, TlsChain } from '../../model/types.ts';
import type {
  ConnectionLimitFilter,
  FilterChain,
  Listener,
  SdsSecretConfig,
  TerminalFilter,
} from '../types/index.ts';
import { EXTENSION, TYPE_URL } from '../types/index.ts';
import { buildHttpConnectionManager, type RouteSource } from './httpConnectionManager.ts';
import { CONNECTION_BUFFER_LIMIT_BYTES } from './limits.ts';
import { type ListenerFamily, names } from './names.ts';
import { compact } from './prune.ts';
import { buildTcpProxy } from './tcpProxy.ts';
import { buildDownstreamTls } from './tls.ts';

export interface ListenerSources {
  readonly routes: RouteSource;
  /** How a certificate secret is referenced: by name (static) or by name and SDS file source (runtime). */
  readonly secretRef: (name: string) => SdsSecretConfig;
  readonly certificates: ReadonlyMap<string, CertificateItem>;
}

/**
 * Per filter chain, so with IPv6 enabled each address family's listener has its own budget of max_connections
 * (Envoy has no limit shared between listeners short of the global one).
 */
export function buildConnectionLimit(l: ListenerModel): ConnectionLimitFilter | undefined {
  if (l.maxConnections === undefined) return undefined;
  return {
    name: EXTENSION.connectionLimit,
    typed_config: {
      '@type': TYPE_URL.connectionLimit,
      stat_prefix: names.connectionLimitStatPrefix(l.statPrefix),
      max_connections: l.maxConnections,
    },
  };
}

function chain(
  l: ListenerModel,
  sources: ListenerSources,
  terminal: TerminalFilter,
  limit: ConnectionLimitFilter | undefined,
  tls?: TlsChain,
): FilterChain {
  let transport: FilterChain['transport_socket'];
  if (tls !== undefined) {
    const item = sources.certificates.get(tls.certificate);
    if (item === undefined)
      throw new Error(`bug: listener ${l.name} names unknown certificate ${tls.certificate}`);
    const refs = {
      certificate: sources.secretRef(item.secretName),
      ...(item.tls.ca === undefined ? {} : { ca: sources.secretRef(item.caSecretName) }),
    };
    transport = buildDownstreamTls(item.tls, refs);
  }
  return compact<FilterChain>({
    filter_chain_match:
      tls !== undefined && tls.serverNames.length > 0 ? { server_names: [...tls.serverNames] } : undefined,
    // The connection limit must run before the terminal filter.
    filters: limit === undefined ? [terminal] : [limit, terminal],
    transport_socket: transport,
  });
}

export function buildFilterChains(l: ListenerModel, sources: ListenerSources): FilterChain[] {
  // One terminal filter object shared by every chain (and address family): the same config, built once.
  const terminal: TerminalFilter =
    l.kind === 'tcp' ? buildTcpProxy(l) : buildHttpConnectionManager(l, sources.routes);
  const limit = buildConnectionLimit(l);
  if (l.kind === 'https' || l.kind === 'http2') {
    if (l.tlsChains.length === 0) throw new Error(`bug: ${l.kind} listener ${l.name} without a certificate`);
    return l.tlsChains.map((t) => chain(l, sources, terminal, limit, t));
  }
  return [chain(l, sources, terminal, limit)];
}

const BIND_ADDRESS: Record<ListenerFamily, string> = { v4: '0.0.0.0', v6: '::' };

export function buildListener(
  l: ListenerModel,
  family: ListenerFamily,
  sources: ListenerSources,
  chains: FilterChain[] = buildFilterChains(l, sources),
): Listener {
  const sni = l.tlsChains.some((t) => t.serverNames.length > 0);
  return compact<Listener>({
    name: names.listener(l.name, family),
    // Envoy sets IPV6_V6ONLY on [::] (ipv4_compat false), so it can share the port with the 0.0.0.0 listener.
    address: { socket_address: { address: BIND_ADDRESS[family], port_value: l.port } },
    per_connection_buffer_limit_bytes: CONNECTION_BUFFER_LIMIT_BYTES,
    // SNI server names are only known after the TLS inspector has read the ClientHello.
    listener_filters: sni
      ? [{ name: EXTENSION.tlsInspector, typed_config: { '@type': TYPE_URL.tlsInspector } }]
      : undefined,
    filter_chains: chains,
  });
}

export function buildListeners(l: ListenerModel, config: AgentConfig, sources: ListenerSources): Listener[] {
  const families: ListenerFamily[] = config.envoy.ipv6 ? ['v4', 'v6'] : ['v4'];
  const chains = buildFilterChains(l, sources);
  return families.map((family) => buildListener(l, family, sources, chains));
}
