import type { AccessRequest, Grant, Policy } from './model.js';
import { secondsBetween, type Instant } from './time.js';

export interface PolicyUsage {
  target: string;
  requests: number;
  approved: number;
  autoApproved: number;
  denied: number;
  expired: number;
  cancelled: number;
  pending: number;
  revoked: number;
  /** Grants given back early by their holder ("I'm done"). */
  relinquished: number;
  /** Grants whose provisioning (start) hook failed for good. */
  failed: number;
  /** Seconds from request to a person's decision; null when nobody decided. */
  medianSecondsToDecision: number | null;
  p90SecondsToDecision: number | null;
  topRequesters: Array<{ principal: string; requests: number }>;
  activeGrantsNow: number;
}

export interface UsageReport {
  from: Instant;
  to: Instant;
  policies: PolicyUsage[];
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(fraction * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * Usage per policy over [from, to): what was requested and how it was decided, how long people
 * waited for a decision, who asks most, and who holds access now.
 */
export function buildUsageReport(input: {
  from: Instant;
  to: Instant;
  now: Instant;
  policies: Policy[];
  requests: AccessRequest[];
  grants: Grant[];
  labels: Map<string, string>;
  topCount?: number;
}): UsageReport {
  const policies = input.policies.map((policy): PolicyUsage => {
    const requests = input.requests.filter((r) => r.policyId === policy.id);
    const grants = input.grants.filter((g) => g.policyId === policy.id);
    const count = (status: AccessRequest['status']) => requests.filter((r) => r.status === status).length;
    const decisionTimes = requests
      .filter((r) => r.decidedBy !== null && (r.status === 'approved' || r.status === 'denied') && r.decidedAt)
      .map((r) => secondsBetween(r.createdAt, r.decidedAt!))
      .sort((a, b) => a - b);
    const byRequester = new Map<string, number>();
    for (const r of requests) byRequester.set(r.requesterId, (byRequester.get(r.requesterId) ?? 0) + 1);
    const requestIds = new Set(requests.map((r) => r.id));
    return {
      target: policy.target.name,
      requests: requests.length,
      approved: requests.filter((r) => r.status === 'approved' && r.decidedBy !== null).length,
      autoApproved: requests.filter((r) => r.status === 'approved' && r.decidedBy === null).length,
      denied: count('denied'),
      expired: count('expired'),
      cancelled: count('cancelled'),
      pending: count('pending'),
      revoked: grants.filter((g) => g.status === 'revoked' && requestIds.has(g.requestId)).length,
      relinquished: grants.filter((g) => g.status === 'relinquished' && requestIds.has(g.requestId)).length,
      failed: grants.filter((g) => g.status === 'failed' && requestIds.has(g.requestId)).length,
      medianSecondsToDecision: percentile(decisionTimes, 0.5),
      p90SecondsToDecision: percentile(decisionTimes, 0.9),
      topRequesters: [...byRequester.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, input.topCount ?? 5)
        .map(([id, n]) => ({ principal: input.labels.get(id) ?? id, requests: n })),
      activeGrantsNow: grants.filter((g) => g.status === 'active' && g.endsAt > input.now).length,
    };
  });
  return { from: input.from, to: input.to, policies: policies.sort((a, b) => a.target.localeCompare(b.target)) };
}
