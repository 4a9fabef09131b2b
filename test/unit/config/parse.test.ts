import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import {
  CONFIG_KEYS,
  defaultAgentConfig,
  loadAgentConfig,
  parseAgentConfig,
  toAgentYaml,
  validateAgentConfig,
} from '../../../src/config/index.ts';
import { BASE, parseObject, problemsOf, withKey } from './helpers.ts';

const withId = (c = defaultAgentConfig()) => ({ ...c, vpsie: { ...c.vpsie, loadbalancerId: 'lb-1' } });

describe('defaults', () => {
  it('loadAgentConfig(undefined) returns the built-in defaults without reading a file', async () => {
    const r = await loadAgentConfig(undefined);
    assert.deepEqual(r, { ok: true, value: defaultAgentConfig(), warnings: [] });
  });

  it('an empty file or empty sections mean the defaults (plus the required id)', () => {
    for (const text of ['', '# nothing\n', 'vpsie:\n  loadbalancer_id: lb-1\nenvoy:\nlogging:\n']) {
      const r = parseAgentConfig(
        text.includes('lb-1') ? text : `${text}\nvpsie: {loadbalancer_id: lb-1}\n`,
        'a.yaml',
      );
      assert.deepEqual(r, { ok: true, value: withId(), warnings: [] }, text);
    }
  });

  it('source vpsie needs a load balancer id', () => {
    assert.deepEqual(problemsOf(parseAgentConfig('', 'a.yaml')), [
      'vpsie.loadbalancer_id: required when source.type is vpsie',
    ]);
  });

  it('a rendered configuration parses back to itself', () => {
    const c = withId();
    const changed = {
      ...c,
      envoy: {
        ...c.envoy,
        adminAddress: { host: '::1', port: 9911 },
        drainTimeMs: 90_000,
        parentShutdownTimeMs: 3_600_000,
        maxHeapBytes: 3 * 1024 ** 2 * 100,
      },
      addressPolicy: { denyCidrs: ['10.1.0.0/16'], allowCidrs: ['fd00::/8'] },
      source: { type: 'file' as const, path: '/srv/spec.json' },
    };
    for (const config of [c, changed]) {
      const r = parseAgentConfig(stringify(toAgentYaml(config)), 'a.yaml');
      assert.deepEqual(r.ok && r.value, config);
    }
  });
});

describe('every key names itself in its errors', () => {
  it('a mapping where a leaf belongs is an error naming that key', () => {
    for (const { key } of CONFIG_KEYS) {
      const problems = problemsOf(parseObject(withKey(key, { x: 1 })));
      assert.equal(problems.length, 1, `${key}: ${problems.join('; ')}`);
      assert.ok(problems[0]!.startsWith(`${key}: `), problems[0]);
    }
  });

  it('the wrong scalar type is an error naming the key and the value', () => {
    const wrong: Record<string, unknown> = {
      'vpsie.api_url': 5,
      'vpsie.api_key_file': true,
      'vpsie.loadbalancer_id': 12345,
      'vpsie.poll_interval': 30,
      'vpsie.allowed_hosts': 'api.vpsie.com',
      'vpsie.allow_insecure_api': 'yes',
      'vpsie.request_timeout': 15,
      'vpsie.health_interval': 10,
      'vpsie.metrics_interval': true,
      'vpsie.spec_path': 'api/v1/lb/{id}',
      'vpsie.auth_scheme': 'basic',
      'source.type': 'ftp',
      'source.path': 7,
      'envoy.config_path': false,
      'envoy.binary_path': 1,
      'envoy.admin_address': 9901,
      'envoy.admin_port': '9901',
      'envoy.pid_file': [],
      'envoy.launcher_socket': 42,
      'envoy.user': 7,
      'envoy.max_connections': 'lots',
      'envoy.apply_strategy': 'restart',
      'envoy.base_id': 1.5,
      'envoy.drain_time': 15,
      'envoy.parent_shutdown_time': true,
      'envoy.verify_timeout': 'soon',
      'envoy.stop_on_exit': 'no',
      'envoy.allow_non_loopback_admin': 1,
      'envoy.ipv6': 'true',
      'envoy.max_heap': '1G',
      'logging.level': 'verbose',
      'logging.format': 'xml',
      state_dir: 3,
      'tls.cert_dir': null,
      'server.listen': 'localhost:9902',
      'address_policy.deny_cidrs': '10.0.0.0/8',
      'address_policy.allow_cidrs': [5],
    };
    assert.deepEqual(
      Object.keys(wrong).sort(),
      CONFIG_KEYS.map((k) => k.key).sort(),
      'the table covers every key',
    );
    for (const [key, value] of Object.entries(wrong)) {
      const problems = problemsOf(parseObject(withKey(key, value)));
      assert.equal(problems.length, 1, `${key}: ${problems.join('; ')}`);
      assert.match(problems[0]!, new RegExp(`^${key.replace('.', '\\.')}(\\[0\\])?: .*got`), problems[0]);
    }
  });

  it('vpsie.spec_path: absolute plain segments with {id} exactly once', () => {
    const good = parseObject(withKey('vpsie.spec_path', '/api/v1/lb/{id}'));
    assert.ok(good.ok && good.value.vpsie.specPath === '/api/v1/lb/{id}');
    for (const [bad, why] of [
      ['/api/v1/lb', 'must contain {id} exactly once'],
      ['/lb/{id}/{id}', 'must contain {id} exactly once'],
      ['/lb/{id}?x=1', 'segments of'],
      ['/lb/../{id}', 'segments of'],
      ['/lb//{id}', 'segments of'],
      ['/lb/%2e%2e/{id}', 'segments of'],
      ['/lb/{name}/{id}', 'only {id} may be written in braces'],
    ] as const) {
      const problems = problemsOf(parseObject(withKey('vpsie.spec_path', bad)));
      assert.equal(problems.length, 1, bad);
      assert.ok(problems[0]!.startsWith('vpsie.spec_path: ') && problems[0]!.includes(why), problems[0]);
    }
    assert.deepEqual(problemsOf(parseObject(withKey('vpsie.auth_scheme', 'basic'))), [
      'vpsie.auth_scheme: must be one of bearer, vpsie-auth, got "basic"',
    ]);
  });

  it('messages read as documented', () => {
    assert.deepEqual(problemsOf(parseObject(withKey('envoy.max_connections', 'lots'))), [
      'envoy.max_connections: must be an integer 1..10000000, got "lots"',
    ]);
    assert.deepEqual(problemsOf(parseObject(withKey('vpsie.pol_interval', '5s'))), [
      'vpsie.pol_interval: unknown key (did you mean poll_interval?)',
    ]);
    assert.deepEqual(problemsOf(parseObject(withKey('vpsie.poll_interval', '2h'))), [
      'vpsie.poll_interval: must be 1s..1h, got "2h"',
    ]);
  });

  it('unknown keys are errors at every level', () => {
    for (const key of [
      'colour',
      'vpsie.zzz',
      'source.zzz',
      'envoy.zzz',
      'logging.zzz',
      'tls.zzz',
      'server.zzz',
      'address_policy.zzz',
    ]) {
      assert.deepEqual(problemsOf(parseObject(withKey(key, 1))), [`${key}: unknown key`]);
    }
  });

  it('a section that is not a mapping is an error naming it', () => {
    assert.deepEqual(problemsOf(parseObject(withKey('envoy', [1]))), [
      'envoy: must be a mapping, got a list',
    ]);
    assert.deepEqual(problemsOf(parseAgentConfig('- a\n', 'a.yaml')), [
      'the configuration must be a mapping, got a list',
    ]);
  });

  it('values out of range name the key', () => {
    const cases: [string, unknown][] = [
      ['vpsie.poll_interval', '500ms'],
      ['vpsie.poll_interval', '1h1s'],
      ['vpsie.request_timeout', '0s'],
      ['envoy.admin_port', 0],
      ['envoy.admin_port', 65536],
      ['envoy.max_connections', 0],
      ['envoy.max_connections', 10_000_001],
      ['envoy.base_id', -1],
      ['envoy.drain_time', '1h1s'],
      ['envoy.drain_time', '1500ms'],
      ['envoy.parent_shutdown_time', '0s'],
      ['envoy.verify_timeout', '10m1s'],
      ['envoy.verify_timeout', '999ms'],
      ['envoy.max_heap', 1024],
      ['envoy.max_heap', '2TiB'],
      ['vpsie.loadbalancer_id', 'has space'],
      ['vpsie.loadbalancer_id', 'x'.repeat(65)],
      ['vpsie.allowed_hosts', ['api.vpsie.com', '*']],
      ['address_policy.deny_cidrs', ['10.0.0.0/8', '10.0.0.1/8']],
      ['vpsie.api_key_file', ''],
    ];
    for (const [key, value] of cases) {
      const problems = problemsOf(parseObject(withKey(key, value)));
      assert.equal(problems.length, 1, `${key}=${String(value)}: ${problems.join('; ')}`);
      assert.ok(problems[0]!.startsWith(key), `${key}=${String(value)}: ${problems[0]}`);
    }
    assert.equal(parseObject(withKey('envoy.max_connections', 10_000_000)).ok, true);
    assert.equal(parseObject(withKey('envoy.drain_time', '0s')).ok, true);
    assert.deepEqual(problemsOf(parseObject(withKey('vpsie.allowed_hosts', ['api.vpsie.com', '*']))), [
      'vpsie.allowed_hosts[1]: must be a host name or *.domain (no other wildcards), got "*"',
    ]);
  });

  it('reports every problem at once, including rules between keys', () => {
    const doc = {
      vpsie: { loadbalancer_id: 'lb-1', poll_interval: 30, pol: 1 },
      envoy: {
        max_connections: 'lots',
        drain_time: '30s',
        parent_shutdown_time: '20s',
        admin_address: '0.0.0.0',
      },
      logging: { level: 'loud' },
    };
    assert.deepEqual(problemsOf(parseObject(doc)).sort(), [
      'envoy.admin_address: must be a loopback address (the admin API is unauthenticated) unless envoy.allow_non_loopback_admin is true, got "0.0.0.0"',
      'envoy.max_connections: must be an integer 1..10000000, got "lots"',
      'envoy.parent_shutdown_time: must be longer than envoy.drain_time (30s), got 20s',
      'logging.level: must be one of trace, debug, info, warn, error, fatal, got "loud"',
      'vpsie.pol: unknown key',
      'vpsie.poll_interval: must be a duration like 30s, 1m30s or 500ms (1s..1h), got 30',
    ]);
  });

  it('does not judge a rule on a key that is already broken', () => {
    // drain_time is invalid, so "parent_shutdown_time must exceed drain_time" would be judged against a default.
    const doc = withKey('envoy.drain_time', 'bogus', withKey('envoy.parent_shutdown_time', '10s'));
    assert.deepEqual(problemsOf(parseObject(doc)), [
      'envoy.drain_time: must be a duration like 30s, 1m30s or 500ms, got "bogus"',
    ]);
  });
});

describe('YAML', () => {
  it('rejects duplicate keys with their position', () => {
    const problems = problemsOf(
      parseAgentConfig('vpsie:\n  loadbalancer_id: a\n  loadbalancer_id: b\n', 'agent.yaml'),
    );
    assert.deepEqual(problems, ['agent.yaml:3:3: Map keys must be unique']);
  });

  it('accepts anchors and aliases', () => {
    const text = 'vpsie:\n  loadbalancer_id: lb-1\n  poll_interval: &t 45s\n  request_timeout: *t\n';
    const r = parseAgentConfig(text, 'a.yaml');
    assert.equal(r.ok && r.value.vpsie.requestTimeoutMs, 45_000);
  });

  it('reports syntax errors and several documents', () => {
    assert.match(problemsOf(parseAgentConfig('vpsie: [1\n', 'x.yaml'))[0]!, /^x\.yaml:\d+:\d+: /);
    assert.match(problemsOf(parseAgentConfig('a: 1\n---\nb: 2\n', 'x.yaml'))[0]!, /multiple documents/);
  });

  it('a __proto__ key is just an unknown key', () => {
    assert.deepEqual(
      problemsOf(parseAgentConfig('vpsie: {loadbalancer_id: a}\n__proto__: {x: 1}\n', 'a.yaml')),
      ['__proto__: unknown key'],
    );
  });
});

describe('envoy.admin_address', () => {
  const admin = (envoy: Record<string, unknown>) => {
    const r = parseObject({ ...BASE, envoy });
    return r.ok ? r.value.envoy.adminAddress : problemsOf(r);
  };

  it('takes host:port, a bare host with admin_port, or admin_port alone', () => {
    assert.deepEqual(admin({ admin_address: '127.0.0.2:9000' }), { host: '127.0.0.2', port: 9000 });
    assert.deepEqual(admin({ admin_address: '127.0.0.2' }), { host: '127.0.0.2', port: 9901 });
    assert.deepEqual(admin({ admin_address: '127.0.0.2', admin_port: 9000 }), {
      host: '127.0.0.2',
      port: 9000,
    });
    assert.deepEqual(admin({ admin_port: 9000 }), { host: '127.0.0.1', port: 9000 });
    assert.deepEqual(admin({ admin_address: '127.0.0.1:9000', admin_port: 9000 }), {
      host: '127.0.0.1',
      port: 9000,
    });
    assert.deepEqual(admin({ admin_address: '[::1]:9000' }), { host: '::1', port: 9000 });
    assert.deepEqual(admin({ admin_address: '::1' }), { host: '::1', port: 9901 });
  });

  it('two different ports are an error naming both keys', () => {
    assert.deepEqual(admin({ admin_address: '127.0.0.1:9000', admin_port: 9001 }), [
      'envoy.admin_address: port 9000 conflicts with envoy.admin_port 9001; give the port in one place',
    ]);
  });

  it('must be loopback unless allowed, and then warns', () => {
    assert.match(
      String(admin({ admin_address: '10.0.0.5:9901' })),
      /^envoy\.admin_address: must be a loopback address/,
    );
    const r = parseObject({
      ...BASE,
      envoy: { admin_address: '10.0.0.5:9901', allow_non_loopback_admin: true },
    });
    assert.equal(r.ok, true);
    assert.match(r.warnings.join('\n'), /admin_address 10\.0\.0\.5 is not loopback/);
  });

  it('must not share its port with server.listen', () => {
    assert.deepEqual(problemsOf(parseObject({ ...BASE, server: { listen: '127.0.0.1:9901' } })), [
      'server.listen: port 9901 is also the Envoy admin port (envoy.admin_address)',
    ]);
  });
});

describe('vpsie.api_url', () => {
  const url = (api_url: string, extra: Record<string, unknown> = {}) =>
    parseObject({ vpsie: { ...BASE.vpsie, api_url, ...extra } });

  it('accepts https on an allowed host', () => {
    for (const u of [
      'https://api.vpsie.com/v2',
      'https://eu.api.vpsie.com/v2',
      'https://API.vpsie.com:8443/v2/',
    ]) {
      const r = url(u);
      assert.equal(r.ok, true, u);
      assert.deepEqual(r.warnings, []);
    }
  });

  it('rejects http, other hosts, IPs, credentials, query and fragment', () => {
    const cases: [string, RegExp][] = [
      ['http://api.vpsie.com/v2', /must use https/],
      ['https://api.example.com/v2', /host api\.example\.com is not in vpsie\.allowed_hosts/],
      ['https://vpsie.com/v2', /not in vpsie\.allowed_hosts/],
      ['https://10.0.0.1/v2', /not in vpsie\.allowed_hosts/],
      ['https://[::1]/v2', /not in vpsie\.allowed_hosts/],
      ['https://api.vpsie.com/v2?x=1', /query or fragment/],
      ['https://api.vpsie.com/v2#f', /query or fragment/],
      ['ftp://api.vpsie.com/', /must be an https URL/],
      ['api.vpsie.com/v2', /must be an absolute URL/],
    ];
    for (const [u, pattern] of cases) {
      const problems = problemsOf(url(u));
      assert.equal(problems.length, 1, u);
      assert.match(problems[0]!, /^vpsie\.api_url: /, u);
      assert.match(problems[0]!, pattern, u);
    }
  });

  it('never echoes credentials', () => {
    const problems = problemsOf(url('https://user:hunter2@api.vpsie.com/v2'));
    assert.deepEqual(problems, [
      'vpsie.api_url: must not contain credentials (the API key comes from vpsie.api_key_file)',
    ]);
    for (const bad of ['http://user:hunter2@10.0.0.1/v2', 'https://user:hunter2@api.vpsie.com/v2?q']) {
      assert.doesNotMatch(problemsOf(url(bad)).join('\n'), /hunter2/);
    }
  });

  it('allow_insecure_api lifts https and the host list, and warns', () => {
    for (const u of [
      'http://127.0.0.1:8080/v2',
      'http://10.0.0.1/v2',
      'https://api.example.com/v2',
      'http://[::1]:8080',
    ]) {
      const r = url(u, { allow_insecure_api: true });
      assert.equal(r.ok, true, u);
      assert.match(r.warnings.join('\n'), /allow_insecure_api is true/);
    }
    // Still a URL without credentials, query or fragment.
    assert.match(problemsOf(url('http://u:p@127.0.0.1/', { allow_insecure_api: true }))[0]!, /credentials/);
    assert.match(problemsOf(url('http://127.0.0.1/?a', { allow_insecure_api: true }))[0]!, /query/);
  });

  it('allowed_hosts decides which hosts pass', () => {
    assert.equal(url('https://api.example.com/v2', { allowed_hosts: ['api.example.com'] }).ok, true);
    assert.equal(url('https://api.vpsie.com/v2', { allowed_hosts: ['*.example.com'] }).ok, false);
  });
});

describe('source', () => {
  it('file needs a path; vpsie needs an id and key file', () => {
    assert.deepEqual(problemsOf(parseObject({ source: { type: 'file' } })), [
      'source.path: required when source.type is file',
    ]);
    const r = parseObject({ source: { type: 'file', path: '/srv/spec.json' } });
    assert.deepEqual(r.ok && r.value.source, { type: 'file', path: '/srv/spec.json' });
  });

  it('validateAgentConfig applies the same rules to configurations built in code', () => {
    const c = defaultAgentConfig();
    assert.deepEqual(validateAgentConfig(withId(c)), []);
    assert.deepEqual(
      validateAgentConfig({ ...withId(c), source: { type: 'file' }, stateDir: 'relative' }).map(
        (p) => p.path,
      ),
      ['source.path', 'state_dir'],
    );
  });
});

describe('paths', () => {
  it('relative paths resolve against baseDir', () => {
    const doc = {
      source: { type: 'file', path: './spec.json' },
      state_dir: '../run/state',
      envoy: { config_path: './envoy/dynamic', pid_file: '/abs/envoy.pid', binary_path: './bin/envoy' },
      tls: { cert_dir: './../certs' },
      vpsie: { api_key_file: './key' },
    };
    const r = parseObject(doc, '/etc/lb/conf');
    assert.ok(r.ok, r.ok ? '' : problemsOf(r).join('; '));
    assert.equal(r.value.source.path, '/etc/lb/conf/spec.json');
    assert.equal(r.value.stateDir, '/etc/lb/run/state');
    assert.equal(r.value.envoy.configPath, '/etc/lb/conf/envoy/dynamic');
    assert.equal(r.value.envoy.pidFile, '/abs/envoy.pid');
    assert.equal(r.value.envoy.binaryPath, '/etc/lb/conf/bin/envoy');
    assert.equal(r.value.tls.certDir, '/etc/lb/certs');
    assert.equal(r.value.vpsie.apiKeyFile, '/etc/lb/conf/key');
  });

  it('bare names and relative paths without a base are errors naming the key', () => {
    assert.deepEqual(problemsOf(parseObject(withKey('state_dir', 'var/lib'), '/etc/lb')), [
      'state_dir: must be an absolute path, or start with ./ or ../ (relative to this file), got "var/lib"',
    ]);
    assert.deepEqual(problemsOf(parseObject(withKey('envoy.binary_path', 'envoy'), '/etc/lb')).length, 1);
    assert.deepEqual(problemsOf(parseObject(withKey('tls.cert_dir', './certs'))), [
      'tls.cert_dir: is relative ("./certs") but there is no file to resolve it against',
    ]);
  });
});

describe('loadAgentConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agent-config-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names a missing file', async () => {
    const path = join(dir, 'missing.yaml');
    const r = await loadAgentConfig(path);
    assert.deepEqual(problemsOf(r), [`${path}: cannot read configuration file (no such file)`]);
  });

  it('names a file it cannot read as text (a directory)', async () => {
    assert.match(
      problemsOf(await loadAgentConfig(dir))[0]!,
      new RegExp(`^${dir}: cannot read configuration file`),
    );
  });

  it("resolves against the file's directory and creates nothing", async () => {
    const path = join(dir, 'agent.yaml');
    writeFileSync(
      path,
      'source: {type: file, path: ./spec.json}\nstate_dir: ./state\ntls: {cert_dir: ./certs}\n',
    );
    const r = await loadAgentConfig(path);
    assert.ok(r.ok);
    assert.equal(r.value.stateDir, join(dir, 'state'));
    assert.equal(r.value.source.path, join(dir, 'spec.json'));
    assert.equal(existsSync(join(dir, 'state')), false);
    assert.equal(existsSync(join(dir, 'certs')), false);
  });
});
