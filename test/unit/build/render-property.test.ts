// Property: whatever valid document the API sends, the renderer produces a configuration that Envoy's schema accepts,
// in both packagings, deterministically.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { defaultAgentConfig } from '../../../src/config/defaults.ts';
import { renderFlat } from './fixtures.ts';
import { schemaProblems } from '../../../src/pipeline.ts';
import { validateSpec } from '../../../src/spec/validate.ts';
import { validDocArb } from '../spec/arbitraries.ts';
import { testContext } from '../spec/helpers.ts';

const ctx = testContext();

describe('property: render ∘ validate never yields a config the schema check rejects', () => {
  for (const ipv6 of [false, true]) {
    it(`generated valid specs render to schema-valid Envoy config (ipv6 listener: ${ipv6})`, () => {
      const base = defaultAgentConfig();
      const config = { ...base, envoy: { ...base.envoy, ipv6 } };
      fc.assert(
        fc.property(validDocArb, ({ body }) => {
          const result = validateSpec(structuredClone(body), ctx);
          assert.ok(
            result.ok,
            `generator produced an invalid document: ${JSON.stringify(!result.ok && result.problems)}`,
          );
          const rendered = renderFlat(result.value, config);
          assert.deepEqual(schemaProblems(rendered), []);
          assert.equal(renderFlat(result.value, config).hash, rendered.hash);
        }),
        { numRuns: 150 },
      );
    });
  }
});
