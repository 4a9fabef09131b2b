import { open } from 'node:fs/promises';
import { MAX_SPEC_BYTES } from '../source/file-source.ts';
import { errorMessage } from '../util/errors.ts';

/** Reads a spec from a file, or standard input for `-`, refusing anything over the API's size cap. */
export async function readSpecInput(
  name: string,
): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
  try {
    if (name === '-') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of process.stdin) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
        size += buffer.length;
        if (size > MAX_SPEC_BYTES)
          return { ok: false, error: `standard input: larger than ${MAX_SPEC_BYTES} bytes` };
        chunks.push(buffer);
      }
      return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
    }
    const handle = await open(name, 'r');
    try {
      const info = await handle.stat();
      if (!info.isFile()) return { ok: false, error: `${name}: not a regular file` };
      if (info.size > MAX_SPEC_BYTES)
        return { ok: false, error: `${name}: larger than ${MAX_SPEC_BYTES} bytes` };
      return { ok: true, text: await handle.readFile('utf8') };
    } finally {
      await handle.close();
    }
  } catch (err) {
    return { ok: false, error: `${name}: ${errorMessage(err)}` };
  }
}
