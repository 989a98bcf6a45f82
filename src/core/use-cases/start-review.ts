import { ADMINS_GROUP, AUDITORS_GROUP, runChange, type Change, type EngineContext } from '../context.js';
import { principalRefOf } from '../configuration-document.js';
import { parseDuration } from '../duration.js';
import { InvalidInputError } from '../errors.js';
import { approverGroupOf, groupMemberIds, requireAdmin } from '../groups.js';
import type { Group, ReviewCampaign, ReviewItem } from '../model.js';
import type { Actor } from '../ports.js';
import { byGroup, publishReviewGroup } from '../reviews.js';
import { addSeconds } from '../time.js';

export interface ReviewInput {
  /** `policies`: who may request (eligible groups, reviewed by the policy's approvers); `groups`: approver groups, admins and auditors (reviewed by the admins); `all`: both. */
  scope?: ReviewCampaign['scope'];
  /** What happens to items nobody answered when the campaign closes (default keep, flagged in the report). */
  unanswered?: ReviewCampaign['unanswered'];
  /** Start the next campaign this long after this one started, e.g. `90d`; absent: once. */
  every?: string | null;
  /** How long reviewers have before the escalation to the admins, e.g. `14d` (default). */
  deadline?: string;
  /** How long after the deadline unanswered items are handled and the campaign closes (default 2d). */
  grace?: string;
}

const DEFAULT_DEADLINE = '14d';
const DEFAULT_GRACE = '2d';
// A review covers the members people can actually look at; a campaign larger than this is a mistake.
const MAX_ITEMS = 10_000;

/** The groups a scope reviews, each with its reviewer group and why. */
async function groupsUnderReview(change: Change, scope: ReviewCampaign['scope']): Promise<Array<{ group: Group; reviewers: string; reason: string }>> {
  const { tx } = change;
  const chosen = new Map<string, { group: Group; reviewers: string; reason: string }>();
  const policies = (await tx.listPolicies()).sort((a, b) => a.target.name.localeCompare(b.target.name));
  if (scope !== 'policies') {
    for (const name of [ADMINS_GROUP, AUDITORS_GROUP]) {
      const group = await tx.findGroupByName(name);
      if (group) chosen.set(group.id, { group, reviewers: ADMINS_GROUP, reason: `Elevate ${name}` });
    }
    for (const policy of policies) {
      const group = await approverGroupOf(change, policy);
      if (!chosen.has(group.id)) chosen.set(group.id, { group, reviewers: ADMINS_GROUP, reason: `approvers of ${policy.target.name}` });
    }
  }
  if (scope !== 'groups') {
    for (const policy of policies) {
      const group = policy.eligibleGroupId ? await tx.getGroup(policy.eligibleGroupId) : undefined;
      if (!group || chosen.has(group.id)) continue;
      chosen.set(group.id, { group, reviewers: (await approverGroupOf(change, policy)).name, reason: `may request ${policy.target.name}` });
    }
  }
  return [...chosen.values()];
}

/** Opens a campaign: its items and the reviewers' cards, in one change. */
export async function openCampaign(change: Change, input: ReviewInput, startedBy: string): Promise<{ campaign: ReviewCampaign; items: ReviewItem[] }> {
  const { ctx, tx } = change;
  const scope = input.scope ?? 'all';
  const unanswered = input.unanswered ?? 'keep';
  if (!['policies', 'groups', 'all'].includes(scope)) throw new InvalidInputError(`scope must be policies, groups or all, not "${scope}"`, { field: 'scope' });
  if (!['keep', 'remove'].includes(unanswered)) throw new InvalidInputError(`unanswered must be keep or remove, not "${unanswered}"`, { field: 'unanswered' });
  const deadline = parseDuration(input.deadline ?? DEFAULT_DEADLINE, 'deadline');
  const grace = parseDuration(input.grace ?? DEFAULT_GRACE, 'grace');
  const everySeconds = input.every ? parseDuration(input.every, 'every') : null;
  if (everySeconds !== null && everySeconds <= deadline + grace) {
    throw new InvalidInputError('every must be longer than the deadline and grace together: one campaign closes before the next starts', { field: 'every' });
  }
  const campaign: ReviewCampaign = {
    id: ctx.ids.next('review'), scope, unanswered, everySeconds, status: 'open', startedAt: change.now, startedBy,
    remindAt: addSeconds(change.now, Math.floor(deadline / 2)), deadlineAt: addSeconds(change.now, deadline), closesAt: addSeconds(change.now, deadline + grace),
    remindedAt: null, escalatedAt: null, closedAt: null, nextStarted: false,
  };
  const items: ReviewItem[] = [];
  for (const { group, reviewers, reason } of await groupsUnderReview(change, scope)) {
    const ids = await groupMemberIds(change, group);
    const principals = ids.length > 0 ? await tx.getPrincipals(ids) : [];
    // Members in the order of how they are named, so every reviewer's cards read the same.
    const refOf = (id: string) => principalRefOf(principals.find((p) => p.id === id), id);
    for (const id of [...ids].sort((a, b) => refOf(a).localeCompare(refOf(b)))) {
      items.push({
        id: `${campaign.id}-${items.length + 1}`, campaignId: campaign.id, seq: items.length + 1, groupId: group.id, groupName: group.name,
        principalId: id, member: refOf(id), reviewerGroup: reviewers, reason,
        platformGroup: group.directoryRef, decision: null, decidedBy: null, decidedAt: null, decidedOrigin: null,
        outcome: group.source === 'directory' ? 'platform' : null, note: null,
      });
    }
  }
  if (items.length > MAX_ITEMS) throw new InvalidInputError(`the campaign would hold ${items.length} members; narrow it with --scope`, { field: 'scope' });
  await tx.insertReviewCampaign(campaign, items);
  change.audit('review.started', campaign.id, { scope, unanswered, everySeconds, deadlineAt: campaign.deadlineAt, closesAt: campaign.closesAt, items: items.length });
  for (const group of byGroup(items)) await publishReviewGroup(change, campaign, group, true);
  return { campaign, items };
}

/** An admin (or the operator) opens an access review campaign. */
export async function startReview(ctx: EngineContext, actor: Actor, input: ReviewInput): Promise<{ campaign: ReviewCampaign; items: ReviewItem[] }> {
  return runChange(ctx, actor, { action: 'review.start', subject: 'review' }, async (change) => {
    await requireAdmin(change, 'start access reviews');
    return openCampaign(change, input, change.principalId ?? 'operator');
  });
}
