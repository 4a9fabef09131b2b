/**
 * Hand-written types for exactly the Envoy v3 subset the agent emits, in proto3 JSON form: field names are the
 * proto's snake_case names so a misspelt field fails to compile, typed_config objects are discriminated by their
 * literal `@type`, durations are `${number}s` strings.
 */
export type * from './bootstrap.ts';
export type * from './cluster.ts';
export type * from './core.ts';
export type * from './discovery.ts';
export type * from './http.ts';
export type * from './listener.ts';
export type * from './tls.ts';
export { EXTENSION, TYPE_URL, type TypeUrls } from './typeUrls.ts';
