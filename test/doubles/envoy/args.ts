/** Envoy's command line, parsed the way TCLAP + OptionsImpl do: unknown flags and bad values are argv errors (exit 1). */
import { availableParallelism } from 'node:os';

export type Mode = 'serve' | 'validate' | 'init_only';
export type DrainStrategy = 'gradual' | 'immediate';

export interface Options {
  configPath: string;
  configYaml: string;
  mode: Mode;
  restartEpoch: number;
  baseId: number;
  useDynamicBaseId: boolean;
  baseIdPath: string;
  drainTimeS: number;
  parentShutdownTimeS: number;
  drainStrategy: DrainStrategy;
  hotRestartVersion: boolean;
  disableHotRestart: boolean;
  serviceCluster: string;
  serviceNode: string;
  concurrency: number;
  logLevel: string;
  logPath: string;
  componentLogLevel: string;
  socketPath: string;
  socketMode: number;
  allowUnknownStaticFields: boolean;
  rejectUnknownDynamicFields: boolean;
  skipHotRestartOnNoParent: boolean;
  adminAddressPath: string;
  version: boolean;
}

export class ArgvError extends Error {}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'off'];

/** A subset of Envoy's logger ids (source/common/common/logger.h); enough for the agent's use. */
const COMPONENTS = new Set([
  'admin',
  'assert',
  'backtrace',
  'client',
  'config',
  'connection',
  'conn_handler',
  'dns',
  'dubbo',
  'envoy_bug',
  'file',
  'filter',
  'forward_proxy',
  'grpc',
  'happy_eyeballs',
  'hc',
  'health_checker',
  'http',
  'http2',
  'hot_restart',
  'init',
  'io',
  'jwt',
  'kafka',
  'lua',
  'main',
  'matcher',
  'misc',
  'mongo',
  'multi_connection',
  'oauth2',
  'overload',
  'pool',
  'quic',
  'quic_stream',
  'rbac',
  'redis',
  'router',
  'runtime',
  'secret',
  'stats',
  'tap',
  'testing',
  'thrift',
  'tracing',
  'udp',
  'upstream',
  'wasm',
  'websocket',
]);

type Kind = 'string' | 'uint' | 'bool';
interface FlagSpec {
  readonly key: keyof Options | 'ignored';
  readonly kind: Kind;
}

const FLAGS: Record<string, FlagSpec> = {
  '-c': { key: 'configPath', kind: 'string' },
  '--config-path': { key: 'configPath', kind: 'string' },
  '--config-yaml': { key: 'configYaml', kind: 'string' },
  '--mode': { key: 'mode', kind: 'string' },
  '--restart-epoch': { key: 'restartEpoch', kind: 'uint' },
  '--base-id': { key: 'baseId', kind: 'uint' },
  '--use-dynamic-base-id': { key: 'useDynamicBaseId', kind: 'bool' },
  '--base-id-path': { key: 'baseIdPath', kind: 'string' },
  '--drain-time-s': { key: 'drainTimeS', kind: 'uint' },
  '--parent-shutdown-time-s': { key: 'parentShutdownTimeS', kind: 'uint' },
  '--drain-strategy': { key: 'drainStrategy', kind: 'string' },
  '--hot-restart-version': { key: 'hotRestartVersion', kind: 'bool' },
  '--disable-hot-restart': { key: 'disableHotRestart', kind: 'bool' },
  '--service-cluster': { key: 'serviceCluster', kind: 'string' },
  '--service-node': { key: 'serviceNode', kind: 'string' },
  '--concurrency': { key: 'concurrency', kind: 'uint' },
  '-l': { key: 'logLevel', kind: 'string' },
  '--log-level': { key: 'logLevel', kind: 'string' },
  '--log-path': { key: 'logPath', kind: 'string' },
  '--component-log-level': { key: 'componentLogLevel', kind: 'string' },
  '--socket-path': { key: 'socketPath', kind: 'string' },
  '--socket-mode': { key: 'socketMode', kind: 'uint' },
  '--allow-unknown-static-fields': { key: 'allowUnknownStaticFields', kind: 'bool' },
  '--skip-hot-restart-on-no-parent': { key: 'skipHotRestartOnNoParent', kind: 'bool' },
  '--admin-address-path': { key: 'adminAddressPath', kind: 'string' },
  '--version': { key: 'version', kind: 'bool' },
  // Accepted and ignored: real flags that change nothing the double emulates.
  '--log-format': { key: 'ignored', kind: 'string' },
  '--log-format-escaped': { key: 'ignored', kind: 'bool' },
  '--enable-fine-grain-logging': { key: 'ignored', kind: 'bool' },
  '--service-zone': { key: 'ignored', kind: 'string' },
  '--file-flush-interval-msec': { key: 'ignored', kind: 'uint' },
  '--local-address-ip-version': { key: 'ignored', kind: 'string' },
  '--ignore-unknown-dynamic-fields': { key: 'ignored', kind: 'bool' },
  '--reject-unknown-dynamic-fields': { key: 'rejectUnknownDynamicFields', kind: 'bool' },
  '--enable-core-dump': { key: 'ignored', kind: 'bool' },
  '--disable-extensions': { key: 'ignored', kind: 'string' },
};

export const defaultOptions = (): Options => ({
  configPath: '',
  configYaml: '',
  mode: 'serve',
  restartEpoch: 0,
  baseId: 0,
  useDynamicBaseId: false,
  baseIdPath: '',
  drainTimeS: 600,
  parentShutdownTimeS: 900,
  drainStrategy: 'gradual',
  hotRestartVersion: false,
  disableHotRestart: false,
  serviceCluster: '',
  serviceNode: '',
  concurrency: availableParallelism(),
  logLevel: 'info',
  logPath: '',
  componentLogLevel: '',
  socketPath: '@envoy_domain_socket',
  socketMode: 0o600,
  allowUnknownStaticFields: false,
  rejectUnknownDynamicFields: false,
  skipHotRestartOnNoParent: false,
  adminAddressPath: '',
  version: false,
});

const parseError = (flag: string, detail: string): ArgvError =>
  new ArgvError(`PARSE ERROR: Argument: ${flag}\n             ${detail}\n`);
/** TCLAP names a known argument as `(--flag)` (unknown ones as typed). */
const argError = (flag: string, detail: string): ArgvError => parseError(`(${flag})`, detail);

export function parseArgs(argv: readonly string[]): Options {
  const o = defaultOptions();
  const rec = o as unknown as Record<string, string | number | boolean>;
  const seen = new Set<FlagSpec>();
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    const spec = FLAGS[flag];
    if (spec === undefined) throw parseError(raw, "Couldn't find match for argument");
    // Every flag of Envoy's that the double knows is a single-valued TCLAP argument: twice is an error.
    if (seen.has(spec)) throw argError(flag, 'Argument already set!');
    seen.add(spec);
    if (spec.kind === 'bool') {
      if (eq > 0) throw argError(flag, 'Argument does not take a value');
      if (spec.key !== 'ignored') rec[spec.key] = true;
      continue;
    }
    let value: string;
    if (eq > 0) value = raw.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw argError(flag, 'Missing a value for this argument!');
      value = next;
      i++;
    }
    if (spec.kind === 'uint') {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
        throw argError(flag, `Couldn't read argument value from string '${value}'`);
      }
      if (spec.key !== 'ignored') rec[spec.key] = Number(value);
    } else if (spec.key !== 'ignored') rec[spec.key] = value;
  }
  return check(o);
}

function check(o: Options): Options {
  if (!(['serve', 'validate', 'init_only'] as string[]).includes(o.mode)) {
    throw new ArgvError(`error: unknown mode '${o.mode}'`);
  }
  if (!LOG_LEVELS.includes(o.logLevel))
    throw new ArgvError(`error: invalid log level specified '${o.logLevel}'`);
  if (o.logLevel === 'warn') o.logLevel = 'warning';
  if (!(['gradual', 'immediate'] as string[]).includes(o.drainStrategy)) {
    throw new ArgvError(`error: unknown drain-strategy '${o.drainStrategy}'`);
  }
  if (o.componentLogLevel !== '') {
    for (const entry of o.componentLogLevel.split(',')) {
      const [name, level, extra] = entry.split(':');
      if (name === undefined || level === undefined || extra !== undefined || name === '') {
        throw new ArgvError(`error: component log level not correctly specified '${entry}'`);
      }
      if (!LOG_LEVELS.includes(level)) throw new ArgvError(`error: invalid log level specified '${level}'`);
      if (!COMPONENTS.has(name)) throw new ArgvError(`error: invalid component specified '${name}'`);
    }
  }
  if (o.useDynamicBaseId && o.restartEpoch > 0) {
    throw new ArgvError(`error: cannot use --restart-epoch=${o.restartEpoch} with --use-dynamic-base-id`);
  }
  if (o.concurrency === 0) o.concurrency = 1;
  if (o.restartEpoch > 0xffffffff) throw parseError('--restart-epoch', 'value out of range');
  return o;
}
