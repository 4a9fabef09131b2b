import { pino } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat, LogLevel } from '../config/types.ts';

type LogFn = {
  (msg: string): void;
  (obj: object, msg?: string): void;
};

/** What the rest of the agent logs through; kept small so nothing else depends on pino's types. */
export interface Logger {
  /** pino's level, settable (reload); absent on loggers that drop everything. */
  level?: string;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

/** Field names whose values are secrets wherever they appear in a log object. */
export const REDACTED_KEYS: readonly string[] = [
  'apiKey',
  'api_key',
  'authorization',
  'Authorization',
  'vpsie-auth',
  'Vpsie-Auth',
  'privateKey',
  'private_key',
  'private_key_pem',
  'privateKeyPem',
  'key',
  'password',
  'token',
  'secret',
];

const CENSOR = '[redacted]';
/** pino's redact paths are fixed-depth: cover the top level and two levels down (`req.headers.authorization`)... */
const REDACT_PATHS = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
const SECRET_KEYS = new Set(REDACTED_KEYS.map((k) => k.toLowerCase()));
const MAX_DEPTH = 10;

/** ...and this walk catches deeper ones in plain objects and arrays (bounded depth; cycles stop there). */
function redactDeep(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // Errors, Secrets, Dates serialize themselves
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_KEYS.has(k.toLowerCase()) ? CENSOR : redactDeep(v, depth + 1),
    ]),
  );
}

/**
 * A logger writing JSON lines (`json`, for journald and collectors) or human-readable lines (`text`) to
 * `destination` (stdout by default). Both are synchronous, so nothing is lost when the agent exits.
 */
export function createLogger(
  opts: { level: LogLevel; format: LogFormat },
  destination?: NodeJS.WritableStream,
): Logger {
  const options = {
    level: opts.level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: CENSOR },
    formatters: {
      log: (obj: Record<string, unknown>) => redactDeep(obj, 0) as Record<string, unknown>,
      bindings: (bindings: Record<string, unknown>) => redactDeep(bindings, 0) as Record<string, unknown>,
    },
  };
  if (opts.format === 'text') {
    const stream = pretty({
      destination: destination ?? process.stdout,
      sync: true,
      colorize: false,
      translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
    });
    return pino(options, stream);
  }
  return pino(options, destination ?? pino.destination({ fd: 1, sync: true }));
}

/** A logger that drops everything, for code paths and tests that need one but do not look at it. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
