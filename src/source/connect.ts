// Builds the spec source and the event path for the configured source type.
import { join } from 'node:path';
import type { AgentConfig } from '../config/types.ts';
import { createEventQueue, type EventQueue } from '../events/queue.ts';
import { sendOutcomeOf } from '../events/send.ts';
import type { JsonValue } from '../events/types.ts';
import type { Logger } from '../log/logger.ts';
import type { EventKind, EventSink } from '../reconcile/reconciler.ts';
import { FileSpecSource } from './file-source.ts';
import type { SpecSource } from './types.ts';
import { readApiKey } from './vpsie/api-key.ts';
import { createVpsieClient, type VpsieClient } from './vpsie/client.ts';

export interface ConnectedSource {
  readonly source: SpecSource;
  readonly events: EventSink & { flush(timeoutMs: number): Promise<boolean>; stop(): void };
  readonly eventQueue?: EventQueue;
  readonly client?: VpsieClient;
}

/** The spec from the VPSie API: every fetch goes through the hardened client. */
export class VpsieSpecSource implements SpecSource {
  readonly description: string;
  readonly #client: VpsieClient;

  constructor(client: VpsieClient, config: AgentConfig['vpsie']) {
    this.#client = client;
    const path = config.specPath.replace('{id}', encodeURIComponent(config.loadbalancerId));
    this.description = `vpsie ${config.apiUrl.replace(/\/+$/, '')}${path}`;
  }

  async fetch() {
    const result = await this.#client.fetchSpec();
    if (!result.ok)
      return { kind: 'error' as const, message: result.error.message, retryable: result.error.retryable };
    if (result.value.kind === 'unchanged') return { kind: 'unchanged' as const };
    return { kind: 'document' as const, text: result.value.body, etag: result.value.etag };
  }
}

function toJson(metadata: Record<string, unknown> | undefined): Record<string, JsonValue> {
  // Metadata is built by the agent from plain values; a JSON round trip drops anything that is not JSON.
  return metadata === undefined ? {} : (JSON.parse(JSON.stringify(metadata)) as Record<string, JsonValue>);
}

export async function connectSource(
  config: AgentConfig,
  logger: Logger,
  onRequest?: (endpoint: string, statusClass: string, durationMs: number) => void,
): Promise<ConnectedSource> {
  if (config.source.type === 'file') {
    const path = config.source.path;
    if (path === undefined) throw new Error('source.path is required with source.type: file');
    return {
      source: new FileSpecSource(path),
      // No API to deliver to: events go to the log.
      events: {
        async enqueue(type: EventKind, message: string, metadata?: Record<string, unknown>) {
          logger.info({ event: type, metadata }, message);
        },
        flush: async () => true,
        stop: () => undefined,
      },
    };
  }
  const key = await readApiKey(config.vpsie.apiKeyFile);
  if (!key.ok) throw new Error(key.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  for (const warning of key.warnings) logger.warn({ file: config.vpsie.apiKeyFile }, warning);
  if (config.vpsie.allowInsecureApi) {
    logger.warn(
      {},
      'vpsie.allow_insecure_api is on: http, loopback and private API addresses are allowed (development only)',
    );
  }
  const client = createVpsieClient({ vpsie: config.vpsie, apiKey: key.value, logger, onRequest });
  const queue = createEventQueue({
    dir: join(config.stateDir, 'events'),
    send: async (event) => sendOutcomeOf(await client.postEvent(event)),
    logger,
    secrets: [key.value],
  });
  await queue.start();
  return {
    source: new VpsieSpecSource(client, config.vpsie),
    eventQueue: queue,
    client,
    events: {
      enqueue: (type, message, metadata) => queue.enqueue(type, message, toJson(metadata)),
      flush: (timeoutMs) => queue.flush(timeoutMs),
      stop: () => {
        void queue.stop();
        client.close();
      },
    },
  };
}

/** The client's write endpoints as the health reporters expect them: a failed call rejects, so it is retried. */
export function reportingApi(client: VpsieClient) {
  const check = async (call: Promise<{ ok: boolean; error?: { message: string } }>): Promise<void> => {
    const result = await call;
    if (!result.ok) throw new Error(result.error?.message ?? 'request failed');
  };
  return {
    putBackendHealth: (id: string, status: 'healthy' | 'unhealthy') =>
      check(client.putBackendHealth(id, status)),
    putStatus: (status: string) => check(client.putStatus(status)),
    postMetrics: (summary: object) => check(client.postMetrics(summary)),
  };
}
