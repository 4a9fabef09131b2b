import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { CONFIG_KEYS, parseAgentConfig } from '../../../src/config/index.ts';
import {
  CONFIG_EXAMPLES,
  CONFIGURATION_MD,
  currentSection,
  END_MARKER,
  generateConfigReference,
  REGENERATE,
  replaceSection,
  START_MARKER,
  updateConfigurationDoc,
} from './config-reference.ts';

describe('docs/configuration.md reference', () => {
  it('holds exactly the table generated from CONFIG_KEYS between the markers', () => {
    if (process.env.UPDATE_DOCS === '1') updateConfigurationDoc();
    const section = currentSection(readFileSync(CONFIGURATION_MD, 'utf8'));
    assert.notEqual(section, undefined, `docs/configuration.md lacks ${START_MARKER} … ${END_MARKER}`);
    assert.equal(
      section,
      generateConfigReference(),
      `docs/configuration.md's configuration reference is out of date with src/config/schema.ts; regenerate it with:\n  ${REGENERATE}`,
    );
  });

  it('has one row per config key, and a table cell count that survives pipes in types', () => {
    const rows = generateConfigReference().split('\n').slice(2);
    assert.equal(rows.length, CONFIG_KEYS.length);
    for (const [i, row] of rows.entries()) {
      const cells = row.split(/(?<!\\)\|/).slice(1, -1);
      assert.equal(cells.length, 5, `row ${i} (${CONFIG_KEYS[i]!.key}) has ${cells.length} cells: ${row}`);
      assert.ok(cells[0]!.includes(CONFIG_KEYS[i]!.key));
    }
  });

  it('has no example for a key that does not exist', () => {
    const keys = new Set(CONFIG_KEYS.map((k) => k.key));
    assert.deepEqual(
      Object.keys(CONFIG_EXAMPLES).filter((k) => !keys.has(k)),
      [],
    );
  });

  for (const { key } of CONFIG_KEYS) {
    it(`example for ${key} is accepted by the real loader`, () => {
      const example = CONFIG_EXAMPLES[key];
      assert.notEqual(example, undefined, `no example for ${key}`);
      const doc: Record<string, unknown> = { vpsie: { loadbalancer_id: '12345' } };
      const parts = key.split('.');
      let at = doc;
      for (const part of parts.slice(0, -1)) {
        at[part] ??= {};
        at = at[part] as Record<string, unknown>;
      }
      at[parts[parts.length - 1]!] = parse(example!);
      const result = parseAgentConfig(stringify(doc), 'example.yaml', { baseDir: '/etc/vpsie-lb' });
      assert.ok(
        result.ok,
        `${key}: ${example} is rejected: ${result.ok ? '' : result.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      );
    });
  }

  it('replaceSection swaps only what lies between the markers', () => {
    const md = `before\n${START_MARKER}\nold\n${END_MARKER}\nafter\n`;
    assert.equal(replaceSection(md, 'new'), `before\n${START_MARKER}\nnew\n${END_MARKER}\nafter\n`);
    assert.equal(currentSection(replaceSection(md, 'new')), 'new');
    assert.throws(() => replaceSection('no markers', 'x'));
  });
});
