/** One look at where the spec comes from. The body is untrusted text: the spec layer parses and validates it. */
export type SourceFetch =
  | { readonly kind: 'document'; readonly text: string; readonly etag?: string }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'error'; readonly message: string; readonly retryable: boolean };

export interface SpecSource {
  /** Human name for logs and /status: the file path or the API URL (never the key). */
  readonly description: string;
  fetch(): Promise<SourceFetch>;
  /** Calls `listener` when the source knows it changed (a file watch); returns an unsubscribe function. */
  watch?(listener: () => void): () => void;
}
