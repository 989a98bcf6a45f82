import type { Logger } from 'pino';
import type { Elevate } from '../core/elevate.js';

export interface AuditChainerOptions {
  elevate: Elevate;
  logger: Logger;
  intervalMs: number;
}

// How long one pass waits for the transactions in flight when it began (change transactions
// take milliseconds; one still running after this is linked by a later pass).
const PASS_WAIT_MS = 1000;
// At shutdown: long enough for this instance's last changes, which have all committed by then.
const FINAL_WAIT_MS = 5000;

/**
 * On stores that chain audit records after commit (PostgreSQL), links them into the chain every
 * `intervalMs` (and once at shutdown, so a stopped instance leaves nothing of its own unchained).
 * Every instance runs one: passes on several instances are safe (the chain head's row lock makes
 * them take turns) and let the chain move on while any instance is up. Does nothing on SQLite.
 */
export class AuditChainer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly options: AuditChainerOptions) {}

  start(): void {
    if (!this.options.elevate.ctx.store.auditChain) return;
    this.timer = setInterval(() => void this.runOnce(PASS_WAIT_MS), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    if (this.options.elevate.ctx.store.auditChain) await this.runOnce(FINAL_WAIT_MS);
  }

  runOnce(waitMs: number): Promise<number> {
    this.running ??= this.options.elevate.chainAudit(waitMs)
      .catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'could not link audit records into the chain; retried at the next pass');
        return 0;
      })
      .finally(() => { this.running = undefined; });
    return this.running;
  }
}
