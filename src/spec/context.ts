import type { AgentConfig } from '../config/types.ts';
import { resolvePathOnDisk } from './realpath.ts';
import type { SpecValidationContext } from './types.ts';

/** What the validator needs from the agent config; `resolvePath` is injectable for tests. */
export function specContextFromConfig(
  config: AgentConfig,
  resolvePath: (p: string) => string = resolvePathOnDisk,
): SpecValidationContext {
  return {
    envoyAdminPort: config.envoy.adminAddress.port,
    agentPort: config.server.listen.port,
    certDir: config.tls.certDir,
    resolvePath,
    denyCidrs: config.addressPolicy.denyCidrs,
    allowCidrs: config.addressPolicy.allowCidrs,
  };
}
