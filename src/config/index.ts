export { defaultAgentConfig } from './defaults.ts';
export {
  type ConfigResult,
  configWarnings,
  loadAgentConfig,
  parseAgentConfig,
  validateAgentConfig,
} from './load.ts';
export {
  cidrProblem,
  formatHostPort,
  hostAllowed,
  isHostPattern,
  isLoopbackIp,
  parseHostPort,
} from './net.ts';
export { agentConfigSchema, CONFIG_KEYS, type KeyDoc, type RawAgentConfig, toAgentYaml } from './schema.ts';
export type * from './types.ts';
export { formatBytes, formatDuration, parseBytes, parseDuration } from './units.ts';
