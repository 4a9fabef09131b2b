/**
 * The compact schema table the checker runs on: what it needs of Envoy's v3 protos and nothing else
 * (fields, json names, oneofs, enums, PGV rules, deprecation flags). Produced by `compile.ts`, stored as
 * JSON by `scripts/gen-envoy-schema.ts`, read back by `load.ts`.
 */

/** Bump when the shape below or the way it is compiled changes; stale files are then ignored. */
export const SCHEMA_FORMAT = 2;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

export type FieldKind = 'scalar' | 'enum' | 'message';

export interface FieldData {
  readonly name: string;
  /** proto3 JSON name (lowerCamelCase) when it differs from `name`. */
  readonly json?: string;
  /** Scalar type (`uint32`, `string`…) or the full name of the message/enum. */
  readonly type: string;
  readonly kind: FieldKind;
  readonly label?: 'repeated' | 'map';
  /** Map key scalar type. */
  readonly keyType?: string;
  /** Index into the message's `oneofs`. */
  readonly oneof?: number;
  /** proto3 `optional`: has presence, so PGV does not check it when absent. */
  readonly optional?: boolean;
  /** `(validate.rules)`: PGV FieldRules as parsed from the proto. */
  readonly rules?: JsonObject;
  readonly deprecated?: boolean;
  /** `(envoy.annotations.disallowed_by_default)`: an error unless a runtime override allows it. */
  readonly disallowed?: boolean;
}

export interface OneofData {
  readonly name: string;
  /** `option (validate.required) = true` on the oneof. */
  readonly required?: boolean;
}

export interface MessageData {
  readonly fields: FieldData[];
  readonly oneofs?: OneofData[];
  /** `option (validate.disabled)` / `(validate.ignored)`: no PGV rules for this message. */
  readonly pgvDisabled?: boolean;
}

export interface EnumData {
  readonly values: Record<string, number>;
  /** Value names marked `(envoy.annotations.disallowed_by_default_enum)`. */
  readonly disallowed?: string[];
}

export interface SchemaData {
  readonly format: number;
  /** Identifies the proto sources the table was compiled from; a mismatch makes the file stale. */
  readonly fingerprint: string;
  readonly messages: Record<string, MessageData>;
  readonly enums: Record<string, EnumData>;
  /** `(udpa.annotations.versioning).previous_message_type` → v3 name, to explain v2 type URLs. */
  readonly previous: Record<string, string>;
  /** Proto files left out because an import is not shipped (e.g. OpenCensus protos). */
  readonly skippedFiles: string[];
}
