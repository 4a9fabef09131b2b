/**
 * The VPSie form as the model: a listener per rule, a pool per domain / tcp rule / default pool, a virtual host
 * per domain and per redirected host, a certificate per https/http2 domain (see vpsie-form.md).
 * Names: `lb-{id}|{ruleId}` (listener base, route configuration, default or tcp pool), `lb-{id}|{ruleId}|{domainId}`
 * (domain pool), `…|cert` / `…|ca` (secrets). `|` is outside the id pattern, so no two parts can run together,
 * and it is not the `.` Envoy's stat tag extraction splits cluster names on.
 */
import type { VpsieBackend } from '../spec/vpsie/backends.ts';
import type { HealthSettings, VpsieDomain } from '../spec/vpsie/domain.ts';
import type { VpsieLoadBalancer, VpsieRule } from '../spec/vpsie/read.ts';
import type { Problem } from '../util/result.ts';
import type {
  CertificateItem,
  ListenerModel,
  LoadBalancerModel,
  ModelBackend,
  ModelHealthCheck,
  Pool,
  TlsChain,
  VirtualHostModel,
} from './types.ts';

/** What the contract asks of health checks of HTTP kinds: any 2xx or 3xx. */
const HTTP_OK = [{ start: 200, end: 400 }] as const;

const secure = (r: VpsieRule): boolean => r.scheme === 'https' || r.scheme === 'http2';

/** A check's Host for a served host: a wildcard's suffix (a Host header cannot be a pattern). */
const checkHost = (host: string): string => (host.startsWith('*.') ? host.slice(2) : host);

function backendsOf(list: readonly VpsieBackend[], port: number): ModelBackend[] {
  return list.map((b) => ({
    id: b.identifier,
    address: b.address,
    addressKind: b.addressKind,
    port,
    weight: 1,
    enabled: true,
    ...(b.vmIdentifier === undefined ? {} : { vmIdentifier: b.vmIdentifier }),
  }));
}

function check(h: HealthSettings, protocol: 'tcp' | 'http', tls: boolean, host?: string): ModelHealthCheck {
  return {
    protocol,
    tls,
    intervalMs: h.intervalMs,
    timeoutMs: h.timeoutMs,
    unhealthyThreshold: h.fall,
    healthyThreshold: h.rise,
    ...(protocol === 'http' ? { path: h.path, host: host ?? '' } : {}),
    expectedStatuses: protocol === 'http' ? HTTP_OK : [],
    headers: [],
  };
}

/** Hosts redirected to https, with their target port: redirect flags of https/http2 domains reach every http rule. */
function secureRedirects(lb: VpsieLoadBalancer): Map<string, boolean> {
  const flagged = new Map<string, boolean>();
  for (const r of lb.rules) {
    if (!secure(r)) continue;
    for (const d of r.domains) if (d.redirect) flagged.set(d.host, true);
  }
  return flagged;
}

function httpsPortFor(lb: VpsieLoadBalancer, host: string): number {
  let port: number | undefined;
  for (const r of lb.rules) {
    if (!secure(r) || !r.domains.some((d) => d.host === host)) continue;
    if (port === undefined || r.frontPort < port) port = r.frontPort;
  }
  return port ?? 443;
}

export function fromVpsie(lb: VpsieLoadBalancer, warnings: Problem[]): LoadBalancerModel {
  const base = `lb-${lb.identifier}`;
  const pools: Pool[] = [];
  const listeners: ListenerModel[] = [];
  const certificates: CertificateItem[] = [];
  const fromSecure = secureRedirects(lb);
  const hasHttpRule = lb.rules.some((r) => r.scheme === 'http');
  const anyFlag = lb.rules.some((r) => r.domains.some((d) => d.redirect));
  if (anyFlag && !hasHttpRule) {
    warnings.push({
      path: 'rules',
      message: 'redirectHTTP is set but no http rule exists: it has no effect',
    });
  }

  for (const r of lb.rules) {
    const ruleBase = `${base}|${r.ruleId}`;
    const rulePath = `rules[${r.index}]`;
    const common = {
      name: ruleBase,
      kind: r.scheme,
      port: r.frontPort,
      statPrefix: `lb_${lb.identifier}_${r.ruleId}`,
    };
    const defaultPool = (): Pool => ({
      name: ruleBase,
      origin: rulePath,
      algorithm: lb.algorithm ?? 'round_robin',
      backends: backendsOf(r.backends, r.backPort ?? 0),
      connectTimeoutSeconds: lb.connectTimeoutSeconds,
      healthCheck:
        r.scheme === 'tcp'
          ? check(lb.health, 'tcp', false)
          : check(lb.health, 'http', false, checkHost(r.domains[0]?.host ?? lb.identifier)),
      upstreamTls: false,
    });
    if (r.scheme === 'tcp') {
      const pool = defaultPool();
      pools.push(pool);
      listeners.push({
        ...common,
        tcpPool: pool.name,
        tcpHashSourceIp: pool.algorithm === 'ring_hash',
        virtualHosts: [],
        tlsChains: [],
      });
      continue;
    }

    const virtualHosts: VirtualHostModel[] = [];
    const redirected = new Set<string>();
    if (r.scheme === 'http') {
      for (const d of r.domains) if (d.redirect || fromSecure.has(d.host)) redirected.add(d.host);
      for (const host of fromSecure.keys()) redirected.add(host);
    }
    r.domains.forEach((d, j) => {
      if (redirected.has(d.host)) return;
      const pool = domainPool(d, r, `${ruleBase}|${d.domainId}`, `${rulePath}.domains[${j}]`, lb);
      pools.push(pool);
      virtualHosts.push({
        name: `domain|${d.domainId}`,
        hosts: [d.host],
        action: {
          kind: 'pool',
          pool: pool.name,
          hashSourceIp: pool.algorithm === 'ring_hash',
          ...(d.stickyCookie === undefined ? {} : { stickyCookie: d.stickyCookie }),
        },
      });
    });
    for (const host of [...redirected].sort()) {
      virtualHosts.push({
        name: `redirect|${host}`,
        hosts: [host],
        action: { kind: 'redirect', httpsPort: httpsPortFor(lb, host) },
      });
    }
    let fallback: VirtualHostModel['action'] = { kind: 'notFound' };
    if (r.backends.length > 0) {
      const pool = defaultPool();
      pools.push(pool);
      fallback = { kind: 'pool', pool: pool.name, hashSourceIp: pool.algorithm === 'ring_hash' };
    }
    virtualHosts.push({ name: 'default', hosts: ['*'], action: fallback });

    const tlsChains: TlsChain[] = [];
    if (secure(r)) {
      const items = r.domains
        .map((d, j) => ({ d, j }))
        .sort((a, b) => (a.d.domainId < b.d.domainId ? -1 : 1));
      for (const { d, j } of items) {
        if (d.tls === undefined) continue; // the certificate directory could not be resolved: already a problem
        const secretName = `${ruleBase}|${d.domainId}|cert`;
        certificates.push({
          secretName,
          caSecretName: `${ruleBase}|${d.domainId}|ca`,
          path: `${rulePath}.domains[${j}].tls`,
          label: d.host,
          tls: d.tls,
        });
        tlsChains.push({ certificate: secretName, serverNames: [d.host] });
      }
      const lowest = tlsChains[0];
      if (lowest !== undefined) tlsChains.push({ certificate: lowest.certificate, serverNames: [] });
      else if (r.tls !== undefined) {
        const secretName = `${ruleBase}|cert`;
        certificates.push({
          secretName,
          caSecretName: `${ruleBase}|ca`,
          path: `${rulePath}.tls`,
          label: r.ruleId,
          tls: r.tls,
        });
        tlsChains.push({ certificate: secretName, serverNames: [] });
      }
    }
    listeners.push({ ...common, routeName: ruleBase, virtualHosts, tlsChains });
  }
  return { id: lb.identifier, name: lb.lbName, listeners, pools, certificates };
}

function domainPool(d: VpsieDomain, r: VpsieRule, name: string, origin: string, lb: VpsieLoadBalancer): Pool {
  const port = d.backPort ?? r.backPort;
  if (port === undefined) throw new Error(`bug: ${origin} has no backPort after validation`);
  const tls = d.backendScheme === 'https';
  return {
    name,
    origin,
    algorithm: d.algorithm,
    backends: backendsOf(d.backends, port),
    connectTimeoutSeconds: lb.connectTimeoutSeconds,
    healthCheck: check(d.health, 'http', tls, checkHost(d.host)),
    upstreamTls: tls,
  };
}
