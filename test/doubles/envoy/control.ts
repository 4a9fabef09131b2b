/** Test controls: ENVOY_DOUBLE_CONTROL_DIR/health.json (host health) and reject-next-update (one-shot rejection). */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RejectInjector } from './xds.ts';

/** The boolean flags of envoy.admin.v3.HostHealthStatus; false ones are absent from the JSON. */
export const HEALTH_FLAGS = [
  'failed_active_health_check',
  'failed_outlier_check',
  'failed_active_degraded_check',
  'pending_dynamic_removal',
  'pending_active_hc',
  'excluded_via_immediate_hc_fail',
  'active_hc_timeout',
] as const;
export type HealthFlag = (typeof HEALTH_FLAGS)[number];

const isFlag = (s: unknown): s is HealthFlag =>
  typeof s === 'string' && (HEALTH_FLAGS as readonly string[]).includes(s);

export class Control {
  private envRejectPending: boolean;

  constructor(private readonly dir: string | undefined) {
    this.envRejectPending = process.env.ENVOY_DOUBLE_REJECT_NEXT_UPDATE === '1';
  }

  /** `{"ip:port": "healthy" | <flag> | [<flag>...]}`, re-read on every call; unreadable → all healthy. */
  healthFlags(): Map<string, HealthFlag[]> {
    const out = new Map<string, HealthFlag[]>();
    if (this.dir === undefined) return out;
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(join(this.dir, 'health.json'), 'utf8'));
    } catch {
      return out;
    }
    if (typeof doc !== 'object' || doc === null) return out;
    for (const [hostPort, v] of Object.entries(doc)) {
      const flags = (Array.isArray(v) ? v : [v]).filter(isFlag);
      out.set(hostPort, flags);
    }
    return out;
  }

  readonly reject: RejectInjector = {
    consume: () => {
      if (this.envRejectPending) {
        this.envRejectPending = false;
        return true;
      }
      if (this.dir === undefined) return false;
      try {
        // rmSync without force throws when the file is absent: consuming is the existence check.
        rmSync(join(this.dir, 'reject-next-update'));
        return true;
      } catch {
        return false;
      }
    },
  };
}
