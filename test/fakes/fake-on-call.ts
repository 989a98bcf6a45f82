import type { OnCallAnswer, OnCallDirectory } from '../../src/core/ports.js';
import type { Instant } from '../../src/core/time.js';

/**
 * An OnCallDirectory for core tests: each schedule answers what the test set (people on call,
 * or an error); unknown schedules answer nobody. Records each question.
 */
export class FakeOnCall implements OnCallDirectory {
  private readonly answers = new Map<string, OnCallAnswer>();
  readonly asked: Array<{ schedule: string; at: Instant }> = [];

  set(schedule: string, answer: OnCallAnswer): this {
    this.answers.set(schedule, answer);
    return this;
  }

  async whoIsOnCall(schedule: string, at: Instant): Promise<OnCallAnswer> {
    this.asked.push({ schedule, at });
    return this.answers.get(schedule) ?? { shifts: [] };
  }
}
