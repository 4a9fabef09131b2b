// The configuration reference table in docs/configuration.md, generated from CONFIG_KEYS (src/config/schema.ts) so
// the documentation cannot drift from the schema. config-reference.test.ts checks the file against it;
// `UPDATE_DOCS=1 node --import tsx --test test/unit/docs/config-reference.test.ts` rewrites the section.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_KEYS } from '../../../src/config/index.ts';

export const DOCS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../docs');
export const CONFIGURATION_MD = resolve(DOCS_DIR, 'configuration.md');
export const START_MARKER = '<!-- config-reference:start -->';
export const END_MARKER = '<!-- config-reference:end -->';
export const REGENERATE = 'UPDATE_DOCS=1 node --import tsx --test test/unit/docs/config-reference.test.ts';

/**
 * One example value per key, written as it would appear in agent.yaml (YAML text). Every key of CONFIG_KEYS must
 * have one, and the test parses each through the real loader, so a wrong example fails like a wrong table does.
 */
export const CONFIG_EXAMPLES: Readonly<Record<string, string>> = {
  'vpsie.api_url': 'https://api.vpsie.com/v2',
  'vpsie.api_key_file': '/etc/vpsie-lb/api-key',
  'vpsie.loadbalancer_id': '"12345"',
  'vpsie.poll_interval': '1m',
  'vpsie.allowed_hosts': '[api.vpsie.com, "*.vpsie.com"]',
  'vpsie.allow_insecure_api': 'false',
  'vpsie.request_timeout': '20s',
  'vpsie.health_interval': '5s',
  'vpsie.metrics_interval': '0s',
  'vpsie.spec_path': '/api/v1/lb/{id}',
  'vpsie.auth_scheme': 'vpsie-auth',
  'source.type': 'vpsie',
  'source.path': './spec.json',
  'envoy.config_path': '/etc/envoy/dynamic',
  'envoy.binary_path': '/usr/bin/envoy',
  'envoy.admin_address': '127.0.0.1:9901',
  'envoy.admin_port': '9901',
  'envoy.pid_file': '/run/vpsie-lb/envoy.pid',
  'envoy.max_connections': '100000',
  'envoy.apply_strategy': 'hot_restart',
  'envoy.base_id': '7',
  'envoy.drain_time': '20s',
  'envoy.parent_shutdown_time': '45s',
  'envoy.verify_timeout': '1m',
  'envoy.stop_on_exit': 'true',
  'envoy.launcher_socket': '/run/vpsie-lb/launcher.sock',
  'envoy.user': 'envoy',
  'envoy.allow_non_loopback_admin': 'false',
  'envoy.ipv6': 'true',
  'envoy.max_heap': '2GiB',
  'logging.level': 'debug',
  'logging.format': 'text',
  state_dir: '/var/lib/vpsie-lb',
  'tls.cert_dir': '/etc/vpsie-lb/certs',
  'server.listen': '127.0.0.1:9902',
  'address_policy.deny_cidrs': '[10.1.0.0/16, "fd00:1::/64"]',
  'address_policy.allow_cidrs': '[127.0.0.0/8]',
};

/** Markdown table cells must not contain an unescaped pipe (types like `dynamic | hot_restart` do). */
const cell = (text: string): string => text.replaceAll('|', '\\|');
const code = (text: string): string => `\`${cell(text)}\``;

/** The generated table (without markers), one row per key of CONFIG_KEYS, in schema order. */
export function generateConfigReference(): string {
  const rows = CONFIG_KEYS.map((k) => {
    const example = CONFIG_EXAMPLES[k.key];
    if (example === undefined)
      throw new Error(`no example for config key ${k.key}: add one to CONFIG_EXAMPLES`);
    const def = k.default === '(none)' ? '(none)' : code(k.default);
    return `| ${code(k.key)} | ${cell(k.type)} | ${def} | ${cell(k.description)} | ${code(example)} |`;
  });
  return ['| key | type | default | description | example |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** The text between the markers (trimmed), or undefined when a marker is missing. */
export function currentSection(markdown: string): string | undefined {
  const start = markdown.indexOf(START_MARKER);
  const end = markdown.indexOf(END_MARKER);
  if (start < 0 || end < start) return undefined;
  return markdown.slice(start + START_MARKER.length, end).trim();
}

/** `markdown` with the section between the markers replaced by `table`. */
export function replaceSection(markdown: string, table: string): string {
  const start = markdown.indexOf(START_MARKER);
  const end = markdown.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new Error(`${START_MARKER} … ${END_MARKER} not found`);
  return `${markdown.slice(0, start + START_MARKER.length)}\n${table}\n${markdown.slice(end)}`;
}

/** Rewrites docs/configuration.md's reference section in place; returns whether the file changed. */
export function updateConfigurationDoc(path = CONFIGURATION_MD): boolean {
  const before = readFileSync(path, 'utf8');
  const after = replaceSection(before, generateConfigReference());
  if (after === before) return false;
  writeFileSync(path, after);
  return true;
}
