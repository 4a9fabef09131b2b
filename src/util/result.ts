/** A problem found in untrusted input: a JSON-ish path and a human message. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** Results as values at the edges; exceptions are reserved for bugs. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: Problem[] };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(problems: Problem[]): Result<T> => ({ ok: false, problems });

/** `backends[2].port: must be 1..65535, got 70000` */
export const formatProblem = (p: Problem): string => (p.path === '' ? p.message : `${p.path}: ${p.message}`);

/** Builds child paths the way problems print them: `a.b[2].c`. */
export const joinPath = (base: string, key: string | number): string => {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
};
