import { Change, type EngineContext } from '../context.js';
import type { Origin } from '../model.js';
import { RefusalSummaries, type Refusal } from '../refusal-summaries.js';

/** Who tried: an account Elevate does not serve (or not yet), where from, and the source floods are counted by. */
export interface RefusedParty {
  /** The account as it came in (`slack:U1@T0OTHER`), or a client address for anonymous API calls. */
  identity: string | null;
  origin: Origin;
  /** What a flood is counted by: a verified token id, else the claimed workspace/tenant or the client address. */
  source: string;
}

/** Reports refused attempts by nobody Elevate knows (strangers, bad tokens): audited, floods summarised. */
export interface RefusalReporter {
  report(party: RefusedParty, refusal: Omit<Refusal, 'source' | 'origin'>): Promise<void>;
}

/**
 * Audits refused attempts of parties who are nobody to Elevate, each in its own transaction (the
 * attempt changed nothing else). Past a small burst per source and kind each minute, attempts are
 * only counted; `flush` audits the counts as `<action>.summary` records.
 */
export class RefusalRecorder implements RefusalReporter {
  private readonly summaries: RefusalSummaries;

  /** Shares the context's summaries (runChange counts identified people's refusals there too), so one flush writes all. */
  constructor(private readonly ctx: EngineContext) {
    ctx.refusals ??= new RefusalSummaries();
    this.summaries = ctx.refusals;
  }

  async report(party: RefusedParty, refusal: Omit<Refusal, 'source' | 'origin'>): Promise<void> {
    const now = this.ctx.clock.now();
    if (!this.summaries.admit({ ...refusal, origin: party.origin, source: party.source }, now)) return;
    await this.ctx.store.transaction(async (tx) => {
      const change = new Change(tx, this.ctx, { kind: 'system', origin: party.origin, ...(party.identity ? { identity: party.identity } : {}) });
      change.audit(refusal.action, refusal.subject, { ...refusal.details, source: party.source });
      await change.flush();
    });
  }

  /** Audits the counts of attempts that were not recorded one by one (all of them at shutdown). */
  async flush(all = false): Promise<void> {
    const summaries = this.summaries.collect(this.ctx.clock.now(), all);
    if (summaries.length === 0) return;
    try {
      await this.ctx.store.transaction(async (tx) => {
        for (const s of summaries) {
          const change = new Change(tx, this.ctx, { kind: 'system', origin: s.origin });
          change.audit(`${s.action}.summary`, s.source, { count: s.count, from: s.from, to: s.to, examples: s.examples });
          await change.flush();
        }
      });
    } catch (error) {
      this.summaries.restore(summaries);
      throw error;
    }
  }
}
