import { ADMINS_GROUP, type Change } from './context.js';
import { card, type Card, type CardAction } from './cards.js';
import { groupMemberIds, requireGroupByName } from './groups.js';
import type { ReviewCampaign, ReviewItem } from './model.js';
import { postCardTo, refreshCard } from './notify.js';
import { describePerson } from './people.js';

/**
 * Access reviews: cards and who reviews what. One card per page of members of a reviewed group;
 * a page holds MEMBERS_PER_CARD members so that Keep and Remove for each plus Keep all fit
 * the five actions a Teams card may carry.
 */
export const MEMBERS_PER_CARD = 2;

export function reviewCardKey(campaignId: string, groupId: string, page: number): string {
  return `review:${campaignId}:${groupId}:${page}`;
}

/** The key of the card that shows `item`, among the items of its group. */
export function cardKeyOf(group: ReviewItem[], item: ReviewItem): string {
  return reviewCardKey(item.campaignId, item.groupId, Math.max(0, Math.floor(group.findIndex((i) => i.id === item.id) / MEMBERS_PER_CARD)));
}

/** The items of one reviewed group, by page. */
export function pagesOf(items: ReviewItem[]): ReviewItem[][] {
  const pages: ReviewItem[][] = [];
  for (let i = 0; i < items.length; i += MEMBERS_PER_CARD) pages.push(items.slice(i, i + MEMBERS_PER_CARD));
  return pages;
}

const OUTCOME_TEXT: Record<NonNullable<ReviewItem['outcome']>, string> = {
  kept: 'kept', removed: 'removed', 'kept-unanswered': 'kept (unanswered)', 'removed-unanswered': 'removed (unanswered)',
  'pending-approval': 'removal waiting for another admin', platform: 'kept in the platform group: change it there', gone: 'no longer a member',
};

/** The card of one page of a reviewed group, as it stands. */
export function reviewCard(campaign: ReviewCampaign, group: ReviewItem[], page: number, names: Map<string, string>): Card {
  const items = pagesOf(group)[page] ?? [];
  const first = group[0]!;
  const open = campaign.status === 'open';
  const decided = (i: ReviewItem) => i.outcome !== null;
  const actions: CardAction[] = [];
  if (open && first.platformGroup === null) {
    for (const item of items.filter((i) => !decided(i))) {
      const who = names.get(item.principalId) ?? item.member;
      actions.push({ verb: 'review.keep', label: `Keep ${who}`.slice(0, 60), value: item.id, style: 'primary' });
      actions.push({ verb: 'review.remove', label: `Remove ${who}`.slice(0, 60), value: item.id, style: 'danger' });
    }
    if (group.some((i) => !decided(i))) actions.push({ verb: 'review.keepAll', label: `Keep all of ${first.groupName}`.slice(0, 60), value: `${campaign.id}:${first.groupId}:${page}` });
  }
  const left = group.filter((i) => !decided(i)).length;
  const pages = pagesOf(group).length;
  return card({
    title: `Access review: members of ${first.groupName}${pages > 1 ? ` (${page + 1} of ${pages})` : ''}`,
    summary: `Review who keeps their place in ${first.groupName} (${first.reason}) by ${campaign.deadlineAt}`,
    facts: [
      { label: 'Why', value: first.reason },
      ...(first.platformGroup ? [{ label: 'Platform group', value: `${first.platformGroup}: its members are changed in the platform, not in Elevate` }] : []),
      ...items.map((i) => ({ label: names.get(i.principalId) ?? i.member, value: i.outcome ? `${OUTCOME_TEXT[i.outcome]}${i.decidedBy ? ` by ${names.get(i.decidedBy) ?? i.decidedBy}` : ''}` : 'to review' })),
      { label: 'Deadline', value: campaign.deadlineAt },
      { label: 'Campaign', value: campaign.id },
    ],
    status: !open ? { tone: 'info', text: 'Campaign closed' }
      : left === 0 ? { tone: 'approved', text: `Reviewed: ${group.length} member(s)` }
        : { tone: 'pending', text: `${left} of ${group.length} member(s) to review` },
    actions,
  });
}

/** Names of the members and deciders of these items, for cards and reports. */
export async function reviewNames(change: Change, items: ReviewItem[]): Promise<Map<string, string>> {
  const ids = [...new Set(items.flatMap((i) => [i.principalId, ...(i.decidedBy ? [i.decidedBy] : [])]))];
  const principals = ids.length > 0 ? await change.tx.getPrincipals(ids) : [];
  return new Map(ids.map((id) => [id, describePerson(principals.find((p) => p.id === id), id)]));
}

/** Items grouped by reviewed group, in item order. */
export function byGroup(items: ReviewItem[]): ReviewItem[][] {
  const groups = new Map<string, ReviewItem[]>();
  for (const item of items) groups.set(item.groupId, [...(groups.get(item.groupId) ?? []), item]);
  return [...groups.values()];
}

/** Saves every card of a reviewed group as it stands; `post` also sends them to the reviewers, else posted copies are edited. */
export async function publishReviewGroup(change: Change, campaign: ReviewCampaign, group: ReviewItem[], post: boolean): Promise<void> {
  const names = await reviewNames(change, group);
  const reviewers = post ? await reviewerIds(change, group[0]!) : [];
  for (let page = 0; page < pagesOf(group).length; page += 1) {
    const key = reviewCardKey(campaign.id, group[0]!.groupId, page);
    change.saveCard(key, reviewCard(campaign, group, page, names));
    if (post) await postCardTo(change, reviewers, key);
    else refreshCard(change, key);
  }
}

/** Who reviews an item: the members of its reviewer group (a platform group's through the Directory). */
export async function reviewerIds(change: Change, item: ReviewItem): Promise<string[]> {
  return groupMemberIds(change, await requireGroupByName(change.tx, item.reviewerGroup));
}

export function isAdminGroup(item: ReviewItem): boolean {
  return item.groupName.toLowerCase() === ADMINS_GROUP;
}
