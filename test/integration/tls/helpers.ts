// Shared pieces of the TLS integration tests: https specs, operator-style certificate files, a running agent.
import { waitFor } from '../../helpers/cli-process.ts';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type AgentHandle, type AgentParts, startAgent } from '../../../src/agent.ts';
import type { Applier } from '../../../src/apply/types.ts';
import type { AgentConfig } from '../../../src/config/types.ts';
import { silentLogger } from '../../../src/log/logger.ts';
import type { EventKind, ReconcileReport } from '../../../src/reconcile/reconciler.ts';
import { FileSpecSource } from '../../../src/source/file-source.ts';
import { httpSpec } from '../../helpers/agent-config.ts';

export interface Recorded {
  type: EventKind;
  message: string;
  metadata?: Record<string, unknown>;
}

/** An https spec with `tls` as its tls_config (min_version added). */
export function httpsSpec(tls: Record<string, unknown>): Record<string, unknown> {
  return httpSpec((s) => {
    s.protocol = 'https';
    s.port = 8443;
    s.tls_config = { min_version: 'TLSv1.2', ...tls };
  });
}

/** Writes a file the way an operator's tool does: a temp file in the same directory, renamed over the target. */
export async function replaceByRename(path: string, content: string, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.tool-${randomBytes(4).toString('hex')}`);
  await writeFile(tmp, content, { mode });
  await rename(tmp, path);
}

/** The agent's own copies in the certificate directory. */
export async function inlineFiles(certDir: string): Promise<string[]> {
  try {
    return (await readdir(certDir)).filter((n) => n.startsWith('inline-')).sort();
  } catch {
    return [];
  }
}

export const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

export const eventually = <T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> => waitFor(what, timeoutMs, check);

/** Waits for a report other than `previous` (by identity) that satisfies `ok`. */
export function nextReport(
  agent: AgentHandle,
  previous: ReconcileReport | undefined,
  what: string,
  ok: (r: ReconcileReport) => boolean = () => true,
): Promise<ReconcileReport> {
  return eventually(what, () => {
    const r = agent.reconciler.lastReport;
    return r !== undefined && r !== previous && !agent.loop.running && ok(r) ? r : undefined;
  });
}

export interface RunningAgent {
  agent: AgentHandle;
  events: Recorded[];
}

/** The real agent wiring (startAgent) with a file source, the given applier and recorded events. */
export async function runAgent(
  config: AgentConfig,
  applier: Applier,
  events: Recorded[] = [],
): Promise<RunningAgent> {
  const parts: AgentParts = {
    source: new FileSpecSource(config.source.path ?? ''),
    events: {
      enqueue: async (type, message, metadata) => {
        events.push({ type, message, ...(metadata ? { metadata } : {}) });
      },
    },
    applier,
  };
  const agent = await startAgent(config, silentLogger, parts);
  return { agent, events };
}

/** Polls far apart: every reconcile in these tests comes from a watch or the start. */
export function quietConfig(config: AgentConfig, port: number): AgentConfig {
  return {
    ...config,
    vpsie: { ...config.vpsie, pollIntervalMs: 3_600_000 },
    server: { ...config.server, listen: { host: '127.0.0.1', port } },
  };
}
