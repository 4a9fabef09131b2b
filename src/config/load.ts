import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, normalize, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { fail, joinPath, type Problem, type Result } from '../util/result.ts';
import { defaultAgentConfig } from './defaults.ts';
import { hostAllowed, isLoopbackIp } from './net.ts';
import { agentConfigSchema, LOADBALANCER_ID, type RawAgentConfig, schemaLeaves, show } from './schema.ts';
import type { AgentConfig } from './types.ts';
import { formatDuration } from './units.ts';

/**
 * A loaded configuration, plus warnings the CLI should log (e.g. allow_insecure_api). Assignable to
 * Result<AgentConfig>; warnings are empty when loading failed.
 */
export type ConfigResult = Result<AgentConfig> & { readonly warnings: readonly string[] };

/** A problem and the config keys it is about, so rules about a key that is already broken can be held back. */
interface Finding extends Problem {
  readonly keys: readonly string[];
}

const MAX_CONFIG_BYTES = 1024 * 1024;

const failed = (problems: Problem[]): ConfigResult => ({ ...fail<AgentConfig>(problems), warnings: [] });

/**
 * Reads agent.yaml. No path → the built-in defaults (no file is read). Pure apart from reading the one file:
 * nothing is created or written, so a bad configuration stops the agent before it touches anything.
 */
export async function loadAgentConfig(path: string | undefined): Promise<ConfigResult> {
  if (path === undefined) {
    const config = defaultAgentConfig();
    return { ok: true, value: config, warnings: configWarnings(config) };
  }
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_CONFIG_BYTES) {
      return failed([{ path, message: `configuration file is larger than ${MAX_CONFIG_BYTES} bytes` }]);
    }
    text = bytes.toString('utf8');
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : 'unknown error';
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code;
    return failed([{ path, message: `cannot read configuration file (${reason})` }]);
  }
  return parseAgentConfig(text, path, { baseDir: dirname(resolve(path)) });
}

/**
 * agent.yaml text → AgentConfig, or every problem found, each naming its key (`envoy.max_connections: must be an
 * integer 1..10000000, got "lots"`). Relative paths (`./x`, `../x`) resolve against `baseDir`; without it they are
 * errors. `source` names the text in YAML syntax errors.
 */
export function parseAgentConfig(
  text: string,
  source: string,
  options: { baseDir?: string } = {},
): ConfigResult {
  const doc = parseYaml(text, source);
  if (!doc.ok) return failed(doc.problems);
  const input = nullSectionsAsEmpty(doc.value);

  const first = agentConfigSchema.safeParse(input);
  let raw: RawAgentConfig | undefined;
  const problems: Problem[] = [];
  const broken = new Set<string>();
  if (first.success) {
    raw = first.data;
  } else {
    problems.push(...first.error.issues.flatMap(issueProblems));
    // Parse again without the offending keys, so the rules between keys can still be checked in this same pass.
    const pruned = structuredClone(input);
    for (const issue of first.error.issues) {
      const key = pruneIssue(pruned, issue);
      if (key !== undefined) broken.add(key);
    }
    const second = agentConfigSchema.safeParse(pruned);
    if (second.success) raw = second.data;
  }
  if (raw === undefined) return failed(problems);

  const built = buildConfig(raw, options.baseDir);
  for (const f of built.findings) broken.add(f.path);
  const isBroken = (key: string) => [...broken].some((b) => key === b || key.startsWith(`${b}.`));
  const crossKey = checkConfig(built.config).filter((f) => !f.keys.some(isBroken));
  for (const f of [...built.findings, ...crossKey]) problems.push({ path: f.path, message: f.message });
  if (problems.length > 0) return failed(problems);
  return { ok: true, value: built.config, warnings: configWarnings(built.config) };
}

/** The rules between keys, for a configuration built in code (parseAgentConfig applies them too). */
export function validateAgentConfig(config: AgentConfig): Problem[] {
  return checkConfig(config).map(({ path, message }) => ({ path, message }));
}

/** Settings that are allowed but weaken the agent's defences; the CLI logs each at startup. */
export function configWarnings(config: AgentConfig): string[] {
  const warnings: string[] = [];
  if (config.vpsie.allowInsecureApi) {
    warnings.push(
      'vpsie.allow_insecure_api is true: the API may be reached over plain http, on loopback/private addresses and ' +
        'outside vpsie.allowed_hosts (development only)',
    );
  }
  if (!isLoopbackIp(config.envoy.adminAddress.host)) {
    warnings.push(
      `envoy.admin_address ${config.envoy.adminAddress.host} is not loopback: Envoy's unauthenticated admin API is ` +
        'reachable from the network',
    );
  }
  return warnings;
}

function parseYaml(text: string, source: string): Result<unknown> {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, strict: true });
  const located = (e: {
    message: string;
    linePos?: [{ line: number; col: number }, ...unknown[]];
  }): Problem => {
    const at = e.linePos?.[0];
    // prettyErrors appends the position and an excerpt to the message; the position goes in the path instead.
    const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return { path: at === undefined ? source : `${source}:${at.line}:${at.col}`, message };
  };
  const problems = [...doc.errors, ...doc.warnings].map(located);
  if (problems.length > 0) return fail(problems);
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (err) {
    return fail([{ path: source, message: err instanceof Error ? err.message : String(err) }]);
  }
}

/** An empty file is an empty configuration; a section whose keys are all commented out (`vpsie:`) is empty too. */
function nullSectionsAsEmpty(doc: unknown): unknown {
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) return doc;
  const sections = new Set(Object.keys(agentConfigSchema.shape).filter((k) => !isLeafKey(k)));
  return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, v === null && sections.has(k) ? {} : v]));
}

const LEAF_KEYS = new Set(schemaLeaves().map((l) => l.key));
const isLeafKey = (key: string) => LEAF_KEYS.has(key);

function issuePath(issue: z.core.$ZodIssue): string {
  return issue.path.reduce<string>((p, k) => joinPath(p, typeof k === 'number' ? k : String(k)), '');
}

function issueProblems(issue: z.core.$ZodIssue): Problem[] {
  const base = issuePath(issue);
  if (issue.code !== 'unrecognized_keys') return [{ path: base, message: issue.message }];
  const known = [...LEAF_KEYS, ...Object.keys(agentConfigSchema.shape)]
    .filter((k) => (base === '' ? !k.includes('.') : k.startsWith(`${base}.`)))
    .map((k) => (base === '' ? k : k.slice(base.length + 1)));
  return issue.keys.map((key) => {
    const near = known.find((k) => editDistance(k, key) <= 2);
    return {
      path: joinPath(base, key),
      message: near === undefined ? 'unknown key' : `unknown key (did you mean ${near}?)`,
    };
  });
}

/** The config key a path is inside: `section.key`, a top-level leaf, or a whole section. */
function keyOf(path: readonly string[]): string[] {
  return path.length >= 2 && !isLeafKey(path[0]!) ? path.slice(0, 2) : path.slice(0, 1);
}

function deleteAt(root: unknown, path: readonly string[]): void {
  const parent = path.slice(0, -1).reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), root);
  if (path.length > 0 && isRecord(parent)) delete parent[path[path.length - 1]!];
}

/** Removes what an issue is about from `input` (in place); returns the config key it broke, if any. */
function pruneIssue(input: unknown, issue: z.core.$ZodIssue): string | undefined {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    for (const k of issue.keys) deleteAt(input, [...path, k]);
    return undefined;
  }
  const key = keyOf(path);
  deleteAt(input, key);
  return key.length === 0 ? undefined : key.join('.');
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** Applies defaults, resolves relative paths and merges admin_address with admin_port. */
function buildConfig(
  raw: RawAgentConfig,
  baseDir: string | undefined,
): { config: AgentConfig; findings: Finding[] } {
  const d = defaultAgentConfig();
  const findings: Finding[] = [];
  const filePath = (key: string, value: string | undefined, fallback: string): string => {
    if (value === undefined) return fallback;
    if (isAbsolute(value)) return normalize(value);
    if (!value.startsWith('./') && !value.startsWith('../')) {
      findings.push({
        path: key,
        keys: [key],
        message: `must be an absolute path, or start with ./ or ../ (relative to this file), got ${show(value)}`,
      });
      return fallback;
    }
    if (baseDir === undefined) {
      findings.push({
        path: key,
        keys: [key],
        message: `is relative (${show(value)}) but there is no file to resolve it against`,
      });
      return fallback;
    }
    return resolve(baseDir, value);
  };

  const v: NonNullable<RawAgentConfig['vpsie']> = raw.vpsie ?? {};
  const s: NonNullable<RawAgentConfig['source']> = raw.source ?? {};
  const e: NonNullable<RawAgentConfig['envoy']> = raw.envoy ?? {};

  const addr = e.admin_address;
  if (addr?.port !== undefined && e.admin_port !== undefined && addr.port !== e.admin_port) {
    findings.push({
      path: 'envoy.admin_address',
      keys: ['envoy.admin_address', 'envoy.admin_port'],
      message: `port ${addr.port} conflicts with envoy.admin_port ${e.admin_port}; give the port in one place`,
    });
  }
  const sourcePath = s.path === undefined ? undefined : filePath('source.path', s.path, '');

  const config: AgentConfig = {
    vpsie: {
      apiUrl: v.api_url ?? d.vpsie.apiUrl,
      apiKeyFile: filePath('vpsie.api_key_file', v.api_key_file, d.vpsie.apiKeyFile),
      loadbalancerId: v.loadbalancer_id ?? d.vpsie.loadbalancerId,
      pollIntervalMs: v.poll_interval ?? d.vpsie.pollIntervalMs,
      allowedHosts: v.allowed_hosts ?? d.vpsie.allowedHosts,
      allowInsecureApi: v.allow_insecure_api ?? d.vpsie.allowInsecureApi,
      requestTimeoutMs: v.request_timeout ?? d.vpsie.requestTimeoutMs,
      healthIntervalMs: v.health_interval ?? d.vpsie.healthIntervalMs,
      metricsIntervalMs: v.metrics_interval ?? d.vpsie.metricsIntervalMs,
      specPath: v.spec_path ?? d.vpsie.specPath,
      authScheme: v.auth_scheme ?? d.vpsie.authScheme,
    },
    source:
      sourcePath === undefined || sourcePath === ''
        ? { type: s.type ?? d.source.type }
        : { type: s.type ?? d.source.type, path: sourcePath },
    envoy: {
      configPath: filePath('envoy.config_path', e.config_path, d.envoy.configPath),
      binaryPath: filePath('envoy.binary_path', e.binary_path, d.envoy.binaryPath),
      adminAddress: {
        host: addr?.host ?? d.envoy.adminAddress.host,
        port: addr?.port ?? e.admin_port ?? d.envoy.adminAddress.port,
      },
      allowNonLoopbackAdmin: e.allow_non_loopback_admin ?? d.envoy.allowNonLoopbackAdmin,
      pidFile: filePath('envoy.pid_file', e.pid_file, d.envoy.pidFile),
      maxConnections: e.max_connections ?? d.envoy.maxConnections,
      applyStrategy: e.apply_strategy ?? d.envoy.applyStrategy,
      baseId: e.base_id ?? d.envoy.baseId,
      drainTimeMs: e.drain_time ?? d.envoy.drainTimeMs,
      parentShutdownTimeMs: e.parent_shutdown_time ?? d.envoy.parentShutdownTimeMs,
      verifyTimeoutMs: e.verify_timeout ?? d.envoy.verifyTimeoutMs,
      stopOnExit: e.stop_on_exit ?? d.envoy.stopOnExit,
      launcherSocket: filePath('envoy.launcher_socket', e.launcher_socket, d.envoy.launcherSocket),
      user: e.user ?? d.envoy.user,
      ipv6: e.ipv6 ?? d.envoy.ipv6,
      maxHeapBytes: e.max_heap ?? d.envoy.maxHeapBytes,
    },
    logging: {
      level: raw.logging?.level ?? d.logging.level,
      format: raw.logging?.format ?? d.logging.format,
    },
    stateDir: filePath('state_dir', raw.state_dir, d.stateDir),
    tls: { certDir: filePath('tls.cert_dir', raw.tls?.cert_dir, d.tls.certDir) },
    server: {
      listen:
        raw.server?.listen?.port === undefined
          ? d.server.listen
          : { host: raw.server.listen.host, port: raw.server.listen.port },
    },
    addressPolicy: {
      denyCidrs: raw.address_policy?.deny_cidrs ?? d.addressPolicy.denyCidrs,
      allowCidrs: raw.address_policy?.allow_cidrs ?? d.addressPolicy.allowCidrs,
    },
  };
  return { config, findings };
}

function checkConfig(c: AgentConfig): Finding[] {
  const findings: Finding[] = [];
  const add = (path: string, message: string, ...others: string[]) =>
    findings.push({ path, message, keys: [path, ...others] });

  findings.push(...checkApiUrl(c));
  if (c.source.type === 'vpsie') {
    if (c.vpsie.loadbalancerId === '')
      add('vpsie.loadbalancer_id', 'required when source.type is vpsie', 'source.type');
    else if (!LOADBALANCER_ID.test(c.vpsie.loadbalancerId))
      add('vpsie.loadbalancer_id', 'must be 1..64 of A-Z a-z 0-9 _ -');
    if (!isAbsolute(c.vpsie.apiKeyFile)) {
      add('vpsie.api_key_file', 'required when source.type is vpsie, as an absolute path', 'source.type');
    }
  }
  if (c.source.type === 'file' && (c.source.path === undefined || !isAbsolute(c.source.path))) {
    add('source.path', 'required when source.type is file', 'source.type');
  }

  const admin = c.envoy.adminAddress;
  if (!c.envoy.allowNonLoopbackAdmin && !isLoopbackIp(admin.host)) {
    add(
      'envoy.admin_address',
      `must be a loopback address (the admin API is unauthenticated) unless envoy.allow_non_loopback_admin is true, got ${show(admin.host)}`,
      'envoy.allow_non_loopback_admin',
    );
  }
  if (admin.port === c.server.listen.port) {
    add(
      'server.listen',
      `port ${admin.port} is also the Envoy admin port (envoy.admin_address)`,
      'envoy.admin_address',
      'envoy.admin_port',
    );
  }
  if (c.envoy.parentShutdownTimeMs <= c.envoy.drainTimeMs) {
    add(
      'envoy.parent_shutdown_time',
      `must be longer than envoy.drain_time (${formatDuration(c.envoy.drainTimeMs)}), got ${formatDuration(c.envoy.parentShutdownTimeMs)}`,
      'envoy.drain_time',
    );
  }
  const paths: [string, string][] = [
    ['envoy.config_path', c.envoy.configPath],
    ['envoy.binary_path', c.envoy.binaryPath],
    ['envoy.pid_file', c.envoy.pidFile],
    ['state_dir', c.stateDir],
    ['tls.cert_dir', c.tls.certDir],
  ];
  for (const [key, p] of paths) if (!isAbsolute(p)) add(key, `must be an absolute path, got ${show(p)}`);
  return findings;
}

function checkApiUrl(c: AgentConfig): Finding[] {
  const text = c.vpsie.apiUrl;
  const key = 'vpsie.api_url';
  // The URL may carry credentials; never echo one that might.
  const shown = text.includes('@') ? 'a URL with credentials' : show(text);
  const problem = (message: string, ...others: string[]): Finding[] => [
    { path: key, message, keys: [key, ...others] },
  ];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return problem(`must be an absolute URL like https://api.vpsie.com/v2, got ${shown}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return problem(`must be an https URL, got ${shown}`);
  if (url.username !== '' || url.password !== '') {
    return problem('must not contain credentials (the API key comes from vpsie.api_key_file)');
  }
  if (text.includes('?') || text.includes('#'))
    return problem(`must not have a query or fragment, got ${shown}`);
  if (c.vpsie.allowInsecureApi) return [];
  if (url.protocol !== 'https:') {
    return problem(
      `must use https (http only with vpsie.allow_insecure_api: true, for development), got ${shown}`,
      'vpsie.allow_insecure_api',
    );
  }
  if (
    !hostAllowed(url.hostname, c.vpsie.allowedHosts) ||
    url.hostname.startsWith('[') ||
    /^[\d.]+$/.test(url.hostname)
  ) {
    return problem(
      `host ${url.hostname} is not in vpsie.allowed_hosts (${c.vpsie.allowedHosts.join(', ')}); IP addresses only with vpsie.allow_insecure_api`,
      'vpsie.allowed_hosts',
      'vpsie.allow_insecure_api',
    );
  }
  return [];
}
