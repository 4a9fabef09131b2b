import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultAgentConfig } from '../../src/config/defaults.ts';
import type { AgentConfig } from '../../src/config/types.ts';

/** A complete agent config rooted in a fresh temp directory (state, Envoy config, certificates). */
export async function tempAgentConfig(
  overrides: (base: AgentConfig, root: string) => AgentConfig = (c) => c,
): Promise<{ config: AgentConfig; root: string }> {
  const root = await mkdtemp(join(tmpdir(), 'vpsie-lb-test-'));
  const base = defaultAgentConfig();
  const config: AgentConfig = {
    ...base,
    stateDir: join(root, 'state'),
    source: { type: 'file', path: join(root, 'spec.json') },
    envoy: {
      ...base.envoy,
      configPath: join(root, 'envoy', 'dynamic'),
      binaryPath: join(root, 'no-envoy-here'),
      pidFile: join(root, 'envoy.pid'),
    },
    tls: { certDir: join(root, 'certs') },
    logging: { level: 'error', format: 'json' },
  };
  return { config: overrides(config, root), root };
}

/** A valid http spec; `patch` edits a copy. */
export function httpSpec(
  patch: (s: Record<string, unknown>) => void = () => undefined,
): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    id: 'lb-test',
    name: 'test',
    protocol: 'http',
    port: 8080,
    algorithm: 'round_robin',
    backends: [
      { id: 'b1', address: '10.0.0.11', port: 8080, weight: 1 },
      { id: 'b2', address: '10.0.0.12', port: 8080, weight: 1 },
    ],
    health_check: {
      type: 'http',
      interval: 10,
      timeout: 2,
      unhealthy_threshold: 3,
      healthy_threshold: 2,
      path: '/healthz',
    },
  };
  patch(spec);
  return spec;
}
