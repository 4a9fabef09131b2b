/**
 * Path-based certificate items become agent-owned copies: after the material is read and checked, the spec's
 * path sources are swapped for the content that was checked, so the renderer writes content-addressed files
 * into the certificate directory and Envoy never reads the operator's files (which it would pick up, broken or
 * not, the moment they are replaced). Also remembers what was last accepted per file, so a bad replacement is
 * reported as one.
 */
import { createHash } from 'node:crypto';
import type { TlsConfig, TlsSource } from '../spec/types.ts';
import type { Problem } from '../util/result.ts';
import type { TlsMaterial, TlsMaterialPaths } from './check.ts';

type Item = 'certificate' | 'privateKey' | 'ca';

const WHAT: Readonly<Record<Item, string>> = {
  certificate: 'certificate file',
  privateKey: 'private key file',
  ca: 'CA certificate file',
};

/** The config with every item inline, holding exactly the checked content. */
export function inlineTlsSources(tls: TlsConfig, material: TlsMaterial): TlsConfig {
  const inline = (pem: string): TlsSource => ({ kind: 'inline', pem });
  return {
    ...tls,
    certificate: inline(material.certificatePem),
    privateKey: inline(material.privateKeyPem),
    ...(tls.ca !== undefined && material.caPem !== undefined ? { ca: inline(material.caPem) } : {}),
  };
}

/** The path items of a config: which file each item comes from. */
function pathItems(tls: TlsConfig): { item: Item; file: string }[] {
  const out: { item: Item; file: string }[] = [];
  const add = (item: Item, src: TlsSource | undefined) => {
    if (src?.kind === 'path') out.push({ item, file: src.path });
  };
  add('certificate', tls.certificate);
  add('privateKey', tls.privateKey);
  add('ca', tls.ca);
  return out;
}

function contentOf(material: TlsMaterial | undefined, item: Item): string | undefined {
  if (material === undefined) return undefined;
  if (item === 'certificate') return material.certificatePem;
  if (item === 'privateKey') return material.privateKeyPem;
  return material.caPem;
}

const digestOf = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Digests (never contents) of the path-based files last accepted. One instance per agent; without one the
 * pipeline still rejects bad files, it just cannot tell a replacement from a first look.
 */
export class AcceptedTlsFiles {
  #digests = new Map<string, string>();

  /** Remembers the files of an accepted config (forgetting files the config no longer names). */
  accept(tls: TlsConfig, material: TlsMaterial): void {
    this.acceptAll([{ tls, material }]);
  }

  /** Every certificate item of an accepted document at once. */
  acceptAll(items: readonly { readonly tls: TlsConfig; readonly material: TlsMaterial }[]): void {
    const next = new Map<string, string>();
    for (const { tls, material } of items) {
      for (const { item, file } of pathItems(tls)) {
        const content = contentOf(material, item);
        if (content !== undefined) next.set(file, digestOf(content));
      }
    }
    this.#digests = next;
  }

  /** True when `file` was accepted before and now reads differently (or not at all). */
  replaced(file: string, content: string | undefined): boolean {
    const before = this.#digests.get(file);
    if (before === undefined) return false;
    return content === undefined || digestOf(content) !== before;
  }
}

/**
 * Problems about path items name the file (the check itself only knows the spec path), and each file that was
 * accepted before and has changed since is called out first: the operator replaced it with something unusable,
 * and the last good certificate keeps serving. `material` is undefined when reading failed.
 */
export function explainPathProblems(
  tls: TlsConfig,
  paths: TlsMaterialPaths,
  problems: readonly Problem[],
  material: TlsMaterial | undefined,
  accepted: AcceptedTlsFiles | undefined,
): Problem[] {
  const items = pathItems(tls);
  const specPath: Readonly<Record<Item, string>> = paths;
  const named = problems.map((p) => {
    const it = items.find((i) => specPath[i.item] === p.path);
    // readTlsSources' own messages already start with `file <path>`.
    if (it === undefined || p.message.startsWith(`file ${it.file} `)) return p;
    return { path: p.path, message: `file ${it.file}: ${p.message}` };
  });
  // Without material (a read failed) only the items that could not be read are known to have changed.
  const failed = (i: { item: Item }) => problems.some((p) => p.path === specPath[i.item]);
  const replaced: Problem[] = items
    .filter((i) => material !== undefined || failed(i))
    .filter((i) => accepted?.replaced(i.file, contentOf(material, i.item)))
    .map((i) => ({
      path: specPath[i.item],
      message: `the ${WHAT[i.item]} ${i.file} was replaced with something unusable (problems below); the last good certificate keeps serving`,
    }));
  return [...replaced, ...named];
}
