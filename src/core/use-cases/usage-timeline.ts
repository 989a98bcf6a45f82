import type { EngineContext } from '../context.js';
import { InvalidInputError, NotAllowedError } from '../errors.js';
import { seesEverything } from '../groups.js';
import type { Actor } from '../ports.js';
import { percentile } from '../report.js';
import { secondsBetween, toInstant, toMillis, type Instant } from '../time.js';
import type { UsageQuery } from './usage-report.js';
import { targetKey } from '../targets.js';

// Reports read whole periods; this bounds one report's memory (as the usage report does).
const MAX_ROWS = 1_000_000;
const DAY_MS = 86_400_000;
// A chart of more days than this is unreadable; longer periods are drawn by week.
const MAX_DAILY_BUCKETS = 92;

/** One bucket (a UTC day or week) of the period: what was asked and how it was decided. */
export interface UsageBucket {
  start: Instant;
  requests: number;
  approved: number;
  autoApproved: number;
  denied: number;
  expired: number;
  cancelled: number;
  /** Median seconds from request to a person's decision, for requests of the bucket; null when none. */
  medianSecondsToDecision: number | null;
}

export interface UsageTimeline {
  from: Instant;
  to: Instant;
  bucket: 'day' | 'week';
  buckets: UsageBucket[];
}

/** Requests and decisions over time (by the day each request was made), for admins and auditors. */
export async function usageTimeline(ctx: EngineContext, actor: Actor, query: UsageQuery): Promise<UsageTimeline> {
  const fromMs = toMillis(query.from);
  const toMs = toMillis(query.to);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs) || fromMs >= toMs) {
    throw new InvalidInputError('the report period needs a valid start before its end', { field: 'period' });
  }
  return ctx.store.read(async (tx) => {
    if (!(await seesEverything(tx, actor))) throw new NotAllowedError('only admins and auditors may see usage reports');
    let policies = await tx.listPolicies();
    if (query.target) policies = policies.filter((p) => targetKey(p.target.name) === targetKey(query.target!));
    const requests = await tx.listRequests({ createdFrom: query.from, createdTo: query.to, policyIds: policies.map((p) => p.id), limit: MAX_ROWS });
    const start = Math.floor(fromMs / DAY_MS) * DAY_MS;
    const size = (toMs - start) / DAY_MS > MAX_DAILY_BUCKETS ? 7 * DAY_MS : DAY_MS;
    const count = Math.max(1, Math.ceil((toMs - start) / size));
    const buckets = Array.from({ length: count }, (_, i) => ({
      start: toInstant(start + i * size), requests: 0, approved: 0, autoApproved: 0, denied: 0, expired: 0, cancelled: 0, times: [] as number[],
    }));
    for (const request of requests) {
      const bucket = buckets[Math.min(count - 1, Math.floor((toMillis(request.createdAt) - start) / size))];
      if (!bucket) continue;
      bucket.requests += 1;
      if (request.status === 'approved') bucket[request.decidedBy === null ? 'autoApproved' : 'approved'] += 1;
      if (request.status === 'denied' || request.status === 'expired' || request.status === 'cancelled') bucket[request.status] += 1;
      if (request.decidedBy !== null && request.decidedAt && (request.status === 'approved' || request.status === 'denied')) {
        bucket.times.push(secondsBetween(request.createdAt, request.decidedAt));
      }
    }
    return {
      from: query.from, to: query.to, bucket: size === DAY_MS ? 'day' : 'week',
      buckets: buckets.map(({ times, ...rest }) => ({ ...rest, medianSecondsToDecision: percentile(times.sort((a, b) => a - b), 0.5) })),
    };
  });
}
