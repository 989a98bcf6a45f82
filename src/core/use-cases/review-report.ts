import { runChange, type EngineContext } from '../context.js';
import { NotAllowedError, NotFoundError } from '../errors.js';
import { seesEverything } from '../groups.js';
import type { ReviewCampaign, ReviewItem } from '../model.js';
import type { Actor } from '../ports.js';
import { reviewNames } from '../reviews.js';

export interface ReviewReportEntry {
  campaign: ReviewCampaign;
  items: Array<ReviewItem & { memberName: string; decidedByName: string | null }>;
}

// Campaigns in one report when none is named (newest first).
const RECENT = 20;

/**
 * Each campaign's decisions and who made them, for auditors (admins and auditors): unanswered
 * items kept are `kept-unanswered`; platform-group members are `platform` (changed in the platform).
 */
export async function reviewReport(ctx: EngineContext, actor: Actor, query: { campaign?: string } = {}): Promise<ReviewReportEntry[]> {
  return runChange(ctx, actor, { action: 'review.report', subject: query.campaign ?? 'reviews' }, async (change) => {
    if (!(await seesEverything(change.tx, actor))) throw new NotAllowedError('only admins and auditors may read access reviews');
    const campaigns = query.campaign
      ? [await change.tx.getReviewCampaign(query.campaign.trim().toUpperCase())].filter((c): c is ReviewCampaign => c !== undefined)
      : await change.tx.listReviewCampaigns(RECENT);
    if (query.campaign && campaigns.length === 0) throw new NotFoundError(`access review ${query.campaign.slice(0, 80)} does not exist`);
    const entries: ReviewReportEntry[] = [];
    for (const campaign of campaigns) {
      const items = await change.tx.listReviewItems(campaign.id);
      const names = await reviewNames(change, items);
      entries.push({
        campaign,
        items: items.map((i) => ({ ...i, memberName: names.get(i.principalId) ?? i.member, decidedByName: i.decidedBy ? names.get(i.decidedBy) ?? i.decidedBy : null })),
      });
    }
    return entries;
  });
}
