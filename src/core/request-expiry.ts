import { card } from './cards.js';
import { noteIntegrityViolation, type Change } from './context.js';
import { approverIdsOf } from './groups.js';
import { isIntact } from './integrity.js';
import type { AccessRequest } from './model.js';
import { messageTo, publishRequest } from './notify.js';

/**
 * Closes a pending request past its deadline (compare-and-set): audited, cards updated, the
 * requester and the approvers told. `by`: the scheduler's pass, or a decision that came too late.
 * Closing never gives access, so a request changed outside Elevate is closed too (and reported).
 * Returns the expired request, or undefined when it was no longer pending.
 */
export async function expireRequest(change: Change, request: AccessRequest, by: 'scheduler' | 'late decision'): Promise<AccessRequest | undefined> {
  const expired: AccessRequest = { ...request, status: 'expired', decidedAt: change.now };
  if (!(await change.tx.updateRequestIfPending(expired))) return undefined;
  if (!isIntact(change.ctx, request)) await noteIntegrityViolation(change, { kind: 'request', id: request.id }, 'request.expire');
  change.audit('request.expired', request.id, { deadlineAt: request.deadlineAt, ...(by === 'late decision' ? { by } : {}) });
  await publishRequest(change, expired, 'expired undecided');
  await messageTo(change, [request.requesterId, ...(await approverIdsOf(change, request))], card({
    title: `Request ${request.id} expired`,
    summary: `The request of ${request.target.name} expired undecided at ${request.deadlineAt}`,
    status: { tone: 'expired', text: 'Expired undecided' },
  }));
  return expired;
}
