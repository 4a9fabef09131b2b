import { stringify } from 'yaml';

/**
 * Deterministic YAML for Envoy: keys in the builders' order, no anchors or aliases, no line folding, and every
 * string value double-quoted. The quoting matters: Envoy's YAML reader turns unquoted `on`, `yes`, `y`, `1e3`…
 * into booleans and numbers, and a name like that would change type.
 */
export function toYaml(doc: object): string {
  return stringify(doc, {
    lineWidth: 0,
    aliasDuplicateObjects: false,
    defaultStringType: 'QUOTE_DOUBLE',
    defaultKeyType: 'PLAIN',
    sortMapEntries: false,
  });
}
