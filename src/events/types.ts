/** Events the agent reports to the VPSie API. */
export type EventType =
  | 'config_updated'
  | 'config_rejected'
  | 'reload_failed'
  | 'rollback'
  | 'critical_failure'
  | 'agent_started'
  | 'agent_stopping'
  | 'certificate_expiring'
  | 'config_held'
  | 'hold_released'
  | 'agent_config_reloaded'
  | 'agent_config_rejected';

export const EVENT_TYPES: readonly EventType[] = [
  'config_updated',
  'config_rejected',
  'reload_failed',
  'rollback',
  'critical_failure',
  'agent_started',
  'agent_stopping',
  'certificate_expiring',
  'config_held',
  'hold_released',
  'agent_config_reloaded',
  'agent_config_rejected',
];

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [k: string]: JsonValue };

export interface AgentEvent {
  /** Unique per event; sent as Idempotency-Key so a retried delivery can be recognised. */
  readonly id: string;
  readonly type: EventType;
  readonly message: string;
  readonly metadata: Readonly<Record<string, JsonValue>>;
  /** ISO 8601, when the agent recorded it. */
  readonly timestamp: string;
}

/**
 * What the queue should do after a delivery attempt: `sent` removes the event, `retry` keeps it at the head and backs
 * off, `drop` removes it (the API refused this event for good).
 */
export type SendOutcome =
  | { readonly kind: 'sent' }
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'drop'; readonly reason: string };
