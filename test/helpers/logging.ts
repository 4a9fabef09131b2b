import type { MinimalLogger } from '../../src/source/vpsie/logger.ts';

/** A logger that keeps every line as JSON text, for assertions on what was logged (and what never was). */
export function recordingLogger(): { logger: MinimalLogger; lines: string[] } {
  const lines: string[] = [];
  const rec =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      lines.push(JSON.stringify(typeof obj === 'string' ? { level, msg: obj } : { level, ...obj, msg }));
    };
  return {
    lines,
    logger: { info: rec('info'), warn: rec('warn'), error: rec('error'), debug: rec('debug') },
  };
}
