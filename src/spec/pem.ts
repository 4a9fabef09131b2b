/**
 * PEM armour check (RFC 7468 shape only; the material itself is checked later by the TLS layer). Hand-written
 * with indexOf so that hostile input cannot make it slow. Messages name block labels, never contents.
 */

export const KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'] as const;

interface Block {
  readonly label: string;
}

const BEGIN = '-----BEGIN ';
const DASHES = '-----';
const LABEL = /^[A-Z0-9]+(?: [A-Z0-9]+)*$/;

/** A base64 body: base64 characters and whitespace, with something in it. */
function isBase64Body(s: string): boolean {
  let chars = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const b64 =
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      (c >= 48 && c <= 57) ||
      c === 43 ||
      c === 47 ||
      c === 61;
    if (b64) chars++;
    else if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return chars > 0;
}

/** The armoured blocks of `text`, or a problem. Text outside the blocks is allowed. */
function scanBlocks(text: string): { blocks: Block[] } | { problem: string } {
  const blocks: Block[] = [];
  let at = 0;
  for (;;) {
    const begin = text.indexOf(BEGIN, at);
    if (begin < 0) break;
    const labelStart = begin + BEGIN.length;
    const labelEnd = text.indexOf(DASHES, labelStart);
    const label = labelEnd < 0 ? '' : text.slice(labelStart, labelEnd);
    if (labelEnd < 0 || label.length > 64 || !LABEL.test(label)) {
      return { problem: `PEM block ${blocks.length + 1} has a malformed BEGIN line` };
    }
    const endLine = `-----END ${label}-----`;
    const bodyStart = labelEnd + DASHES.length;
    const end = text.indexOf(endLine, bodyStart);
    if (end < 0) return { problem: `PEM block ${blocks.length + 1} (${label}) has no matching END line` };
    const body = text.slice(bodyStart, end);
    if (body.includes(DASHES) || !isBase64Body(body)) {
      return { problem: `PEM block ${blocks.length + 1} (${label}) does not hold base64 data` };
    }
    blocks.push({ label });
    at = end + endLine.length;
  }
  return { blocks };
}

/** Why `text` is not a certificate (or chain) in PEM, or undefined. */
export function certificatePemProblem(text: string): string | undefined {
  const scan = scanBlocks(text);
  if ('problem' in scan) return scan.problem;
  if (scan.blocks.length === 0) return 'must hold at least one PEM block "-----BEGIN CERTIFICATE-----"';
  const other = scan.blocks.findIndex((b) => b.label !== 'CERTIFICATE');
  if (other >= 0) {
    return `must hold only CERTIFICATE blocks, but block ${other + 1} is ${scan.blocks[other]!.label}`;
  }
  return undefined;
}

/**
 * Why `text` is not one private key in PEM, or undefined. Exactly one key block (PRIVATE KEY, RSA PRIVATE KEY,
 * EC PRIVATE KEY); the EC PARAMETERS block `openssl ecparam -genkey` puts in front is tolerated; nothing else.
 */
export function privateKeyPemProblem(text: string): string | undefined {
  const scan = scanBlocks(text);
  if ('problem' in scan) return scan.problem;
  let keys = 0;
  for (const [i, b] of scan.blocks.entries()) {
    if ((KEY_LABELS as readonly string[]).includes(b.label)) keys++;
    else if (b.label !== 'EC PARAMETERS') {
      return `block ${i + 1} is ${b.label}; a private key must be PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY`;
    }
  }
  if (keys === 0) return 'must hold a PEM private key block ("-----BEGIN PRIVATE KEY-----")';
  if (keys > 1) return `must hold exactly one private key block, found ${keys}`;
  return undefined;
}
