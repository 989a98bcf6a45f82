import type { Logger } from 'pino';
import type { Elevate } from '../core/elevate.js';
import { addSeconds } from '../core/time.js';
import type { DueWorkDone } from '../core/use-cases/run-due-jobs.js';
import type { LeaseStore } from '../store/leases.js';

export interface SchedulerOptions {
  elevate: Elevate;
  logger: Logger;
  /** How often due work is looked for. */
  intervalMs: number;
  /** How often the check index picks up grants changed by other instances. */
  refreshMs?: number;
  /**
   * With several instances on one database: the pass runs under the lease `scheduler`, so one
   * instance at a time does it; `owner` names this instance. Without, every pass runs.
   */
  leases?: { store: LeaseStore; owner: string; leaseSeconds?: number };
}

// Within the one second a revocation on another instance may take to be honoured here.
const DEFAULT_REFRESH_MS = 500;
// A crashed instance's pass is taken over this long after its last renewal at most; a pass renews
// its lease every third of it, so a slow pass (10,000 expiries take about 2 s) keeps it.
const DEFAULT_LEASE_SECONDS = 60;
const LEASE_NAME = 'scheduler';
// The check index is compared with the database this often (ids only), bounding what a missed
// change could cost.
const RECONCILE_MS = 30_000;

/**
 * A small timer around the pure `runDueJobs`: runs it now and then every interval, never two
 * passes at once (across instances too, with `leases`), and refreshes the authorization index in
 * between. Each due item is also a compare-and-set in the core, so a pass run twice (a lease
 * taken over from an instance that was only slow) still does each item once.
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
    this.timers.push(setInterval(() => {
      this.options.elevate.authorizations.reconcile().catch((error: unknown) => this.options.logger.error({ err: error }, 'check index reconcile failed'));
    }, RECONCILE_MS));
  }

  /** One pass, unless one is running here or (with leases) on another instance: then undefined. */
  runOnce(): Promise<DueWorkDone | undefined> {
    this.pass ??= this.leased(() => this.options.elevate.runDueJobs())
      .then((done) => {
        if (done && Object.values(done).some((n) => n > 0)) this.options.logger.info({ done }, 'scheduler pass');
        return done;
      })
      .catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'scheduler pass failed');
        return undefined;
      })
      .finally(() => { this.pass = undefined; });
    return this.pass;
  }

  /** Runs `work` holding the scheduler lease (renewed meanwhile), or not at all if another instance holds it. */
  private async leased<T>(work: () => Promise<T>): Promise<T | undefined> {
    const leases = this.options.leases;
    if (!leases) return work();
    const seconds = leases.leaseSeconds ?? DEFAULT_LEASE_SECONDS;
    const clock = this.options.elevate.ctx.clock;
    const take = () => {
      const now = clock.now();
      return leases.store.takeLease(LEASE_NAME, leases.owner, now, addSeconds(now, seconds));
    };
    if (!(await take())) return undefined;
    const renewal = setInterval(() => {
      take().then((held) => {
        if (!held) this.options.logger.warn({ owner: leases.owner }, 'scheduler lease lost during a pass; items stay compare-and-set');
      }, (error: unknown) => this.options.logger.warn({ err: error }, 'scheduler lease renewal failed'));
    }, (seconds * 1000) / 3);
    try {
      return await work();
    } finally {
      clearInterval(renewal);
      await leases.store.releaseLease(LEASE_NAME, leases.owner)
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'scheduler lease release failed'));
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.pass;
  }
}
