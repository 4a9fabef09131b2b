// Terminal output for the operator commands: colour only on a TTY (and never with NO_COLOR), 80 columns.
export interface Style {
  readonly ok: (s: string) => string;
  readonly bad: (s: string) => string;
  readonly warn: (s: string) => string;
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
}

const wrap =
  (open: number, close: number) =>
  (s: string): string =>
    `\x1b[${open}m${s}\x1b[${close}m`;

export const plain: Style = { ok: (s) => s, bad: (s) => s, warn: (s) => s, bold: (s) => s, dim: (s) => s };
export const colour: Style = {
  ok: wrap(32, 39),
  bad: wrap(31, 39),
  warn: wrap(33, 39),
  bold: wrap(1, 22),
  dim: wrap(2, 22),
};

export function styleFor(stream: NodeJS.WriteStream): Style {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return stream.isTTY === true && !noColor ? colour : plain;
}

export const WIDTH = 80;

/** Cuts a line to `width` visible characters (colour codes do not count), ending in `…` when cut. */
export function fit(line: string, width = WIDTH): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are what is skipped
  const visible = line.replace(/\x1b\[\d+m/g, '');
  if (visible.length <= width) return line;
  let out = '';
  let shown = 0;
  for (let i = 0; i < line.length && shown < width - 1; ) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: see above
    const code = /^\x1b\[\d+m/.exec(line.slice(i));
    if (code) {
      out += code[0];
      i += code[0].length;
    } else {
      out += line[i];
      i++;
      shown++;
    }
  }
  return `${out}…${line.includes('\x1b[') ? '\x1b[0m' : ''}`;
}

export const short = (hash: string | null | undefined): string =>
  hash === null || hash === undefined ? 'none' : hash.slice(0, 12);

/** 2026-01-02T03:04:05.678Z → 2026-01-02 03:04:05 (UTC). */
export const when = (iso: string | undefined): string =>
  iso === undefined ? '-' : iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}
