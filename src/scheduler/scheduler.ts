import type { Logger } from 'pino';
import type { Elevate } from '../core/elevate.js';
import type { DueWorkDone } from '../core/use-cases/run-due-jobs.js';

export interface SchedulerOptions {
  elevate: Elevate;
  logger: Logger;
  /** How often due work is looked for. */
  intervalMs: number;
  /** How often the check index picks up grants changed by other instances. */
  refreshMs?: number;
}

// Within the one second a revocation on another instance may take to be honoured here.
const DEFAULT_REFRESH_MS = 500;

/**
 * A small timer around the pure `runDueJobs`: runs it now and then every interval, never two
 * passes at once, and refreshes the authorization index in between.
 */
export class Scheduler {
  private timers: NodeJS.Timeout[] = [];
  private pass: Promise<DueWorkDone | undefined> | undefined;

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    void this.runOnce();
    this.timers.push(setInterval(() => void this.runOnce(), this.options.intervalMs));
    this.timers.push(setInterval(() => {
      this.options.elevate.authorizations.refresh().catch((error: unknown) => this.options.logger.error({ err: error }, 'check index refresh failed'));
    }, this.options.refreshMs ?? DEFAULT_REFRESH_MS));
  }

  runOnce(): Promise<DueWorkDone | undefined> {
    this.pass ??= this.options.elevate.runDueJobs()
      .then((done) => {
        if (Object.values(done).some((n) => n > 0)) this.options.logger.info({ done }, 'scheduler pass');
        return done;
      })
      .catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'scheduler pass failed');
        return undefined;
      })
      .finally(() => { this.pass = undefined; });
    return this.pass;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.pass;
  }
}
