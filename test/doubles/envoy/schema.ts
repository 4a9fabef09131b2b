/** The strict checker from src/envoy/schema (Envoy's protos + PGV + load-time rules), as the double uses it. */
import { getSchemaChecker } from '../../../src/envoy/schema/index.ts';
import type { Problem } from '../../../src/util/result.ts';

export interface SchemaAdapter {
  checkBootstrap(doc: unknown): Problem[];
  checkDiscoveryResponse(doc: unknown): Problem[];
}

/** Referenced files (certificates, path_config_source) must exist, relative to the cwd as in Envoy. */
export function loadSchema(): SchemaAdapter {
  const checker = getSchemaChecker();
  const options = { checkFiles: true, baseDir: process.cwd() };
  return {
    checkBootstrap: (doc) => checker.checkBootstrap(doc, options),
    checkDiscoveryResponse: (doc) => checker.checkDiscoveryResponse(doc, options),
  };
}
