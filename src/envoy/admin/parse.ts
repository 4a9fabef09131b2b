/** Parse-at-the-edge for admin API bodies (proto3 JSON: defaults omitted, 64-bit ints as strings). */
import { z } from 'zod';

const u64 = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]).transform((v) => String(v));
const num = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);

/** `"600s"`, `"0.250s"` → seconds. */
export const durationSeconds = z
  .string()
  .regex(/^-?\d+(\.\d+)?s$/, 'a proto3 JSON Duration like "600s"')
  .transform((s) => Number(s.slice(0, -1)));

export const ServerInfoJson = z.object({
  version: z.string(),
  state: z.string(),
  hot_restart_version: z.string().optional(),
  uptime_current_epoch: durationSeconds.optional(),
  uptime_all_epochs: durationSeconds.optional(),
  command_line_options: z
    .object({
      base_id: u64.optional(),
      restart_epoch: z.number().int().nonnegative().optional(),
      concurrency: z.number().int().optional(),
      drain_time: durationSeconds.optional(),
      parent_shutdown_time: durationSeconds.optional(),
      drain_strategy: z.string().optional(),
      mode: z.string().optional(),
      disable_hot_restart: z.boolean().optional(),
      config_path: z.string().optional(),
    })
    .optional(),
  node: z.object({ id: z.string().optional(), cluster: z.string().optional() }).optional(),
});

export const StatsJson = z.object({
  stats: z.array(
    z.union([
      z.object({ name: z.string(), value: z.union([z.number(), z.string()]) }),
      z.object({ histograms: z.unknown() }),
    ]),
  ),
});

const SocketAddress = z.object({
  address: z.string(),
  port_value: num.optional(),
});
const Address = z.object({
  socket_address: SocketAddress.optional(),
  pipe: z.object({ path: z.string() }).optional(),
});

export const ClustersJson = z.object({
  cluster_statuses: z
    .array(
      z.object({
        name: z.string(),
        added_via_api: z.boolean().optional(),
        host_statuses: z
          .array(
            z.object({
              address: Address,
              stats: z.array(z.object({ name: z.string(), value: num.optional() })).optional(),
              health_status: z.record(z.string(), z.union([z.boolean(), z.string()])).optional(),
              weight: z.number().int().optional(),
              hostname: z.string().optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
});

export const ConfigDumpJson = z.object({
  configs: z.array(z.record(z.string(), z.unknown())).optional(),
});

export const ListenersJson = z.object({
  listener_statuses: z.array(z.object({ name: z.string(), local_address: Address.optional() })).optional(),
});

export type ServerInfoJsonT = z.infer<typeof ServerInfoJson>;
export type ClustersJsonT = z.infer<typeof ClustersJson>;

/** `issue at path: message; …`, short enough for a log line. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length === 0 ? '(root)' : i.path.join('.')}: ${i.message}`)
    .join('; ');
}
