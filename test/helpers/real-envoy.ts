// Where the real, pinned Envoy is for tests. `npm test` runs scripts/ensure-envoy.mjs first, so on a clean clone
// the binary is in .cache/envoy/<version>/envoy (or ENVOY_BIN). A missing binary is a test failure, never a skip.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const pin = JSON.parse(readFileSync(join(root, 'packaging/envoy.json'), 'utf8')) as { version: string };

export const ENVOY_VERSION: string = pin.version;

export function realEnvoyBinary(): string {
  const bin = process.env.ENVOY_BIN ?? join(root, '.cache/envoy', pin.version, 'envoy');
  if (!existsSync(bin)) {
    throw new Error(
      `real Envoy not found at ${bin}: run \`node scripts/ensure-envoy.mjs\` (npm test does) or set ENVOY_BIN`,
    );
  }
  return bin;
}
