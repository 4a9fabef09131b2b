/** The agent's own configuration (agent.yaml), parsed and defaulted. Durations are milliseconds. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type LogFormat = 'json' | 'text';
export type SourceType = 'vpsie' | 'file';
export type ApplyStrategy = 'dynamic' | 'hot_restart';
/** How the API key is sent: `Authorization: Bearer <key>`, or `Vpsie-Auth: <key>` as VPSie's own tools do. */
export type AuthScheme = 'bearer' | 'vpsie-auth';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface AgentConfig {
  readonly vpsie: {
    readonly apiUrl: string;
    readonly apiKeyFile: string;
    readonly loadbalancerId: string;
    readonly pollIntervalMs: number;
    /** Exact host names or `*.domain` patterns (subdomains of domain only). */
    readonly allowedHosts: readonly string[];
    /** Development and tests only: allows http, loopback/private API addresses and lifts the host allow-list. */
    readonly allowInsecureApi: boolean;
    readonly requestTimeoutMs: number;
    /** How often backend health and the LB status are read from Envoy (and reported when they change). */
    readonly healthIntervalMs: number;
    /** How often a metrics summary is posted to the API; 0 = never. */
    readonly metricsIntervalMs: number;
    /** Path of the spec under apiUrl; `{id}` stands for the percent-encoded loadbalancerId. */
    readonly specPath: string;
    readonly authScheme: AuthScheme;
  };
  readonly source: {
    readonly type: SourceType;
    /** The spec file, for `file`. */
    readonly path?: string;
  };
  readonly envoy: {
    /** Watched directory holding the dynamic resource files; the bootstrap lives in its parent. */
    readonly configPath: string;
    readonly binaryPath: string;
    readonly adminAddress: HostPort;
    readonly allowNonLoopbackAdmin: boolean;
    readonly pidFile: string;
    /** Global downstream connection limit (overload manager). */
    readonly maxConnections: number;
    readonly applyStrategy: ApplyStrategy;
    /** Stable hot-restart base id. */
    readonly baseId: number;
    readonly drainTimeMs: number;
    readonly parentShutdownTimeMs: number;
    readonly verifyTimeoutMs: number;
    readonly stopOnExit: boolean;
    /** Unix socket of the launcher service that owns the Envoy processes (vpsie-lb-envoy.service). */
    readonly launcherSocket: string;
    /**
     * The user Envoy runs as ('' = the agent's own): certificate and key copies are chowned to it, since keys are
     * 0600 and Envoy must read them.
     */
    readonly user: string;
    /** Also listen on [::] for the load balancer port. */
    readonly ipv6: boolean;
    /** Heap limit for the overload manager's heap monitor. */
    readonly maxHeapBytes: number;
  };
  readonly logging: {
    readonly level: LogLevel;
    readonly format: LogFormat;
  };
  readonly stateDir: string;
  readonly tls: {
    readonly certDir: string;
  };
  readonly server: {
    readonly listen: HostPort;
  };
  /** Extra backend address policy, on top of the contract's. */
  readonly addressPolicy: {
    readonly denyCidrs: readonly string[];
    readonly allowCidrs: readonly string[];
  };
}
