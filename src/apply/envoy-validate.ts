// `envoy --mode validate` on the fully static bootstrap: it inlines listeners and clusters, so Envoy checks them too
// (dynamic resources are not validated by that mode). Binds no ports and is safe next to the running epochs.
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { lastLines } from '../envoy/process/supervisor.ts';
import { writeFileAtomic } from '../util/atomic.ts';

export type ValidateOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string };

export async function validateWithEnvoy(options: {
  readonly binaryPath: string;
  /** The static bootstrap file of the generation (its extension tells Envoy the format). */
  readonly staticBootstrap: { readonly path: string; readonly content: string };
  readonly workDir: string;
  readonly name: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}): Promise<ValidateOutcome> {
  await mkdir(options.workDir, { recursive: true, mode: 0o750 });
  const file = join(options.workDir, `validate-${options.name}${extname(options.staticBootstrap.path)}`);
  await writeFileAtomic(file, options.staticBootstrap.content, { mode: 0o640 });
  try {
    return await new Promise<ValidateOutcome>((resolve) => {
      execFile(
        options.binaryPath,
        ['--mode', 'validate', '-c', file],
        {
          env: { ...process.env, ...options.env },
          timeout: options.timeoutMs ?? 60_000,
          maxBuffer: 4 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          if (err === null) {
            resolve({ ok: true });
            return;
          }
          const detail = lastLines(`${stdout}\n${stderr}`) || err.message;
          resolve({ ok: false, error: `envoy --mode validate rejected the configuration: ${detail}` });
        },
      );
    });
  } finally {
    await rm(file, { force: true });
  }
}
