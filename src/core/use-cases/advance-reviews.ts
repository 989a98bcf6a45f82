import { ADMINS_GROUP, type Change } from '../context.js';
import { card } from '../cards.js';
import { isElevateError } from '../errors.js';
import { groupMemberIds, requireGroupByName } from '../groups.js';
import type { ReviewItem } from '../model.js';
import { messageTo, postCardTo } from '../notify.js';
import { byGroup, pagesOf, publishReviewGroup, reviewCardKey, reviewerIds } from '../reviews.js';
import { openCampaign } from './start-review.js';
import { removeReviewedMember } from './decide-review.js';

// Campaigns advanced per scheduler pass (each a few queries per group); the rest wait for the next pass.
const BATCH = 20;

const open = (items: ReviewItem[]) => items.filter((i) => i.outcome === null);

/**
 * The time-driven part of access reviews (one scheduler job): reminds reviewers with items left
 * halfway to the deadline, escalates unanswered items to the admins at the deadline, and when
 * the campaign closes handles them as it says (keep, flagged; or remove through the normal group
 * change) and closes it; then starts the next campaign of an `every` series. Each step is a
 * compare-and-set mark, done once across instances.
 */
export async function advanceReviews(change: Change): Promise<number> {
  const { tx } = change;
  let done = 0;
  for (const campaign of await tx.listReviewCampaignsDue(change.now, BATCH)) {
    const items = await tx.listReviewItems(campaign.id);
    if (campaign.remindedAt === null && campaign.remindAt <= change.now && (await tx.markReviewCampaign(campaign.id, 'reminded', change.now))) {
      for (const group of byGroup(open(items))) {
        const all = items.filter((i) => i.groupId === group[0]!.groupId);
        const reviewers = await reviewerIds(change, group[0]!);
        await messageTo(change, reviewers, card({
          title: `Reminder: ${group.length} member(s) of ${group[0]!.groupName} to review`,
          summary: `Access review ${campaign.id}: ${group.length} member(s) of ${group[0]!.groupName} are waiting for your decision; the deadline is ${campaign.deadlineAt}`,
          status: { tone: 'warning', text: `Deadline ${campaign.deadlineAt}` },
        }));
        for (let page = 0; page < pagesOf(all).length; page += 1) await postCardTo(change, reviewers, reviewCardKey(campaign.id, group[0]!.groupId, page));
      }
      change.audit('review.reminded', campaign.id, { open: open(items).length });
      done += 1;
    }
    if (campaign.escalatedAt === null && campaign.deadlineAt <= change.now && (await tx.markReviewCampaign(campaign.id, 'escalated', change.now))) {
      const left = open(items);
      if (left.length > 0) {
        const admins = await groupMemberIds(change, await requireGroupByName(tx, ADMINS_GROUP));
        const lines = byGroup(left).map((g) => `${g[0]!.groupName}: ${g.length} (reviewers: ${g[0]!.reviewerGroup})`);
        await messageTo(change, admins, card({
          title: `Access review ${campaign.id}: ${left.length} member(s) unanswered at the deadline`,
          summary: `Unanswered by the deadline; at ${campaign.closesAt} they will be ${campaign.unanswered === 'keep' ? 'kept (flagged in the report)' : 'removed'}`,
          facts: lines.map((line) => ({ label: 'Group', value: line })),
          status: { tone: 'warning', text: `Closes ${campaign.closesAt}` },
        }));
        // Admins may decide them now: the cards go to them too.
        for (const group of byGroup(left)) {
          const all = items.filter((i) => i.groupId === group[0]!.groupId);
          for (let page = 0; page < pagesOf(all).length; page += 1) await postCardTo(change, admins, reviewCardKey(campaign.id, group[0]!.groupId, page));
        }
      }
      change.audit('review.escalated', campaign.id, { unanswered: left.length });
      done += 1;
    }
    if (campaign.closesAt <= change.now && (await tx.markReviewCampaign(campaign.id, 'closed', change.now))) {
      const closed = { ...campaign, status: 'closed' as const, closedAt: change.now };
      let handled = 0;
      for (const item of open(items)) {
        let result: Pick<ReviewItem, 'outcome' | 'note'> = { outcome: 'kept-unanswered', note: null };
        if (campaign.unanswered === 'remove') {
          try {
            result = await removeReviewedMember(change, item, true);
          } catch (error) {
            if (!isElevateError(error)) throw error;
            result = { outcome: 'kept-unanswered', note: `could not be removed: ${error.message}` };
          }
        }
        await tx.decideReviewItem({ ...item, decision: null, decidedBy: null, decidedAt: change.now, decidedOrigin: change.origin, ...result });
        handled += 1;
      }
      change.audit('review.closed', campaign.id, { unanswered: handled, handledAs: campaign.unanswered });
      for (const group of byGroup(await tx.listReviewItems(campaign.id))) await publishReviewGroup(change, closed, group, false);
      done += 1;
    }
  }
  for (const previous of await tx.listReviewSeriesDue(change.now, BATCH)) {
    if (!(await tx.markReviewCampaign(previous.id, 'nextStarted', change.now))) continue;
    const days = (seconds: number) => `${seconds}s`;
    const { campaign } = await openCampaign(change, {
      scope: previous.scope, unanswered: previous.unanswered, every: days(previous.everySeconds!),
      deadline: days((Date.parse(previous.deadlineAt) - Date.parse(previous.startedAt)) / 1000),
      grace: days((Date.parse(previous.closesAt) - Date.parse(previous.deadlineAt)) / 1000),
    }, previous.startedBy);
    change.audit('review.repeated', campaign.id, { previous: previous.id });
    done += 1;
  }
  return done;
}
