// Where the operator commands find the agent: agent.yaml (--config, or the packaged one when it exists), else the
// built-in defaults.
import { access } from 'node:fs/promises';
import { defaultAgentConfig } from '../config/defaults.ts';
import type { AgentConfig } from '../config/types.ts';
import { formatProblem } from '../util/result.ts';

export const DEFAULT_CONFIG = '/etc/vpsie-lb/agent.yaml';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The agent's config, or the problems (written to stderr by the caller) that make it unusable. */
export async function operatorConfig(
  file: string | undefined,
): Promise<{ ok: true; config: AgentConfig } | { ok: false; problems: string[] }> {
  const path = file ?? ((await exists(DEFAULT_CONFIG)) ? DEFAULT_CONFIG : undefined);
  if (path === undefined) return { ok: true, config: defaultAgentConfig() };
  const { loadAgentConfig } = await import('../config/load.ts');
  const loaded = await loadAgentConfig(path);
  if (!loaded.ok) return { ok: false, problems: loaded.problems.map((p) => `${path}: ${formatProblem(p)}`) };
  return { ok: true, config: loaded.value };
}

/** operatorConfig for a command: undefined (exit EXIT_USAGE) once the problems are written to stderr. */
export async function commandConfig(file: string | undefined): Promise<AgentConfig | undefined> {
  const cfg = await operatorConfig(file);
  if (cfg.ok) return cfg.config;
  for (const p of cfg.problems) process.stderr.write(`${p}\n`);
  return undefined;
}

/** http://host:port of the agent endpoint: --server (URL or host:port) or server.listen of the config. */
export function endpointUrl(server: string | undefined, config: AgentConfig): string {
  if (server !== undefined)
    return /^https?:\/\//.test(server) ? server.replace(/\/+$/, '') : `http://${server}`;
  const { host, port } = config.server.listen;
  // A wildcard listen address is reached on loopback.
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reach.includes(':') ? `[${reach}]` : reach}:${port}`;
}
