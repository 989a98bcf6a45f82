import type { HookEvent } from '../../src/core/hooks.js';
import type { HookCallResult, HookPort } from '../../src/core/ports.js';

/**
 * A HookPort that records every call and answers from a queue: `failNext` queues failures
 * (retryable unless `permanent`), after which calls succeed.
 */
export class RecordingHooks implements HookPort {
  readonly platform = 'hook' as const;
  readonly calls: Array<{ hook: string; event: HookEvent }> = [];
  private answers: HookCallResult[] = [];
  /** Every call fails (retryably) while true. */
  failing = false;

  failNext(count: number, result: Partial<HookCallResult> = {}): void {
    for (let i = 0; i < count; i++) this.answers.push({ ok: false, permanent: false, status: 503, error: 'HTTP 503', ...result });
  }

  async call(hook: string, event: HookEvent): Promise<HookCallResult> {
    this.calls.push({ hook, event });
    if (this.failing) return { ok: false, permanent: false, status: 503, error: 'HTTP 503' };
    return this.answers.shift() ?? { ok: true, permanent: false, status: 200 };
  }

  eventIds(): string[] {
    return this.calls.map((c) => c.event.id);
  }
}
