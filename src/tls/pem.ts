/**
 * A strict PEM armour scanner. Text outside the armour is allowed (tools add it); inside, only RFC 7468
 * base64 is. It never echoes block contents in its messages: a private key must not leak through an error.
 */

export interface PemBlock {
  /** 1-based position among all blocks of the item, as problems print it. */
  readonly index: number;
  /** The armour label: `CERTIFICATE`, `PRIVATE KEY`, … */
  readonly label: string;
  /** RFC 1421 encapsulated headers (`Proc-Type: 4,ENCRYPTED`) were present. */
  readonly hasHeaders: boolean;
  readonly der: Buffer;
}

export type PemScan =
  | { readonly ok: true; readonly blocks: readonly PemBlock[] }
  | { readonly ok: false; readonly index: number; readonly label: string; readonly reason: string };

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----$/;
const END = /^-----END ([A-Z0-9 ]+)-----$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;
const HEADER_LINE = /^[A-Za-z0-9-]+:/;

export function scanPem(text: string): PemScan {
  const lines = text.split(/\r?\n/);
  const blocks: PemBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const begin = BEGIN.exec((lines[i] ?? '').trim());
    i += 1;
    if (!begin) {
      const orphan = END.exec((lines[i - 1] ?? '').trim());
      if (orphan) {
        const label = orphan[1] ?? '';
        return {
          ok: false,
          index: blocks.length + 1,
          label,
          reason: 'truncated: END line without BEGIN line',
        };
      }
      continue;
    }
    const label = begin[1] ?? '';
    const index = blocks.length + 1;
    const body: string[] = [];
    let hasHeaders = false;
    let ended = false;
    while (i < lines.length) {
      const line = (lines[i] ?? '').trim();
      i += 1;
      const end = END.exec(line);
      if (end) {
        if (end[1] !== label) {
          return { ok: false, index, label, reason: `END line says ${end[1]}, BEGIN said ${label}` };
        }
        ended = true;
        break;
      }
      if (BEGIN.test(line)) return { ok: false, index, label, reason: 'truncated: no END line' };
      if (HEADER_LINE.test(line) && body.length === 0) {
        hasHeaders = true;
        continue;
      }
      if (line === '') continue;
      if (!BASE64_LINE.test(line)) return { ok: false, index, label, reason: 'garbled base64' };
      body.push(line);
    }
    if (!ended) return { ok: false, index, label, reason: 'truncated: no END line' };
    const b64 = body.join('');
    // Padding may only close the body, and the body must be whole 4-character groups.
    if (b64.length === 0 || b64.length % 4 !== 0 || /=[^=]/.test(b64)) {
      return { ok: false, index, label, reason: 'garbled base64 (bad length or padding)' };
    }
    blocks.push({ index, label, hasHeaders, der: Buffer.from(b64, 'base64') });
  }
  return { ok: true, blocks };
}
