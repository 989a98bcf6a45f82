import { parseOnCallSchedule } from '../core/on-call.js';
import type { OnCallAnswer, OnCallDirectory } from '../core/ports.js';
import type { Instant } from '../core/time.js';
import { opsgenieOnCall, type OpsgenieOptions } from './opsgenie.js';
import { pagerDutyOnCall, type PagerDutyOptions } from './pagerduty.js';

/** Answers are reused this long at most (issue 15): a shift change shows within a minute. */
export const ON_CALL_CACHE_MS = 60_000;
// Schedules come from policies (at most 10 each); this only stops a leak if something else grows.
const MAX_CACHED = 1000;

/**
 * The OnCallDirectory of src/core/ports.ts over PagerDuty and Opsgenie: routes a schedule to its
 * provider, reuses a successful answer for up to a minute (failures are asked again next time),
 * and shares one call among requests asking at once. A provider without credentials answers
 * that it is not configured.
 */
export class ProviderOnCallDirectory implements OnCallDirectory {
  private readonly cache = new Map<string, { at: number; answer: Promise<OnCallAnswer> }>();

  constructor(
    private readonly providers: { pagerduty?: PagerDutyOptions; opsgenie?: OpsgenieOptions },
    private readonly now: () => number = Date.now,
  ) {}

  whoIsOnCall(schedule: string, at: Instant): Promise<OnCallAnswer> {
    const cached = this.cache.get(schedule);
    if (cached && this.now() - cached.at < ON_CALL_CACHE_MS) return cached.answer;
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    const answer = this.ask(schedule, at).catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
    this.cache.set(schedule, { at: this.now(), answer });
    void answer.then((result) => {
      if ('error' in result && this.cache.get(schedule)?.answer === answer) this.cache.delete(schedule);
    });
    return answer;
  }

  private async ask(schedule: string, at: Instant): Promise<OnCallAnswer> {
    let parsed;
    try {
      parsed = parseOnCallSchedule(schedule);
    } catch (error) {
      return { error: (error as Error).message };
    }
    if (parsed.provider === 'pagerduty') {
      if (!this.providers.pagerduty) return { error: 'is not configured (PAGERDUTY_TOKEN)' };
      return pagerDutyOnCall(this.providers.pagerduty, parsed.kind, parsed.id, at);
    }
    if (!this.providers.opsgenie) return { error: 'is not configured (OPSGENIE_API_KEY)' };
    return opsgenieOnCall(this.providers.opsgenie, parsed.kind, parsed.id, at);
  }
}
