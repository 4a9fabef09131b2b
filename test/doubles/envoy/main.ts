/** The envoy test double: `envoy [flags]`, following envoy-notes.md. See README.md for the test controls. */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../../../src/util/atomic.ts';
import { type AdminModel, AdminServer, type ServerState, stateGauge } from './admin.ts';
import { ArgvError, type Options, parseArgs } from './args.ts';
import { type Bootstrap, ConfigError, checkBootstrap, checkSubscription, interpret } from './bootstrap.ts';
import { Control } from './control.ts';
import { Fatal, HOT_RESTART_VERSION, HotRestarter } from './hotrestart.ts';
import { Journal, Logger } from './log.ts';
import { loadSchema, type SchemaAdapter } from './schema.ts';
import { declareListenerStats, Stats } from './stats.ts';
import { closeWatchers } from './watch.ts';
import { ChildRegistry, FileSubscription, ResourceStore, SdsRegistry, TYPE } from './xds.ts';

const env = process.env;
const flag = (name: string): boolean => env[name] === '1';

/** Defaults to the pinned Envoy's version (packaging/envoy.json), which the double is compared with. */
function versionString(): string {
  const v = env.ENVOY_DOUBLE_VERSION ?? pinnedVersion();
  return v.includes('/') ? v : `d0ab1e0000000000000000000000000000000000/${v}/Clean/RELEASE/BoringSSL`;
}

function pinnedVersion(): string {
  const file = new URL('../../../packaging/envoy.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function exitNow(code: number): never {
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  let opts: Options;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof ArgvError)) throw err;
    process.stderr.write(`${err.message}\n`);
    exitNow(1);
  }
  if (opts.version) {
    // Envoy names itself by argv[0]; the sh wrapper passes its own.
    process.stdout.write(`\n${env.ENVOY_DOUBLE_ARGV0 ?? 'envoy'}  version: ${versionString()}\n\n`);
    exitNow(0);
  }
  if (opts.hotRestartVersion) {
    process.stderr.write(opts.disableHotRestart ? 'disabled\n' : `${HOT_RESTART_VERSION}\n`);
    exitNow(0);
  }
  const log = new Logger(opts.logPath, opts.logLevel);
  const schema = loadSchema();
  // The two wordings of Envoy 1.40: config_validation/server.cc in validate mode, server.cc when serving.
  const configError = (message: string): never => {
    log.critical(
      'main',
      opts.mode === 'validate'
        ? `error initializing configuration '${opts.configPath}': ${message}`
        : `error \`${message}\` initializing config '${opts.configPath}'`,
    );
    exitNow(1);
  };

  if (opts.mode === 'validate') {
    if (flag('ENVOY_DOUBLE_REJECT_VALIDATION'))
      configError('injected validation failure (ENVOY_DOUBLE_REJECT_VALIDATION)');
    try {
      checkBootstrap(opts, schema);
    } catch (err) {
      if (err instanceof ConfigError) configError(err.message);
      throw err;
    }
    process.stdout.write(`configuration '${opts.configPath}' OK\n`);
    exitNow(0);
  }
  await serve(opts, log, schema, configError);
}

async function serve(
  opts: Options,
  log: Logger,
  schema: SchemaAdapter,
  configError: (message: string) => never,
): Promise<void> {
  const journal = new Journal(env.ENVOY_DOUBLE_JOURNAL, opts.restartEpoch);
  const hotRestart = !opts.disableHotRestart && opts.mode === 'serve';
  const hr = hotRestart ? new HotRestarter(opts, log, journal) : undefined;
  const stats = new Stats();
  const control = new Control(env.ENVOY_DOUBLE_CONTROL_DIR);
  const startTimeMs = Date.now();
  let originalStartTimeMs = startTimeMs;
  let state: ServerState = 'PRE_INITIALIZING';
  let healthFailed = false;
  let admin: AdminServer | undefined;
  let stopping = false;
  const setState = (s: ServerState): void => {
    state = s;
    stats.set('server.state', stateGauge(s));
    stats.set('server.live', s === 'LIVE' ? 1 : 0);
  };

  const shutdown = async (reason: string, code = 0): Promise<never> => {
    if (!stopping) {
      stopping = true;
      journal.write('terminated', reason);
      log.warn('main', `shutting down: ${reason}`);
      admin?.close();
      closeWatchers();
      await Promise.race([hr?.close(), sleep(200)]);
    }
    exitNow(code);
  };
  const fatal = async (err: unknown): Promise<never> => {
    if (err instanceof ConfigError) {
      journal.write('failed', JSON.stringify(err.message));
      configError(err.message);
    }
    if (!(err instanceof Fatal)) throw err;
    journal.write(err.kind === 'abort' ? 'aborted' : 'failed', JSON.stringify(err.message));
    if (err.kind === 'config') configError(err.message);
    if (err.kind === 'exception') {
      process.stderr.write(`${err.message}\n`);
      exitNow(1);
    }
    log.critical('backtrace', `Caught Aborted, suspect faulting address 0x0: ${err.message}`);
    exitNow(134);
  };

  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => log.info('main', 'SIGHUP ignored'));
  process.on('SIGUSR1', () => log.reopen());
  // Envoy runs until told to stop, even with no admin and no listeners.
  setInterval(() => undefined, 1 << 30);
  if (hotRestart) {
    // PR_SET_PDEATHSIG(SIGTERM): Linux signals us when the spawning process dies; Node can only poll for it.
    const original = process.ppid;
    setInterval(() => {
      if (process.ppid !== original) void shutdown('SIGTERM (parent process died, PR_SET_PDEATHSIG)');
    }, 200).unref();
  }
  const crashMs = Number(env.ENVOY_DOUBLE_CRASH_AFTER_MS ?? '');
  if (env.ENVOY_DOUBLE_CRASH_AFTER_MS !== undefined && Number.isFinite(crashMs)) {
    setTimeout(() => void fatal(new Fatal('injected crash (ENVOY_DOUBLE_CRASH_AFTER_MS)', 'abort')), crashMs);
  }

  stats.set('server.hot_restart_epoch', opts.restartEpoch);
  stats.set('server.concurrency', opts.concurrency);
  setState('PRE_INITIALIZING');
  try {
    await hr?.init();
  } catch (err) {
    await fatal(err);
  }
  journal.write('started', `base_id=${hr?.baseId ?? opts.baseId} mode=${opts.mode}`);

  let bootstrap: Bootstrap;
  try {
    bootstrap = interpret(checkBootstrap(opts, schema), opts);
    if (flag('ENVOY_DOUBLE_FAIL_START'))
      throw new ConfigError('injected start failure (ENVOY_DOUBLE_FAIL_START)');
  } catch (err) {
    return fatal(err);
  }

  let handoff: Awaited<ReturnType<HotRestarter['shutdownParentAdmin']>>;
  try {
    handoff = await hr?.shutdownParentAdmin();
  } catch (err) {
    return fatal(err);
  }
  if (handoff !== undefined) {
    originalStartTimeMs = handoff.originalStartTimeMs;
    stats.importCounters(handoff.counters);
  }

  const cds = new ResourceStore();
  const lds = new ResourceStore();
  const deps = {
    schema,
    stats,
    log,
    journal,
    reject: control.reject,
    rejectUnknownFields: opts.rejectUnknownDynamicFields,
  };
  const sds = new SdsRegistry(deps);
  const xds = new ChildRegistry(deps);
  const model: AdminModel = {
    opts,
    bootstrap,
    stats,
    control,
    log,
    cds,
    lds,
    sds,
    xds,
    version: versionString(),
    baseId: () => hr?.baseId ?? opts.baseId,
    startTimeMs,
    originalStartTimeMs: () => originalStartTimeMs,
    bootTime: new Date(startTimeMs).toISOString(),
    state: () => (healthFailed && state === 'LIVE' ? 'DRAINING' : state),
    healthcheck: (fail) => {
      healthFailed = fail;
      setState(state);
      if (fail && state === 'LIVE') stats.set('server.state', stateGauge('DRAINING'));
      journal.write(fail ? 'healthcheck failed' : 'healthcheck ok');
    },
    drainListeners: (graceful, inboundOnly, skipExit) => {
      journal.write(
        'draining',
        `admin graceful=${graceful} inboundonly=${inboundOnly} skip_exit=${skipExit}`,
      );
    },
    quit: () => void shutdown('/quitquitquit'),
  };
  hr?.setHandlers({
    shutdownAdmin: async () => {
      admin?.close();
      admin = undefined;
      log.warn('main', 'shutting down admin due to child startup');
      log.warn('main', 'terminating parent process');
      void hr.terminateParent();
      return { originalStartTimeMs, counters: Object.fromEntries(stats.counters) };
    },
    drainListeners: () => {
      journal.write('draining', `hot restart drain_time=${opts.drainTimeS}s`);
      setTimeout(() => journal.write('drained'), opts.drainTimeS * 1000).unref();
    },
    terminate: () => void shutdown('terminated by child (hot restart)'),
  });

  if (bootstrap.admin !== undefined) {
    const { address, port } = bootstrap.admin;
    const server = new AdminServer(model);
    try {
      const bound = await server.listen(address, port);
      admin = server;
      const text =
        bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
      log.info('main', `admin address: ${text}`);
      journal.write('admin', text);
      for (const file of [opts.adminAddressPath, env.ENVOY_DOUBLE_ADMIN_ADDRESS_FILE]) {
        if (file !== undefined && file !== '') await writeFileAtomic(file, text);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return fatal(
        new ConfigError(
          `cannot bind '${address}:${port}': ${code === 'EADDRINUSE' ? 'Address already in use' : String(code)}`,
        ),
      );
    }
  }

  try {
    if (bootstrap.cds !== undefined) checkSubscription(TYPE.cluster, bootstrap.cds, bootstrap.node);
    if (bootstrap.lds !== undefined) checkSubscription(TYPE.listener, bootstrap.lds, bootstrap.node);
  } catch (err) {
    return fatal(err);
  }
  setState('INITIALIZING');
  if (bootstrap.cds !== undefined) {
    const onClusters = (): void => xds.ensureEndpoints([...cds.active.values()].map((r) => r.body));
    new FileSubscription('cluster', bootstrap.cds, cds, { ...deps, onApplied: onClusters }).start();
  }
  sds.ensure(bootstrap.staticListeners);
  declareListenerStats(stats, bootstrap.staticListeners);
  xds.ensureRoutes(bootstrap.staticListeners);
  if (bootstrap.lds !== undefined) {
    const onApplied = (): void => {
      const listeners = [...lds.active.values()].map((r) => r.body);
      sds.ensure(listeners);
      declareListenerStats(stats, listeners);
      xds.ensureRoutes(listeners);
    };
    new FileSubscription('listener', bootstrap.lds, lds, { ...deps, onApplied }).start();
  }
  const initDelay = Number(env.ENVOY_DOUBLE_INIT_DELAY_MS ?? '0');
  if (initDelay > 0) await sleep(initDelay);
  if (opts.mode === 'init_only') return shutdown('init_only');
  if (flag('ENVOY_DOUBLE_NEVER_LIVE')) {
    log.info('main', 'ENVOY_DOUBLE_NEVER_LIVE: staying INITIALIZING');
    return;
  }
  setState('LIVE');
  log.info('main', 'starting main dispatch loop');
  journal.write('live');
  if (hr !== undefined) {
    await hr.drainParentAndClearInitializing();
    setTimeout(() => void hr.terminateParent(), opts.parentShutdownTimeS * 1000);
  }
}

void main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(
    `envoy double: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
