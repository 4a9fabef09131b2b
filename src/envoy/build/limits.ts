/** Fixed limits from Envoy's edge-proxy best practices. */

/** Listener and cluster per-connection buffer limit (the edge page's 32 KiB). */
export const CONNECTION_BUFFER_LIMIT_BYTES = 32 * 1024;

/** HTTP/2 downstream limits (edge page): 100 streams, 64 KiB stream window, 1 MiB connection window. */
export const HTTP2_MAX_CONCURRENT_STREAMS = 100;
export const HTTP2_INITIAL_STREAM_WINDOW_SIZE = 64 * 1024;
export const HTTP2_INITIAL_CONNECTION_WINDOW_SIZE = 1024 * 1024;

/** Seconds. Used when the spec leaves a timeout undefined. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 3600;
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 300;
export const STREAM_IDLE_TIMEOUT_SECONDS = 300;
export const REQUEST_HEADERS_TIMEOUT_SECONDS = 10;

/** Overload manager: how often monitors are sampled, and the heap thresholds of its actions. */
export const OVERLOAD_REFRESH_INTERVAL_SECONDS = 0.25;
export const SHRINK_HEAP_THRESHOLD = 0.95;
export const STOP_ACCEPTING_REQUESTS_THRESHOLD = 0.98;

export const CIRCUIT_BREAKER_MAX_RETRIES = 3;
