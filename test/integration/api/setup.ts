// Shared wiring for the API client tests: config for the fake, instant sleeps that record, a logger that records.
import type { AgentConfig } from '../../../src/config/types.ts';
import type { FakeVpsieApi } from '../../fakes/vpsie-api.ts';

export const API_KEY = 'vk_live_5f3c9a7e1d2b4c6a8e0f1a3b5c7d9e1f';

export function devConfig(api: FakeVpsieApi, over: Partial<AgentConfig['vpsie']> = {}): AgentConfig['vpsie'] {
  return {
    apiUrl: api.url,
    apiKeyFile: '/etc/vpsie-lb/api-key',
    loadbalancerId: 'lb-1',
    pollIntervalMs: 30_000,
    allowedHosts: ['api.vpsie.com'],
    allowInsecureApi: true,
    requestTimeoutMs: 2_000,
    healthIntervalMs: 10_000,
    metricsIntervalMs: 60_000,
    specPath: '/loadbalancers/{id}',
    authScheme: 'bearer',
    ...over,
  };
}

export function strictConfig(apiUrl: string, over: Partial<AgentConfig['vpsie']> = {}): AgentConfig['vpsie'] {
  return {
    apiUrl,
    apiKeyFile: '/etc/vpsie-lb/api-key',
    loadbalancerId: 'lb-1',
    pollIntervalMs: 30_000,
    allowedHosts: ['api.vpsie.test', '*.vpsie.test'],
    allowInsecureApi: false,
    requestTimeoutMs: 2_000,
    healthIntervalMs: 10_000,
    metricsIntervalMs: 60_000,
    specPath: '/loadbalancers/{id}',
    authScheme: 'bearer',
    ...over,
  };
}

/** A sleep that returns at once and remembers what it was asked for. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    sleep: (ms) => {
      calls.push(ms);
      return new Promise((r) => setImmediate(r));
    },
  };
}

export { recordingLogger } from '../../helpers/logging.ts';
