import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * Holds a secret (API key, private key) so that it cannot leak by accident: every way of turning it into text
 * (template strings, JSON, util.inspect, logging) yields `[redacted]`. Only `reveal()` gives the value, and only the
 * code that puts it on the wire should call it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  /** True when `text` contains the secret (used to scrub messages from the outside world). */
  occursIn(text: string): boolean {
    return this.#value.length > 0 && text.includes(this.#value);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
