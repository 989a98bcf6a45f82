import type { AccessRequest, BreakGlassUse, Grant, Policy } from './model.js';
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
  /** Requests granted by break-glass (without approval; not counted as approved or auto-approved). */
  breakGlass: number;
  /** Seconds from request to a person's decision; null when nobody decided. */
  medianSecondsToDecision: number | null;
  p90SecondsToDecision: number | null;
  topRequesters: Array<{ principal: string; requests: number }>;
  activeGrantsNow: number;
}

/** A break-glass use its reviewer flagged: for the admins to follow up. */
export interface FlaggedBreakGlass {
  grantId: string;
  target: string;
  principal: string;
  usedAt: Instant;
  reason: string;
  flaggedBy: string;
  flaggedAt: Instant;
  comment: string;
}

export interface UsageReport {
  from: Instant;
  to: Instant;
  policies: PolicyUsage[];
  /** Break-glass uses of the period by review state, and the flagged ones. */
  breakGlass: { uses: number; pending: number; acknowledged: number; flagged: FlaggedBreakGlass[] };
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
  breakGlassUses?: BreakGlassUse[];
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
      autoApproved: requests.filter((r) => r.status === 'approved' && r.decidedBy === null && !r.breakGlass).length,
      breakGlass: requests.filter((r) => r.breakGlass).length,
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
  const uses = input.breakGlassUses ?? [];
  const label = (id: string | null) => (id ? input.labels.get(id) ?? id : 'the operator');
  const flagged = uses.filter((u) => u.status === 'flagged').map((u): FlaggedBreakGlass => ({
    grantId: u.grantId, target: u.targetName, principal: label(u.principalId), usedAt: u.usedAt, reason: u.reason,
    flaggedBy: label(u.reviewedBy), flaggedAt: u.reviewedAt!, comment: u.reviewComment ?? '',
  }));
  return {
    from: input.from, to: input.to, policies: policies.sort((a, b) => a.target.localeCompare(b.target)),
    breakGlass: {
      uses: uses.length, pending: uses.filter((u) => u.status === 'pending').length,
      acknowledged: uses.filter((u) => u.status === 'acknowledged').length, flagged,
    },
  };
}
