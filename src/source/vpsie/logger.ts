import type { Logger } from '../../log/logger.ts';

/** The logging surface the client and the event queue need (no child loggers): src/log's Logger, narrowed. */
export type MinimalLogger = Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;

export { silentLogger } from '../../log/logger.ts';
