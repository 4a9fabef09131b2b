import type { AgentConfig } from './types.ts';

/** The built-in defaults: what the agent runs with when agent.yaml says nothing. */
export function defaultAgentConfig(): AgentConfig {
  return {
    vpsie: {
      apiUrl: 'https://api.vpsie.com/v2',
      apiKeyFile: '/etc/vpsie-lb/api-key',
      loadbalancerId: '',
      pollIntervalMs: 30_000,
      allowedHosts: ['api.vpsie.com', '*.vpsie.com'],
      allowInsecureApi: false,
      requestTimeoutMs: 15_000,
      healthIntervalMs: 10_000,
      metricsIntervalMs: 60_000,
      specPath: '/loadbalancers/{id}',
      authScheme: 'bearer',
    },
    source: { type: 'vpsie' },
    envoy: {
      configPath: '/etc/envoy/dynamic',
      binaryPath: '/usr/bin/envoy',
      adminAddress: { host: '127.0.0.1', port: 9901 },
      allowNonLoopbackAdmin: false,
      pidFile: '/var/run/envoy.pid',
      maxConnections: 50_000,
      applyStrategy: 'dynamic',
      baseId: 0,
      drainTimeMs: 15_000,
      parentShutdownTimeMs: 25_000,
      verifyTimeoutMs: 30_000,
      stopOnExit: false,
      launcherSocket: '/run/vpsie-lb/launcher.sock',
      user: '',
      ipv6: false,
      maxHeapBytes: 1024 * 1024 * 1024,
    },
    logging: { level: 'info', format: 'json' },
    stateDir: '/var/lib/vpsie-lb',
    tls: { certDir: '/etc/vpsie-lb/certs' },
    server: { listen: { host: '127.0.0.1', port: 9902 } },
    addressPolicy: { denyCidrs: [], allowCidrs: [] },
  };
}
