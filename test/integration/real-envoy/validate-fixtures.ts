// The third-party fixtures as real Envoy sees them: the files each example expects next to it (its docker volumes:
// certificates, a Lua module, a Wasm plugin, xDS files, a runtime directory) are made in a sandbox, absolute paths
// into those volumes are pointed at the sandbox, and Envoy runs with the sandbox as cwd. The fixture text is
// otherwise unchanged.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FIXTURES, type TestCerts } from './validate-helpers.ts';

export interface ValidCase {
  readonly file: string;
  readonly type?: string;
}
export interface InvalidCase {
  readonly file: string;
  readonly description: string;
  readonly type?: string;
  readonly args?: readonly string[];
  /** The valid fixture it was made from. */
  readonly base: string;
}

const readJson = <T>(p: string): T => JSON.parse(readFileSync(p, 'utf8')) as T;
export const validCases = readJson<ValidCase[]>(join(FIXTURES, 'valid', 'manifest.json'));
export const invalidCases = readJson<InvalidCase[]>(join(FIXTURES, 'invalid', 'manifest.json'));
export const DR = 'envoy.service.discovery.v3.DiscoveryResponse';

type Content = { fixture: string } | { text: string } | { bytes: Uint8Array } | 'directory';

const fixture = (path: string): Content => ({ fixture: `valid/${path}` });
const genericSecret = (name: string): Content => ({
  text: `resources:\n- "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret\n  name: ${name}\n  generic_secret:\n    secret:\n      inline_string: test-${name}\n`,
});

/** What each example mounts, by sandbox path (absolute paths of the example live under the sandbox). */
const VOLUMES: Record<string, Record<string, Content>> = {
  'envoyproxy-examples/dynamic-config-fs/envoy.yaml': {
    '/var/lib/envoy/cds.yaml': fixture('envoyproxy-examples/dynamic-config-fs/configs/cds.yaml'),
    '/var/lib/envoy/lds.yaml': fixture('envoyproxy-examples/dynamic-config-fs/configs/lds.yaml'),
  },
  'envoyproxy-examples/single-page-app/envoy.yml': {
    '/var/lib/envoy/lds.yml': fixture('envoyproxy-examples/single-page-app/xds/lds.tmpl.yml'),
    '/etc/envoy/secrets/myhub-token-secret.yml': fixture(
      'envoyproxy-examples/single-page-app/secrets/myhub-token-secret.yml',
    ),
    '/etc/envoy/secrets/hmac-secret.yml': genericSecret('hmac'),
  },
  'envoyproxy-examples/fault-injection/envoy.yaml': { '/srv/runtime/current/envoy': 'directory' },
  'envoyproxy-examples/lua/envoy.yaml': {
    'lib/mylibrary.lua': { text: 'local M = {}\nfunction M.foobar() return "bar" end\nreturn M\n' },
  },
  'envoyproxy-examples/wasm-cc/envoy.yaml': {
    'lib/envoy_filter_http_wasm_example.wasm': { bytes: minimalProxyWasm() },
  },
};

/**
 * Writes the sandbox for one fixture and returns the config text to run there: `certs/<name>` files the example
 * names get real PEMs (keys for `*key*`), its volumes their content, absolute volume paths move into the sandbox.
 * `text` is the config to run (default: the fixture itself; a mutant runs in its base's sandbox).
 */
export async function sandboxFor(
  file: string,
  sandbox: string,
  certs: TestCerts,
  text = readFileSync(join(FIXTURES, 'valid', file), 'utf8'),
): Promise<string> {
  for (const m of text.matchAll(/filename: *"?(certs\/[\w.-]+)"?/g)) {
    const name = m[1] as string;
    const pem = /key/.test(name) ? certs.keyPem : /ca/.test(name) ? certs.caPem : certs.certPem;
    await put(join(sandbox, name), pem);
  }
  const moved = new Set<string>();
  for (const [path, content] of Object.entries(VOLUMES[file] ?? {})) {
    const target = join(sandbox, path);
    if (content === 'directory') await mkdir(target, { recursive: true });
    else if ('fixture' in content) await put(target, readFileSync(join(FIXTURES, content.fixture)));
    else if ('text' in content) await put(target, content.text);
    else await put(target, content.bytes);
    if (path.startsWith('/')) moved.add(dirname(path));
  }
  if (moved.size === 0) return text;
  const any = [...moved].map((d) => d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return text.replace(new RegExp(`(?<![\\w/.-])(${any})(?=[/\\s"']|$)`, 'gm'), `${sandbox}$1`);
}

async function put(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
}

/**
 * The smallest proxy-wasm plugin Envoy loads: memory, the ABI version marker, an allocator and the VM/plugin
 * start hooks answering "ok". The example's own plugin is built from C++ in its repository; only its loading
 * is under test here.
 */
export function minimalProxyWasm(): Uint8Array {
  const str = (s: string): number[] => [s.length, ...Buffer.from(s)];
  const leb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...leb(n >> 7)]);
  const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
  const types = [4, 0x60, 0, 0, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 0];
  // f0 abi marker () → (); f1 allocate (i32) → i32; f2/f3 vm_start, configure (i32, i32) → i32; f4 context (i32, i32).
  const funcs = [5, 0, 1, 2, 2, 3];
  const exports = [
    6,
    ...str('memory'),
    2,
    0,
    ...str('proxy_abi_version_0_2_1'),
    0,
    0,
    ...str('proxy_on_memory_allocate'),
    0,
    1,
    ...str('proxy_on_vm_start'),
    0,
    2,
    ...str('proxy_on_configure'),
    0,
    3,
    ...str('proxy_on_context_create'),
    0,
    4,
  ];
  const body = (code: number[]): number[] => [code.length + 1, 0, ...code];
  const code = [
    5,
    ...body([0x0b]),
    ...body([0x41, 0x80, 0x08, 0x0b]),
    ...body([0x41, 0x01, 0x0b]),
    ...body([0x41, 0x01, 0x0b]),
    ...body([0x0b]),
  ];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, types),
    ...section(3, funcs),
    ...section(5, [1, 0, 1]),
    ...section(7, exports),
    ...section(10, code),
  ]);
}
