import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  agentConfigSchema,
  CONFIG_KEYS,
  defaultAgentConfig,
  loadAgentConfig,
  parseAgentConfig,
  toAgentYaml,
} from '../../../src/config/index.ts';
import { validateSpec } from '../../../src/spec/validate.ts';

const EXAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples');

/** Dotted leaf keys of a nested plain object (lists are leaves). */
function objectLeaves(obj: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? objectLeaves(v as Record<string, unknown>, key)
      : [key];
  });
}

/** Dotted leaf keys of the zod schema, walked independently of CONFIG_KEYS' own walk. */
function schemaKeys(schema: z.ZodType, prefix = ''): string[] {
  const inner = schema instanceof z.ZodOptional ? schema.unwrap() : schema;
  if (!(inner instanceof z.ZodObject)) return [prefix];
  return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([k, s]) =>
    schemaKeys(s, prefix === '' ? k : `${prefix}.${k}`),
  );
}

describe('CONFIG_KEYS', () => {
  const keys = CONFIG_KEYS.map((k) => k.key);

  it('lists exactly the leaf keys of the schema, once each', () => {
    assert.deepEqual([...keys].sort(), schemaKeys(agentConfigSchema).sort());
    assert.equal(new Set(keys).size, keys.length);
  });

  it('lists exactly the keys a rendered configuration has', () => {
    const rendered = objectLeaves(
      toAgentYaml({ ...defaultAgentConfig(), source: { type: 'file', path: '/x' } }),
    );
    assert.deepEqual([...keys].sort(), rendered.sort());
  });

  it('documents every key with a type, a default and a description', () => {
    for (const k of CONFIG_KEYS) {
      assert.ok(k.type.length > 0 && k.description.length > 10 && k.default.length > 0, k.key);
    }
    const byKey = Object.fromEntries(CONFIG_KEYS.map((k) => [k.key, k.default]));
    assert.equal(byKey['vpsie.poll_interval'], '30s');
    assert.equal(byKey['envoy.admin_address'], '127.0.0.1:9901');
    assert.equal(byKey['envoy.max_heap'], '1GiB');
    assert.equal(byKey['vpsie.allowed_hosts'], '[api.vpsie.com, *.vpsie.com]');
    assert.equal(byKey['source.path'], '(none)');
  });

  it('each documented default parses to the built-in default', () => {
    const scalar = CONFIG_KEYS.filter((k) => k.default !== '(none)' && !k.default.startsWith('['));
    const doc: Record<string, Record<string, unknown>> = { vpsie: { loadbalancer_id: 'lb-1' } };
    for (const { key, default: value } of scalar) {
      const [a, b] = key.split('.');
      // Reading through YAML gives numbers and booleans their types, as a user writing the default would.
      const typed: unknown = parse(value);
      if (b === undefined) (doc as Record<string, unknown>)[a!] = typed;
      else doc[a!] = { ...doc[a!], [b]: typed };
    }
    const r = parseAgentConfig(JSON.stringify(doc), 'defaults');
    const d = defaultAgentConfig();
    assert.deepEqual(r.ok && r.value, { ...d, vpsie: { ...d.vpsie, loadbalancerId: 'lb-1' } });
  });
});

describe('examples', () => {
  const text = readFileSync(join(EXAMPLES, 'agent.yaml'), 'utf8');

  it('agent.yaml shows every key', () => {
    const shown = objectLeaves(parse(text) as Record<string, unknown>);
    // source.path has no default; it is shown as a comment.
    assert.deepEqual(
      shown.sort(),
      CONFIG_KEYS.map((k) => k.key)
        .filter((k) => k !== 'source.path')
        .sort(),
    );
    assert.match(text, /^ {2}# path:/m);
  });

  it("agent.yaml is the defaults (but for the pid file under the units' runtime dir), and refuses to run until the load balancer id is set", () => {
    assert.deepEqual(
      (() => {
        const r = parseAgentConfig(text, 'agent.yaml', { baseDir: '/etc/vpsie-lb' });
        return r.ok ? r.value : r.problems;
      })(),
      [{ path: 'vpsie.loadbalancer_id', message: 'required when source.type is vpsie' }],
    );
    const filled = text.replace(/loadbalancer_id: ""/, 'loadbalancer_id: "lb-42"');
    assert.notEqual(filled, text);
    const r = parseAgentConfig(filled, 'agent.yaml', { baseDir: '/etc/vpsie-lb' });
    const d = defaultAgentConfig();
    assert.deepEqual(r, {
      ok: true,
      // /var/run is read-only under the units' ProtectSystem=strict; the packaged file points into /run/vpsie-lb.
      value: {
        ...d,
        vpsie: { ...d.vpsie, loadbalancerId: 'lb-42' },
        envoy: { ...d.envoy, pidFile: '/run/vpsie-lb/envoy.pid', user: 'envoy' },
      },
      warnings: [],
    });
  });

  it('agent.local.yaml runs from the repository with state under .run/', async () => {
    const r = await loadAgentConfig(join(EXAMPLES, 'agent.local.yaml'));
    assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.problems));
    const run = resolve(EXAMPLES, '../.run');
    const d = defaultAgentConfig();
    assert.deepEqual(r.value, {
      ...d,
      source: { type: 'file', path: join(EXAMPLES, 'spec.example.json') },
      stateDir: join(run, 'state'),
      envoy: {
        ...d.envoy,
        binaryPath: join(run, 'envoy'),
        configPath: join(run, 'envoy-config/dynamic'),
        pidFile: join(run, 'envoy.pid'),
        launcherSocket: join(run, 'launcher.sock'),
        drainTimeMs: 2_000,
        parentShutdownTimeMs: 3_000,
      },
      tls: { certDir: join(run, 'certs') },
      addressPolicy: { denyCidrs: [], allowCidrs: ['127.0.0.0/8'] },
      logging: { level: 'info', format: 'text' },
    });
    assert.deepEqual(r.warnings, []);
  });

  it('spec.example.json is a valid spec for the local configuration', async () => {
    const r = await loadAgentConfig(join(EXAMPLES, 'agent.local.yaml'));
    assert.ok(r.ok);
    const body: unknown = JSON.parse(readFileSync(r.value.source.path!, 'utf8'));
    const spec = validateSpec(body, {
      envoyAdminPort: r.value.envoy.adminAddress.port,
      agentPort: r.value.server.listen.port,
      certDir: r.value.tls.certDir,
      resolvePath: (p) => p,
      denyCidrs: r.value.addressPolicy.denyCidrs,
      allowCidrs: r.value.addressPolicy.allowCidrs,
    });
    assert.ok(spec.ok, spec.ok ? '' : JSON.stringify(spec.problems));
    assert.equal(spec.value.protocol, 'http');
    assert.equal(spec.value.backends.length, 2);
  });
});
