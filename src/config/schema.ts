import { z } from 'zod';
import { defaultAgentConfig } from './defaults.ts';
import { cidrProblem, formatHostPort, isHostPattern, parseHostPort } from './net.ts';
import type { AgentConfig } from './types.ts';
import { formatBytes, formatDuration, parseBytes, parseDuration } from './units.ts';

/**
 * The structure of agent.yaml (snake_case, every key optional). Each leaf carries its documentation in `docs`, so the
 * configuration reference (CONFIG_KEYS) is walked out of this schema and cannot drift from it. Rules that involve
 * more than one key, and path resolution, live in load.ts.
 */

export interface KeyDoc {
  /** How the value is written, for humans: `duration (1s..1h)`, `boolean`, `dynamic | hot_restart`. */
  readonly type: string;
  readonly description: string;
}

export const docs = z.registry<KeyDoc>();

/** How a rejected value reads in a message: `"lots"`, `70000`, `a list`. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

type Input = { readonly input?: unknown };
const got = (what: string) => (iss: Input) => `${what}, got ${show(iss.input)}`;

const leaf = <S extends z.ZodType>(schema: S, type: string, description: string): z.ZodOptional<S> => {
  const optional = schema.optional();
  docs.add(optional as z.ZodType, { type, description });
  return optional;
};

const str = (what = 'must be a string') => z.string({ error: got(what) });
const bool = (description: string) =>
  leaf(z.boolean({ error: got('must be true or false') }), 'boolean', description);

const int = (min: number, max: number, description: string) => {
  const error = got(`must be an integer ${min}..${max}`);
  return leaf(
    z.int({ error }).min(min, { error }).max(max, { error }),
    `integer ${min}..${max}`,
    description,
  );
};

const oneOf = <const T extends readonly [string, ...string[]]>(values: T, description: string) =>
  leaf(
    z.enum(values, { error: got(`must be one of ${values.join(', ')}`) }),
    values.join(' | '),
    description,
  );

/** A duration string within [min, max] ms; `wholeSeconds` when Envoy takes the value as a count of seconds. */
const duration = (min: number, max: number, description: string, wholeSeconds = false) => {
  const range = `${formatDuration(min)}..${formatDuration(max)}`;
  const schema = str(`must be a duration like 30s, 1m30s or 500ms (${range})`).transform((s, ctx) => {
    const ms = parseDuration(s);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        input: s,
        message: `must be a duration like 30s, 1m30s or 500ms, got ${show(s)}`,
      });
    } else if (ms < min || ms > max) {
      ctx.addIssue({ code: 'custom', input: s, message: `must be ${range}, got ${show(s)}` });
    } else if (wholeSeconds && ms % 1000 !== 0) {
      ctx.addIssue({
        code: 'custom',
        input: s,
        message: `must be whole seconds (Envoy takes seconds), got ${show(s)}`,
      });
    }
    return ms ?? 0;
  });
  return leaf(schema, `duration ${range}${wholeSeconds ? ', whole seconds' : ''}`, description);
};

const MIN_HEAP = 64 * 1024 ** 2;
const MAX_HEAP = 1024 ** 4;
const bytes = (description: string) => {
  const what = `must be a size in bytes, as an integer or like 512MiB or 1GiB (${formatBytes(MIN_HEAP)}..${formatBytes(MAX_HEAP)})`;
  const schema = z.union([z.int(), z.string()], { error: got(what) }).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : parseBytes(v);
    if (n === undefined || n < MIN_HEAP || n > MAX_HEAP)
      ctx.addIssue({ code: 'custom', input: v, message: got(what)({ input: v }) });
    return n ?? 0;
  });
  return leaf(
    schema,
    `bytes ${formatBytes(MIN_HEAP)}..${formatBytes(MAX_HEAP)} (integer or KiB/MiB/GiB/TiB)`,
    description,
  );
};

/** An IP address with optional port; `portRequired` for addresses we bind ourselves. */
const hostPort = (portRequired: boolean, description: string) => {
  const what = portRequired
    ? 'must be an IP address and port like 127.0.0.1:9902 or [::1]:9902'
    : 'must be an IP address with optional :port, like 127.0.0.1:9901, 127.0.0.1 or [::1]:9901';
  const schema = str(what).transform((s, ctx) => {
    const hp = parseHostPort(s);
    if (hp === undefined || (portRequired && hp.port === undefined)) {
      ctx.addIssue({ code: 'custom', input: s, message: got(what)({ input: s }) });
    }
    return hp ?? { host: '' };
  });
  return leaf(schema, portRequired ? 'ip:port' : 'ip or ip:port', description);
};

const path = (description: string, kind = 'path') =>
  leaf(
    str().refine((s) => s !== '', { error: 'must not be empty' }),
    `${kind} (absolute, or ./relative to this file)`,
    description,
  );

const stringList = (item: z.ZodType<string>, type: string, description: string) =>
  leaf(z.array(item, { error: got('must be a list') }), type, description);

const cidr = str().superRefine((s, ctx) => {
  const problem = cidrProblem(s);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', input: s, message: problem });
});

const hostPattern = str().refine(isHostPattern, {
  error: got('must be a host name or *.domain (no other wildcards)'),
});

const section = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z
    .strictObject(shape, {
      error: (iss) => (iss.code === 'invalid_type' ? got('must be a mapping')(iss) : undefined),
    })
    .optional();

export const LOADBALANCER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * vpsie.spec_path: absolute, plain segments (no query, fragment, `.`/`..` or percent escapes, which could point the
 * key somewhere else on the host), and `{id}` exactly once so the agent fetches its own load balancer.
 */
export function specPathProblem(s: string): string | undefined {
  const shown = show(s);
  if (!s.startsWith('/')) return `must start with /, like /api/v1/lb/{id}, got ${shown}`;
  const segments = s.slice(1).split('/');
  if (segments.some((seg) => !/^[A-Za-z0-9_~{}.-]+$/.test(seg) || seg === '.' || seg === '..'))
    return `must be /-separated segments of A-Z a-z 0-9 _ ~ . - (no empty, . or .. segments), got ${shown}`;
  if (s.split('{id}').length !== 2) return `must contain {id} exactly once, got ${shown}`;
  if (s.replace('{id}', '').includes('{') || s.replace('{id}', '').includes('}'))
    return `only {id} may be written in braces, got ${shown}`;
  return undefined;
}

export const agentConfigSchema = z.strictObject(
  {
    vpsie: section({
      api_url: leaf(str(), 'https URL', 'VPSie API base URL. Must be https with a host in allowed_hosts.'),
      api_key_file: path(
        'File holding the VPSie API key (keep it mode 0600). Required with source.type vpsie.',
        'file',
      ),
      loadbalancer_id: leaf(
        str('must be a string (quote numeric ids: "12345")').refine(
          (s) => s === '' || LOADBALANCER_ID.test(s),
          {
            error: got('must be 1..64 of A-Z a-z 0-9 _ -'),
          },
        ),
        'string [A-Za-z0-9_-]{1,64}',
        'The load balancer this agent serves. Required with source.type vpsie.',
      ),
      poll_interval: duration(1_000, 3_600_000, 'How often to fetch the spec from the API.'),
      allowed_hosts: stringList(
        hostPattern,
        'list of host names / *.domain',
        'Hosts api_url may point at: exact names or *.domain (any subdomain, not domain itself).',
      ),
      allow_insecure_api: bool('Development only: allow http, loopback/private API addresses, any host.'),
      request_timeout: duration(1_000, 300_000, 'Timeout for one API request.'),
      health_interval: duration(
        1_000,
        3_600_000,
        'How often backend health and the LB status are read from Envoy; each change is reported once.',
      ),
      metrics_interval: duration(
        0,
        86_400_000,
        'How often a metrics summary is posted to the API; 0s turns it off.',
      ),
      spec_path: leaf(
        str().superRefine((s, ctx) => {
          const problem = specPathProblem(s);
          if (problem !== undefined) ctx.addIssue({ code: 'custom', input: s, message: problem });
        }),
        'path with {id}',
        'Where under api_url the spec is fetched; {id} is the percent-encoded loadbalancer_id. The public API uses /api/v1/lb/{id}. Reports keep /loadbalancers/{id}/...',
      ),
      auth_scheme: oneOf(
        ['bearer', 'vpsie-auth'],
        'How the API key is sent: Authorization: Bearer <key>, or Vpsie-Auth: <key> (what VPSie tools send).',
      ),
    }),
    source: section({
      type: oneOf(['vpsie', 'file'], 'Where the spec comes from: the VPSie API, or a local JSON file.'),
      path: path('The spec file, for source.type file.', 'file'),
    }),
    envoy: section({
      config_path: path(
        'Directory of the dynamic resource files Envoy watches; the bootstrap goes in its parent.',
        'directory',
      ),
      binary_path: path('The Envoy executable.', 'file'),
      admin_address: hostPort(
        false,
        'Envoy admin listener; the port may come from admin_port. Loopback only unless allowed.',
      ),
      admin_port: int(1, 65535, 'Envoy admin port, used when admin_address has no port.'),
      pid_file: path('Where the agent records the running Envoy process id.', 'file'),
      max_connections: int(1, 10_000_000, 'Global downstream connection limit (overload manager).'),
      apply_strategy: oneOf(['dynamic', 'hot_restart'], 'How a new configuration reaches Envoy.'),
      base_id: int(0, 4_294_967_295, 'Envoy --base-id, stable across hot restarts.'),
      drain_time: duration(0, 3_600_000, 'Envoy --drain-time-s: how long old listeners drain.', true),
      parent_shutdown_time: duration(
        1_000,
        7_200_000,
        'Envoy --parent-shutdown-time-s: when the old epoch exits. Must exceed drain_time.',
        true,
      ),
      verify_timeout: duration(
        1_000,
        600_000,
        'How long a new configuration may take to become healthy before rollback.',
      ),
      stop_on_exit: bool('Stop Envoy when the agent exits (otherwise Envoy keeps serving).'),
      launcher_socket: path(
        'Unix socket of the Envoy launcher service; when absent the agent spawns Envoy itself (Envoy then dies with the agent).',
        'file',
      ),
      user: leaf(
        str('must be a user name').regex(/^$|^[a-z_][a-z0-9_-]{0,31}$/, {
          error: got('must be a user name'),
        }),
        'string (user name)',
        "The user Envoy runs as; the agent chowns certificate and key copies to it ('' = leave them to the agent).",
      ),
      allow_non_loopback_admin: bool('Allow admin_address off loopback (the admin API is unauthenticated).'),
      ipv6: bool('Also listen on [::] for the load balancer port.'),
      max_heap: bytes('Heap limit for the overload manager heap monitor.'),
    }),
    logging: section({
      level: oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal'], 'Minimum log level.'),
      format: oneOf(['json', 'text'], 'json for journald/collectors, text for humans.'),
    }),
    state_dir: path('Agent state: generations, history, event queue.', 'directory'),
    tls: section({
      cert_dir: path('Where certificates and private keys for TLS listeners are written.', 'directory'),
    }),
    server: section({
      listen: hostPort(
        true,
        'Address of /metrics, /healthz, /readyz, /status. Port must differ from the Envoy admin port.',
      ),
    }),
    address_policy: section({
      deny_cidrs: stringList(
        cidr,
        'list of CIDR',
        'Backend addresses to refuse, on top of the built-in policy.',
      ),
      allow_cidrs: stringList(
        cidr,
        'list of CIDR',
        'Backend addresses to accept even if the built-in policy refuses them (operator only; deny_cidrs wins; never on the Envoy admin or agent port).',
      ),
    }),
  },
  {
    error: (iss) =>
      iss.code === 'invalid_type' ? got('the configuration must be a mapping')(iss) : undefined,
  },
);

export type RawAgentConfig = z.output<typeof agentConfigSchema>;

/** AgentConfig → the agent.yaml object that parses back to it (absolute paths, canonical units). */
export function toAgentYaml(c: AgentConfig): Record<string, unknown> {
  return {
    vpsie: {
      api_url: c.vpsie.apiUrl,
      api_key_file: c.vpsie.apiKeyFile,
      loadbalancer_id: c.vpsie.loadbalancerId,
      poll_interval: formatDuration(c.vpsie.pollIntervalMs),
      allowed_hosts: [...c.vpsie.allowedHosts],
      allow_insecure_api: c.vpsie.allowInsecureApi,
      request_timeout: formatDuration(c.vpsie.requestTimeoutMs),
      health_interval: formatDuration(c.vpsie.healthIntervalMs),
      metrics_interval: formatDuration(c.vpsie.metricsIntervalMs),
      spec_path: c.vpsie.specPath,
      auth_scheme: c.vpsie.authScheme,
    },
    source:
      c.source.path === undefined ? { type: c.source.type } : { type: c.source.type, path: c.source.path },
    envoy: {
      config_path: c.envoy.configPath,
      binary_path: c.envoy.binaryPath,
      admin_address: formatHostPort(c.envoy.adminAddress),
      admin_port: c.envoy.adminAddress.port,
      pid_file: c.envoy.pidFile,
      max_connections: c.envoy.maxConnections,
      apply_strategy: c.envoy.applyStrategy,
      base_id: c.envoy.baseId,
      drain_time: formatDuration(c.envoy.drainTimeMs),
      parent_shutdown_time: formatDuration(c.envoy.parentShutdownTimeMs),
      verify_timeout: formatDuration(c.envoy.verifyTimeoutMs),
      stop_on_exit: c.envoy.stopOnExit,
      launcher_socket: c.envoy.launcherSocket,
      user: c.envoy.user,
      allow_non_loopback_admin: c.envoy.allowNonLoopbackAdmin,
      ipv6: c.envoy.ipv6,
      max_heap: formatBytes(c.envoy.maxHeapBytes),
    },
    logging: { level: c.logging.level, format: c.logging.format },
    state_dir: c.stateDir,
    tls: { cert_dir: c.tls.certDir },
    server: { listen: formatHostPort(c.server.listen) },
    address_policy: {
      deny_cidrs: [...c.addressPolicy.denyCidrs],
      allow_cidrs: [...c.addressPolicy.allowCidrs],
    },
  };
}

/** Every leaf key of the schema as a dotted path with its schema, in declaration order. */
export function schemaLeaves(): { key: string; schema: z.ZodType }[] {
  const out: { key: string; schema: z.ZodType }[] = [];
  const walk = (shape: Record<string, z.ZodType>, prefix: string) => {
    for (const [name, schema] of Object.entries(shape)) {
      const key = prefix === '' ? name : `${prefix}.${name}`;
      const inner = schema instanceof z.ZodOptional ? schema.unwrap() : schema;
      if (inner instanceof z.ZodObject) walk(inner.shape, key);
      else out.push({ key, schema });
    }
  };
  walk(agentConfigSchema.shape, '');
  return out;
}

const renderDefault = (value: unknown): string => {
  if (value === undefined || value === '') return '(none)';
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return String(value);
};

/** The value at a dotted key (`envoy.drain_time`) of an agent.yaml object, or undefined. */
export const valueAt = (obj: Record<string, unknown>, key: string): unknown =>
  key
    .split('.')
    .reduce<unknown>(
      (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
      obj,
    );

/** The configuration reference: every key, how it is written, its default, what it does. */
export const CONFIG_KEYS: readonly { key: string; type: string; default: string; description: string }[] =
  (() => {
    const defaults = toAgentYaml(defaultAgentConfig());
    return schemaLeaves().map(({ key, schema }) => {
      const doc = docs.get(schema);
      if (doc === undefined) throw new Error(`config key ${key} has no documentation`);
      return {
        key,
        type: doc.type,
        default: renderDefault(valueAt(defaults, key)),
        description: doc.description,
      };
    });
  })();
