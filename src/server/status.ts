/** What GET /status shows: one document answering "is this agent converged, and if not, why". */
import type { TransactionRecord } from '../apply/types.ts';
import type { BackendStatusEntry } from '../health/backend-health.ts';
import type { LbStatus } from '../health/lb-status.ts';
import type { ReconcileReport, ReconcileResult } from '../reconcile/reconciler.ts';

export interface AgentStatus {
  readonly lb_id: string | null;
  /** The spec's (informational) name. */
  readonly lb_name: string | null;
  /** e.g. `vpsie https://api.vpsie.com/…` or `file /etc/vpsie-lb/spec.json` (never the API key). */
  readonly source: string;
  /** Hash of the configuration the current spec renders to (what the agent wants live). */
  readonly desired_hash: string | null;
  /** Hash of the configuration committed and live. Converged when equal to desired_hash. */
  readonly applied_hash: string | null;
  readonly apply_strategy: string;
  /** Overall load balancer status as last computed (and reported to the API). */
  readonly lb_status: { readonly status: LbStatus; readonly reason: string } | null;
  readonly envoy: {
    /** e.g. LIVE, INITIALIZING, DRAINING, stopped, unreachable. */
    readonly state: string;
    readonly epoch: number | null;
    readonly pid: number | null;
    readonly base_id: number | null;
  };
  readonly last_reconcile: LastReconcile | null;
  /** The last few transactions, newest first. */
  readonly transactions: readonly TransactionRecord[];
  readonly backends: readonly BackendStatusEntry[];
  /** The same backends by listener and pool: what an operator reads first (one listener per rule). */
  readonly listeners: readonly ListenerStatus[];
  /** An operator's rollback holding the configuration, or null. */
  readonly hold: HoldStatus | null;
  readonly event_queue: { readonly depth: number; readonly dropped: number };
  readonly certificates: readonly {
    /** The served host (VPSie form) or the LB id (flat form) the certificate is for. */
    readonly domain: string;
    readonly name: string;
    /** ISO 8601. */
    readonly not_after: string;
    readonly seconds_to_expiry: number;
  }[];
  readonly version: string;
  readonly uptime_seconds: number;
}

export interface ListenerStatus {
  readonly name: string;
  readonly protocol: string;
  readonly port: number;
  readonly pools: readonly {
    readonly name: string;
    readonly algorithm: string;
    /** Host names (virtual hosts/domains) routed to this pool; empty when the pool takes everything. */
    readonly domains: readonly string[];
    readonly backends: readonly BackendStatusEntry[];
  }[];
}

export interface HoldStatus {
  readonly since: string;
  /** Not applied while held: the configuration the spec asked for when the operator rolled back. */
  readonly from_hash: string;
  /** What serves while held. */
  readonly to_hash: string;
  readonly generation: number;
  readonly transaction_id: string;
}

export interface LastReconcile {
  readonly at: string;
  readonly trigger: string;
  readonly result: ReconcileResult;
  readonly error: string | null;
  readonly problems: readonly string[];
  readonly duration_ms: number;
}

/** At most this many problem lines on /status; the full list is in the log and the rejection event. */
const MAX_PROBLEMS = 50;

export function lastReconcileOf(report: ReconcileReport | undefined): LastReconcile | null {
  if (report === undefined) return null;
  return {
    at: report.at,
    trigger: report.trigger,
    result: report.result,
    error: report.error ?? null,
    problems: (report.problems ?? []).slice(0, MAX_PROBLEMS),
    duration_ms: report.durationMs,
  };
}

/** Seconds left on a certificate, for /status and the expiry gauge. */
export function secondsToExpiry(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / 1000);
}
