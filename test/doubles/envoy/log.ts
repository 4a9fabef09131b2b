/** Envoy-style application log (stderr or --log-path, reopened on SIGUSR1) and the test journal. */
import { appendFileSync, closeSync, openSync, writeSync } from 'node:fs';

const ORDER = ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'];
export type Level = 'trace' | 'debug' | 'info' | 'warning' | 'error' | 'critical';

export class Logger {
  private fd: number;
  private readonly min: number;

  constructor(
    private readonly path: string,
    level: string,
  ) {
    this.min = ORDER.indexOf(level);
    this.fd = path === '' ? 2 : openSync(path, 'a');
  }

  log(level: Level, component: string, message: string): void {
    if (ORDER.indexOf(level) < this.min) return;
    const ts = new Date().toISOString().replace('T', ' ').replace('Z', '');
    const line = `[${ts}][${process.pid}][${level}][${component}] [double] ${message}\n`;
    try {
      writeSync(this.fd, line);
    } catch {
      // A closed stderr must not crash the double; Envoy ignores log write errors too.
    }
  }

  info(component: string, message: string): void {
    this.log('info', component, message);
  }
  warn(component: string, message: string): void {
    this.log('warning', component, message);
  }
  critical(component: string, message: string): void {
    this.log('critical', component, message);
  }

  /** SIGUSR1: log rotation tools move the file away and expect a new one at the same path. */
  reopen(): void {
    if (this.path === '') return;
    const old = this.fd;
    this.fd = openSync(this.path, 'a');
    closeSync(old);
  }
}

/** One line per lifecycle event, appended to ENVOY_DOUBLE_JOURNAL: `<ms> epoch=<n> pid=<p> <event> [detail]`. */
export class Journal {
  constructor(
    private readonly path: string | undefined,
    private readonly epoch: number,
  ) {}

  write(event: string, detail = ''): void {
    if (this.path === undefined || this.path === '') return;
    const line = `${Date.now()} epoch=${this.epoch} pid=${process.pid} ${event}${detail === '' ? '' : ` ${detail}`}\n`;
    // O_APPEND writes of one short line are atomic, so several epochs can share one journal.
    appendFileSync(this.path, line);
  }
}
