import type { EngineContext } from '../context.js';
import { InvalidInputError, NotAllowedError } from '../errors.js';
import { seesEverything } from '../groups.js';
import type { Actor } from '../ports.js';
import { principalLabels } from '../principals.js';
import { buildUsageReport, type UsageReport } from '../report.js';
import { targetKey } from '../targets.js';
import { toMillis, type Instant } from '../time.js';

// Reports read whole periods; this bounds one report's memory.
const MAX_ROWS = 1_000_000;

export interface UsageQuery {
  from: Instant;
  to: Instant;
  target?: string;
}

/** The usage report for admins and auditors. */
export async function usageReport(ctx: EngineContext, actor: Actor, query: UsageQuery): Promise<UsageReport> {
  if (Number.isNaN(toMillis(query.from)) || Number.isNaN(toMillis(query.to)) || toMillis(query.from) >= toMillis(query.to)) {
    throw new InvalidInputError('the report period needs a valid start before its end', { field: 'period' });
  }
  return ctx.store.read(async (tx) => {
    if (!(await seesEverything(tx, actor))) throw new NotAllowedError('only admins and auditors may see usage reports');
    let policies = await tx.listPolicies();
    if (query.target) policies = policies.filter((p) => targetKey(p.target.name) === targetKey(query.target!));
    const policyIds = policies.map((p) => p.id);
    const requests = await tx.listRequests({ createdFrom: query.from, createdTo: query.to, policyIds, limit: MAX_ROWS });
    const grants = await tx.listGrants({ policyIds, limit: MAX_ROWS });
    const breakGlassUses = await tx.listBreakGlassUses({ policyIds, from: query.from, to: query.to, limit: MAX_ROWS });
    const labels = await principalLabels(tx, [...requests.map((r) => r.requesterId), ...breakGlassUses.flatMap((u) => [u.principalId, ...(u.reviewedBy ? [u.reviewedBy] : [])])]);
    return buildUsageReport({ from: query.from, to: query.to, now: ctx.clock.now(), policies, requests, grants, labels, breakGlassUses });
  });
}
