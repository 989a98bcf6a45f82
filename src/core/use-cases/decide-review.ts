import { runChange, type Change, type EngineContext } from '../context.js';
import { applyConfigurationChange } from '../configuration-changes.js';
import { describeChange } from '../configuration-changes-text.js';
import { ConflictError, InvalidInputError, NotAllowedError, NotFoundError } from '../errors.js';
import type { ConfigurationChange, ReviewCampaign, ReviewItem } from '../model.js';
import type { Actor } from '../ports.js';
import { cardKeyOf, isAdminGroup, publishReviewGroup, reviewCardKey, reviewerIds } from '../reviews.js';
import { isConfigurationProtected, requestConfigurationChange } from './change-configuration.js';

export type ReviewDecision = 'keep' | 'remove';

/**
 * Removes a reviewed member through the normal, audited group change. An admin-group removal by
 * a person under protected configuration becomes a configuration request for another admin.
 * Returns the item's outcome.
 */
export async function removeReviewedMember(change: Change, item: ReviewItem, unanswered: boolean): Promise<Pick<ReviewItem, 'outcome' | 'note'>> {
  const group = await change.tx.getGroup(item.groupId);
  if (!group || !(await change.tx.listGroupMemberIds(group.id)).includes(item.principalId)) return { outcome: 'gone', note: null };
  const config: ConfigurationChange = { kind: 'group.removeMember', group: group.name, member: item.principalId };
  const principalId = change.principalId;
  if (isAdminGroup(item) && principalId && (await isConfigurationProtected(change.tx))) {
    const { warnings } = await applyConfigurationChange(change, config, { dryRun: true });
    const request = await requestConfigurationChange(change, principalId, config, `${describeChange(config)} (access review ${item.campaignId})`, warnings);
    return { outcome: 'pending-approval', note: `configuration request ${request.id}` };
  }
  await applyConfigurationChange(change, config, { dryRun: false });
  return { outcome: unanswered ? 'removed-unanswered' : 'removed', note: null };
}

async function decideItem(change: Change, campaign: ReviewCampaign, item: ReviewItem, decision: ReviewDecision, reviewerId: string): Promise<ReviewItem> {
  if (item.outcome !== null) throw new ConflictError(`${item.member} in ${item.groupName} was already reviewed: ${item.outcome}`);
  if (item.principalId === reviewerId) throw new NotAllowedError('nobody reviews their own membership: another reviewer decides it');
  const result = decision === 'keep' ? { outcome: 'kept' as const, note: null } : await removeReviewedMember(change, item, false);
  const decided: ReviewItem = { ...item, decision, decidedBy: reviewerId, decidedAt: change.now, decidedOrigin: change.origin, ...result };
  if (!(await change.tx.decideReviewItem(decided))) throw new ConflictError(`${item.member} in ${item.groupName} was reviewed by someone else first`);
  change.audit(`review.${decision === 'keep' ? 'kept' : 'removed'}`, item.id, {
    campaign: campaign.id, group: item.groupName, member: item.member, principalId: item.principalId, outcome: decided.outcome, ...(decided.note ? { note: decided.note } : {}),
  });
  return decided;
}

/** Loads an item's campaign and checks the actor may review it now. */
async function reviewable(change: Change, item: ReviewItem, reviewerId: string): Promise<ReviewCampaign> {
  const campaign = await change.tx.getReviewCampaign(item.campaignId);
  if (!campaign || campaign.status !== 'open') throw new ConflictError(`access review ${item.campaignId} is closed`);
  if (item.platformGroup) throw new InvalidInputError(`${item.groupName} is kept in ${item.platformGroup}: change its members there`, { field: 'item' });
  const reviewers = await reviewerIds(change, item);
  if (!reviewers.includes(reviewerId)) throw new NotAllowedError(`only members of ${item.reviewerGroup} review ${item.groupName}`);
  return campaign;
}

function reviewer(actor: Actor): string {
  if (actor.kind !== 'principal') throw new NotAllowedError('reviews are decided by a person: name the reviewer (for the CLI, --as <principal>)');
  return actor.principalId;
}

/** A reviewer keeps or removes one member (Keep / Remove on the card). */
export async function decideReview(ctx: EngineContext, actor: Actor, itemId: string, decision: ReviewDecision): Promise<{ item: ReviewItem; cardKey: string }> {
  const reviewerId = reviewer(actor);
  if (decision !== 'keep' && decision !== 'remove') throw new InvalidInputError('a review decision is keep or remove', { field: 'decision' });
  return runChange(ctx, actor, { action: `review.${decision}`, subject: itemId.slice(0, 80) }, async (change) => {
    const item = await change.tx.getReviewItem(itemId.trim());
    if (!item) throw new NotFoundError(`review item ${itemId.slice(0, 80)} does not exist`);
    const campaign = await reviewable(change, item, reviewerId);
    const decided = await decideItem(change, campaign, item, decision, reviewerId);
    const group = (await change.tx.listReviewItems(campaign.id)).filter((i) => i.groupId === item.groupId);
    await publishReviewGroup(change, campaign, group, false);
    return { item: decided, cardKey: cardKeyOf(group, decided) };
  });
}

/**
 * A reviewer keeps every member of a group not reviewed yet (Keep all), except themselves.
 * `value`: `<campaign>:<group id>[:<page>]` (the page: the card clicked, whose key is returned).
 */
export async function keepAllReviewed(ctx: EngineContext, actor: Actor, value: string): Promise<{ items: ReviewItem[]; cardKey: string }> {
  const reviewerId = reviewer(actor);
  const [campaignId, groupId, page] = value.split(':');
  return runChange(ctx, actor, { action: 'review.keepAll', subject: value.slice(0, 80) }, async (change) => {
    const items = campaignId && groupId ? (await change.tx.listReviewItems(campaignId)).filter((i) => i.groupId === groupId) : [];
    if (items.length === 0) throw new NotFoundError(`no access review of ${value.slice(0, 80)}`);
    const campaign = await reviewable(change, items[0]!, reviewerId);
    const kept: ReviewItem[] = [];
    for (const item of items.filter((i) => i.outcome === null && i.principalId !== reviewerId)) kept.push(await decideItem(change, campaign, item, 'keep', reviewerId));
    await publishReviewGroup(change, campaign, (await change.tx.listReviewItems(campaign.id)).filter((i) => i.groupId === groupId), false);
    return { items: kept, cardKey: reviewCardKey(campaign.id, groupId!, /^\d{1,4}$/.test(page ?? '') ? Number(page) : 0) };
  });
}

