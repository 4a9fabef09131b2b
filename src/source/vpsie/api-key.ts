import { open } from 'node:fs/promises';
import { fail, ok, type Result } from '../../util/result.ts';
import { Secret } from '../../util/secret.ts';

const MAX_KEY_FILE_BYTES = 64 * 1024;

export type ApiKeyRead = Result<Secret> & { readonly warnings: readonly string[] };

const problem = (file: string, message: string): ApiKeyRead => ({
  ...fail<Secret>([{ path: file, message }]),
  warnings: [],
});

/**
 * Reads the API key: trimmed, non-empty, one header-safe token. Warns (returned, not logged) when the file is
 * accessible by group or others. Error messages name the file, never its content.
 */
export async function readApiKey(file: string): Promise<ApiKeyRead> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    return problem(file, `cannot open API key file (${code})`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return problem(file, 'API key file is not a regular file');
    if (st.size > MAX_KEY_FILE_BYTES)
      return problem(file, `API key file is larger than ${MAX_KEY_FILE_BYTES} bytes`);
    const text = (await handle.readFile({ encoding: 'utf8' })).trim();
    if (text === '') return problem(file, 'API key file is empty');
    // Only visible ASCII: anything else would not survive as an HTTP header (and suggests the wrong file).
    if (!/^[\x21-\x7e]+$/.test(text)) {
      return problem(file, 'API key must be a single token of visible ASCII characters');
    }
    const warnings: string[] = [];
    const mode = st.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      warnings.push(
        `${file}: API key file is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 it`,
      );
    }
    return { ...ok(new Secret(text)), warnings };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    return problem(file, `cannot read API key file (${code})`);
  } finally {
    await handle.close();
  }
}
