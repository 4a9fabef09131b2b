import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultAgentConfig } from '../../../src/config/defaults.ts';
import type { AgentConfig } from '../../../src/config/types.ts';
import { specContextFromConfig } from '../../../src/spec/context.ts';
import { resolvePathOnDisk } from '../../../src/spec/realpath.ts';
import { validateSpec } from '../../../src/spec/validate.ts';
import { validDoc, withField } from './helpers.ts';

describe('specContextFromConfig', () => {
  it('takes ports, certificate directory and address policy from the agent config', () => {
    const base = defaultAgentConfig();
    const config: AgentConfig = {
      ...base,
      envoy: { ...base.envoy, adminAddress: { host: '127.0.0.1', port: 19000 } },
      server: { listen: { host: '127.0.0.1', port: 19001 } },
      tls: { certDir: '/srv/certs' },
      addressPolicy: { denyCidrs: ['10.9.0.0/16'], allowCidrs: ['10.0.0.0/8'] },
    };
    const resolve = (p: string) => p;
    const ctx = specContextFromConfig(config, resolve);
    assert.deepEqual(
      { ...ctx, resolvePath: undefined },
      {
        envoyAdminPort: 19000,
        agentPort: 19001,
        certDir: '/srv/certs',
        resolvePath: undefined,
        denyCidrs: ['10.9.0.0/16'],
        allowCidrs: ['10.0.0.0/8'],
      },
    );
    assert.equal(ctx.resolvePath, resolve);
    assert.equal(specContextFromConfig(base).resolvePath, resolvePathOnDisk);
  });
  it('uses the defaults 9901 and 9902 as the reserved ports', () => {
    const ctx = specContextFromConfig(defaultAgentConfig());
    for (const port of [9901, 9902])
      assert.equal(validateSpec(withField(validDoc(), 'port', port), ctx).ok, false);
    assert.equal(validateSpec(withField(validDoc(), 'port', 9903), ctx).ok, true);
  });
});
