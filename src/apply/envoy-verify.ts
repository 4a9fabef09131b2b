// Verifying a file-based xDS update on Envoy's own word: update_success advanced, update_rejected did not, and
// /config_dump carries the new version_info. Measured on Envoy 1.40: a DiscoveryResponse whose resources are the
// ones Envoy already runs (only version_info differs) is counted as update_success but does NOT move the dump's
// version_info (LDS keeps the old one). So a kind whose resources did not change may keep its earlier version.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AdminClient, type DynamicVersions, dynamicVersions } from '../envoy/admin/client.ts';
import type { XdsFilePaths } from '../envoy/build/names.ts';
import { errorMessage } from '../util/errors.ts';
import type { Generation } from './types.ts';

export const STAT_FILTER = '^(cluster_manager\\.cds|listener_manager\\.lds)\\.update_(success|rejected)$';
const KINDS = {
  clusters: { stat: 'cluster_manager.cds', path: 'clusters' },
  listeners: { stat: 'listener_manager.lds', path: 'listeners' },
} as const;
export type Kind = keyof typeof KINDS;

/** What Envoy reported before the files moved, and which kinds' resources the move changes. */
export interface DynamicBaseline {
  readonly stats: ReadonlyMap<string, number>;
  readonly versions: DynamicVersions;
  readonly changed: ReadonlySet<Kind>;
}

/** A DiscoveryResponse file without its version_info line: equal text means equal resources. */
const resourcesOf = (content: string): string => content.replace(/^version_info:.*\n/m, '');

/** Reads Envoy's counters and versions, and compares the generation's xDS files with those on disk. */
export async function dynamicBaseline(
  admin: AdminClient,
  generation: Generation,
  paths: XdsFilePaths,
): Promise<DynamicBaseline> {
  const stats = await admin.statsFiltered(STAT_FILTER);
  const versions = dynamicVersions(await admin.configDump());
  const changed = new Set<Kind>();
  for (const kind of Object.keys(KINDS) as Kind[]) {
    const path = paths[KINDS[kind].path];
    const next = generation.files.find((f) => f.path === path)?.content;
    const live = await readFile(path, 'utf8').catch(() => undefined);
    if (next !== undefined && (live === undefined || resourcesOf(live) !== resourcesOf(next)))
      changed.add(kind);
  }
  return { stats, versions, changed };
}

/**
 * The moved files were taken: for each replaced kind whose resources changed, update_success advanced and the dump
 * shows `hash`; an unchanged kind may keep its earlier version. Any update_rejected increase fails at once.
 * Returns the failure, or undefined when verified.
 */
export async function verifyDynamic(
  admin: AdminClient,
  hash: string,
  replacedKinds: readonly Kind[],
  baseline: DynamicBaseline,
  timeoutMs: number,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer from admin';
  while (Date.now() < deadline) {
    try {
      const stats = await admin.statsFiltered(STAT_FILTER);
      for (const kind of replacedKinds) {
        const name = `${KINDS[kind].stat}.update_rejected`;
        const before = baseline.stats.get(name) ?? 0;
        if ((stats.get(name) ?? 0) > before) {
          return `Envoy rejected the ${kind} update (${name} ${before} → ${stats.get(name)})`;
        }
      }
      const changed = replacedKinds.filter((k) => baseline.changed.has(k));
      const advanced = changed.every((kind) => {
        const name = `${KINDS[kind].stat}.update_success`;
        return (stats.get(name) ?? 0) > (baseline.stats.get(name) ?? 0);
      });
      const versions = dynamicVersions(await admin.configDump());
      const current = replacedKinds.every((kind) =>
        baseline.changed.has(kind)
          ? versions[kind] === hash
          : versions[kind] === hash || versions[kind] === baseline.versions[kind],
      );
      if (advanced && current) return undefined;
      last = `update_success advanced: ${advanced}; config_dump versions: clusters ${short(versions.clusters)}, listeners ${short(versions.listeners)}`;
    } catch (err) {
      last = errorMessage(err);
    }
    await sleep(100);
  }
  return `Envoy did not confirm the update within ${timeoutMs} ms (${last})`;
}

/**
 * After the previous files were moved back: each kind shows the restored `hash`, or still the version it had
 * before the failed transaction (Envoy rejected the change, or the kind was unchanged: same resources either way).
 */
export async function confirmRestored(
  admin: AdminClient,
  hash: string,
  before: DynamicVersions | undefined,
  timeoutMs: number,
): Promise<{ restored: boolean; restoreError?: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const v = dynamicVersions(await admin.configDump());
      const ok = (kind: Kind) => v[kind] === hash || (before !== undefined && v[kind] === before[kind]);
      if (ok('clusters') && ok('listeners')) return { restored: true };
      last = `config_dump versions: clusters ${short(v.clusters)}, listeners ${short(v.listeners)}`;
    } catch (err) {
      last = errorMessage(err);
    }
    await sleep(100);
  }
  return {
    restored: false,
    restoreError: `Envoy did not take the restored files back within ${timeoutMs} ms (${last})`,
  };
}

export const kindsReplaced = (replaced: readonly string[], paths: XdsFilePaths): Kind[] =>
  (Object.keys(KINDS) as Kind[]).filter((k) => replaced.includes(paths[KINDS[k].path]));

const short = (hash: string | undefined): string => (hash === undefined ? 'none' : hash.slice(0, 12));
