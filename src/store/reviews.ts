import type { Origin, ReviewCampaign, ReviewItem, ReviewOutcome } from '../core/model.js';
import type { Instant } from '../core/time.js';
import type { Db, ReviewCampaignsTable, ReviewItemsTable } from './database.js';
import { batches, changedOne } from './rows.js';

type CampaignRow = Omit<ReviewCampaignsTable, 'next_started'> & { next_started: number };

function toCampaign(row: CampaignRow): ReviewCampaign {
  return {
    id: row.id, scope: row.scope as ReviewCampaign['scope'], unanswered: row.unanswered as ReviewCampaign['unanswered'],
    everySeconds: row.every_seconds === null ? null : Number(row.every_seconds), status: row.status as ReviewCampaign['status'],
    startedAt: row.started_at, startedBy: row.started_by, remindAt: row.remind_at, deadlineAt: row.deadline_at, closesAt: row.closes_at,
    remindedAt: row.reminded_at, escalatedAt: row.escalated_at, closedAt: row.closed_at, nextStarted: Number(row.next_started) === 1,
  };
}

function toItem(row: ReviewItemsTable): ReviewItem {
  return {
    id: row.id, campaignId: row.campaign_id, seq: Number(row.seq), groupId: row.group_id, groupName: row.group_name,
    principalId: row.principal_id, member: row.member, reviewerGroup: row.reviewer_group, reason: row.reason, platformGroup: row.platform_group,
    decision: row.decision as ReviewItem['decision'], decidedBy: row.decided_by, decidedAt: row.decided_at,
    decidedOrigin: row.decided_origin as Origin | null, outcome: row.outcome as ReviewOutcome | null, note: row.note,
  };
}

export async function insertReviewCampaign(db: Db, c: ReviewCampaign, items: ReviewItem[]): Promise<void> {
  await db.insertInto('review_campaigns').values({
    id: c.id, scope: c.scope, unanswered: c.unanswered, every_seconds: c.everySeconds, status: c.status, started_at: c.startedAt,
    started_by: c.startedBy, remind_at: c.remindAt, deadline_at: c.deadlineAt, closes_at: c.closesAt, reminded_at: c.remindedAt,
    escalated_at: c.escalatedAt, closed_at: c.closedAt, next_started: c.nextStarted ? 1 : 0,
  }).execute();
  for (const batch of batches(items)) {
    await db.insertInto('review_items').values(batch.map((i) => ({
      id: i.id, campaign_id: i.campaignId, seq: i.seq, group_id: i.groupId, group_name: i.groupName, principal_id: i.principalId,
      member: i.member, reviewer_group: i.reviewerGroup, reason: i.reason, platform_group: i.platformGroup, decision: i.decision,
      decided_by: i.decidedBy, decided_at: i.decidedAt, decided_origin: i.decidedOrigin, outcome: i.outcome, note: i.note,
    }))).execute();
  }
}

export async function getReviewCampaign(db: Db, id: string): Promise<ReviewCampaign | undefined> {
  const row = await db.selectFrom('review_campaigns').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toCampaign(row);
}

export async function listReviewCampaigns(db: Db, limit: number): Promise<ReviewCampaign[]> {
  return (await db.selectFrom('review_campaigns').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute()).map(toCampaign);
}

export async function listReviewCampaignsDue(db: Db, at: Instant, limit: number): Promise<ReviewCampaign[]> {
  const rows = await db.selectFrom('review_campaigns').selectAll().where('status', '=', 'open')
    .where((eb) => eb.or([
      eb.and([eb('reminded_at', 'is', null), eb('remind_at', '<=', at)]),
      eb.and([eb('escalated_at', 'is', null), eb('deadline_at', '<=', at)]),
      eb('closes_at', '<=', at),
    ]))
    .orderBy('started_at').limit(limit).execute();
  return rows.map(toCampaign);
}

export async function listReviewSeriesDue(db: Db, at: Instant, limit: number): Promise<ReviewCampaign[]> {
  const rows = await db.selectFrom('review_campaigns').selectAll().where('status', '=', 'closed').where('next_started', '=', 0)
    .where('every_seconds', 'is not', null).orderBy('started_at').limit(limit * 4).execute();
  // The next start is started_at + every: computed here, as ISO text arithmetic is not portable SQL.
  return rows.map(toCampaign).filter((c) => Date.parse(c.startedAt) + c.everySeconds! * 1000 <= Date.parse(at)).slice(0, limit);
}

const MARK_COLUMNS = { reminded: 'reminded_at', escalated: 'escalated_at', closed: 'closed_at' } as const;

export async function markReviewCampaign(db: Db, id: string, mark: 'reminded' | 'escalated' | 'closed' | 'nextStarted', at: Instant): Promise<boolean> {
  if (mark === 'nextStarted') {
    const result = await db.updateTable('review_campaigns').set({ next_started: 1 }).where('id', '=', id).where('next_started', '=', 0).executeTakeFirst();
    return changedOne(result.numUpdatedRows);
  }
  const column = MARK_COLUMNS[mark];
  const result = await db.updateTable('review_campaigns')
    .set({ [column]: at, ...(mark === 'closed' ? { status: 'closed' } : {}) })
    .where('id', '=', id).where(column, 'is', null).executeTakeFirst();
  return changedOne(result.numUpdatedRows);
}

export async function listReviewItems(db: Db, campaignId: string): Promise<ReviewItem[]> {
  return (await db.selectFrom('review_items').selectAll().where('campaign_id', '=', campaignId).orderBy('seq').execute()).map(toItem);
}

export async function getReviewItem(db: Db, id: string): Promise<ReviewItem | undefined> {
  const row = await db.selectFrom('review_items').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toItem(row);
}

export async function decideReviewItem(db: Db, item: ReviewItem): Promise<boolean> {
  const result = await db.updateTable('review_items').set({
    decision: item.decision, decided_by: item.decidedBy, decided_at: item.decidedAt, decided_origin: item.decidedOrigin, outcome: item.outcome, note: item.note,
  }).where('id', '=', item.id).where('outcome', 'is', null).executeTakeFirst();
  return changedOne(result.numUpdatedRows);
}
