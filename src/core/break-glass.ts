import { card, type Card, type CardAction } from './cards.js';
import { ADMINS_GROUP, maxGrantSeconds, type Change, type EngineConfig } from './context.js';
import { approverGroupOf, groupMemberIds } from './groups.js';
import type { BreakGlassUse, Grant, Group, Policy } from './model.js';
import { nameOf, postCardTo, refreshCard } from './notify.js';
import { platformOf } from './principals.js';
import { at } from './time-text.js';

/**
 * Break-glass (issue 15): a member of a policy's break-glass group grants themselves access at
 * once, with a reason, after confirming who will be alerted; the approvers, the admins and the
 * audit feeds are alerted at once and the approvers review the use afterwards (Acknowledge or
 * Flag) within ELEVATE_BREAK_GLASS_REVIEW, reminded until they do, the admins told after it.
 */

/** A break-glass grant lasts at most this long unless the policy says otherwise (issue 15: 1 h). */
export const DEFAULT_BREAK_GLASS_SECONDS = 3600;
/** ELEVATE_BREAK_GLASS_REVIEW's default: the approvers review a use within a day. */
export const DEFAULT_BREAK_GLASS_REVIEW_SECONDS = 24 * 3600;
/** The per-day limit counts uses in this rolling window (per person, per policy). */
export const BREAK_GLASS_DAY_SECONDS = 24 * 3600;
/** At most this many review reminders per use: each is a message kept current (hourly for a day). */
export const MAX_BREAK_GLASS_REMINDERS = 24;

export function breakGlassReviewSeconds(config: EngineConfig): number {
  return config.breakGlassReviewSeconds ?? DEFAULT_BREAK_GLASS_REVIEW_SECONDS;
}

/** The longest break-glass grant of a policy: its own maximum or 1 h, within the global cap. */
export function longestBreakGlass(policy: Policy, config: EngineConfig): number {
  return Math.min(policy.breakGlassMaxDurationSeconds ?? DEFAULT_BREAK_GLASS_SECONDS, maxGrantSeconds(config));
}

export const breakGlassCardKeys = (grantId: string) => ({
  /** The loud card: approvers, admins, the approvers channel and the audit feeds all get this one, kept current. */
  alert: `breakglass:${grantId}:alert`,
  /** The n-th review reminder to the approvers (from 1). */
  reminder: (n: number) => `breakglass:${grantId}:reminder:${n}`,
  /** The admins' notice that the review is overdue. */
  escalation: `breakglass:${grantId}:escalation`,
});

/** Who a break-glass use on a policy alerts: its approvers, the admins, its approvers channel and the audit feeds. */
export interface BreakGlassAudience {
  approverGroup: Group;
  approverIds: string[];
  adminIds: string[];
  channel: string | null;
  feedPlatforms: string[];
}

export async function breakGlassAudience(change: Change, policy: Policy): Promise<BreakGlassAudience> {
  const approverGroup = await approverGroupOf(change, policy);
  const admins = await change.tx.findGroupByName(ADMINS_GROUP);
  return {
    approverGroup,
    approverIds: await groupMemberIds(change, approverGroup),
    adminIds: admins ? await change.tx.listGroupMemberIds(admins.id) : [],
    channel: policy.approversChannel,
    feedPlatforms: change.ctx.config.feedPlatforms,
  };
}

/** "the 3 approvers (approvers), the 2 admins, slack:C0123 and the audit feed": the warning people confirm. */
export function audienceText(audience: BreakGlassAudience): string {
  const parts = [
    `the ${audience.approverIds.length} approver(s) of ${audience.approverGroup.name}`,
    `the ${audience.adminIds.length} admin(s)`,
  ];
  if (audience.channel) parts.push(`the approvers channel ${audience.channel}`);
  if (audience.feedPlatforms.length > 0) parts.push(`the audit feed (${audience.feedPlatforms.join(', ')})`);
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** Everything the break-glass card shows, names resolved. */
export interface BreakGlassView {
  use: BreakGlassUse;
  grant: Grant;
  holderName: string;
  reviewerName: string | null;
  grantEnderName: string | null;
  alerted: string;
}

function reviewText(view: BreakGlassView): string {
  const { use } = view;
  switch (use.status) {
    case 'pending': return `Review by ${at(use.reviewDueAt)}${use.escalatedAt ? ' (overdue: the admins were told)' : ''}`;
    case 'acknowledged': return `Acknowledged by ${view.reviewerName ?? use.reviewedBy} at ${at(use.reviewedAt!)}`;
    case 'flagged': return `Flagged by ${view.reviewerName ?? use.reviewedBy} at ${at(use.reviewedAt!)}: “${use.reviewComment}”`;
  }
}

function accessText(view: BreakGlassView): string {
  const { grant } = view;
  if (grant.status === 'active') return `active until ${at(grant.endsAt)}`;
  if (grant.status === 'revoked') return `revoked by ${view.grantEnderName ?? 'Elevate'} at ${at(grant.endedAt!)}`;
  if (grant.status === 'relinquished') return `given up at ${at(grant.endedAt!)}`;
  return `${grant.status} at ${at(grant.endedAt ?? grant.endsAt)}`;
}

/**
 * The loud card: who took what, why, until when, who was alerted; Revoke while the access lasts,
 * Acknowledge and Flag while the review is open (every click is re-checked by the core).
 */
export function breakGlassCard(view: BreakGlassView): Card {
  const { use, grant } = view;
  const actions: CardAction[] = [];
  if (grant.status === 'active') actions.push({ verb: 'grant.revoke', label: 'Revoke', value: grant.id, style: 'danger' });
  if (use.status === 'pending') {
    actions.push({ verb: 'breakGlass.acknowledge', label: 'Acknowledge', value: grant.id, style: 'primary' });
    actions.push({ verb: 'breakGlass.flag', label: 'Flag', value: grant.id });
  }
  const tone = use.status === 'flagged' ? 'revoked' : use.status === 'acknowledged' ? 'approved' : 'warning';
  return card({
    title: `BREAK-GLASS: ${view.holderName} took ${use.targetName}`,
    summary: `Break-glass: ${view.holderName} took ${use.targetName} without approval until ${at(use.endsAt)}: “${use.reason}”`,
    facts: [
      { label: 'Who', value: view.holderName },
      { label: 'What', value: use.targetName },
      { label: 'Why', value: use.reason },
      { label: 'Until', value: at(grant.endsAt) },
      { label: 'Access', value: accessText(view) },
      { label: 'Grant', value: `${grant.id} (break-glass, no approval)` },
      { label: 'Alerted', value: view.alerted },
      { label: 'Review', value: reviewText(view) },
    ],
    status: { tone, text: `Break-glass access ${accessText(view)}. ${reviewText(view)}` },
    actions,
  });
}

/** A review reminder: the card with its buttons, headed by how long is left (the plain card once reviewed). */
export function breakGlassReminderCard(view: BreakGlassView): Card {
  const base = breakGlassCard(view);
  if (view.use.status !== 'pending') return base;
  return {
    ...base,
    title: `Reminder: review break-glass by ${view.holderName} on ${view.use.targetName}`,
    summary: `Reminder: ${view.holderName}'s break-glass use of ${view.use.targetName} waits for your review (due ${at(view.use.reviewDueAt)})`,
  };
}

/** The admins' notice that the approvers did not review a use in time. */
export function breakGlassEscalationCard(view: BreakGlassView): Card {
  const base = breakGlassCard(view);
  if (view.use.status !== 'pending') return { ...base, title: `Overdue review: ${base.title}` };
  return {
    ...base,
    title: `Overdue review: break-glass by ${view.holderName} on ${view.use.targetName}`,
    summary: `Nobody reviewed ${view.holderName}'s break-glass use of ${view.use.targetName} by ${at(view.use.reviewDueAt)}: review it or ask the approvers to`,
  };
}

export async function loadBreakGlassView(change: Change, use: BreakGlassUse, known?: Grant): Promise<BreakGlassView | undefined> {
  const grant = known ?? (await change.tx.getGrant(use.grantId));
  if (!grant) return undefined;
  const policy = await change.tx.getPolicy(use.policyId);
  return {
    use,
    grant,
    holderName: await nameOf(change, use.principalId),
    reviewerName: use.reviewedBy ? await nameOf(change, use.reviewedBy) : null,
    grantEnderName: grant.endedBy ? await nameOf(change, grant.endedBy) : null,
    alerted: policy ? audienceText(await breakGlassAudience(change, policy)) : 'the admins and the audit feed',
  };
}

/** Brings every copy of a use's cards (alert, reminders, escalation) up to date after it changed. */
export async function publishBreakGlass(change: Change, use: BreakGlassUse, known?: Grant): Promise<void> {
  const view = await loadBreakGlassView(change, use, known);
  if (!view) return;
  const keys = breakGlassCardKeys(use.grantId);
  change.saveCard(keys.alert, breakGlassCard(view));
  refreshCard(change, keys.alert);
  for (let n = 1; n <= Math.min(use.remindersSent, MAX_BREAK_GLASS_REMINDERS); n += 1) {
    change.saveCard(keys.reminder(n), breakGlassReminderCard(view));
    refreshCard(change, keys.reminder(n));
  }
  if (use.escalatedAt) {
    change.saveCard(keys.escalation, breakGlassEscalationCard(view));
    refreshCard(change, keys.escalation);
  }
}

/** Posts the alert card to everyone `audience` names (never to the holder: they have their own card). */
export async function postBreakGlassAlert(change: Change, use: BreakGlassUse, audience: BreakGlassAudience, grant: Grant): Promise<void> {
  const view = await loadBreakGlassView(change, use, grant);
  const key = breakGlassCardKeys(use.grantId).alert;
  change.saveCard(key, breakGlassCard(view!));
  await postCardTo(change, [...new Set([...audience.approverIds, ...audience.adminIds])].filter((id) => id !== use.principalId), key);
  if (audience.channel) {
    change.deliver({ platform: platformOf(audience.channel), destination: { kind: 'channel', ref: audience.channel }, kind: 'card.post', cardKey: key, card: null });
  }
  for (const platform of audience.feedPlatforms) {
    change.deliver({ platform, destination: { kind: 'feed' }, kind: 'card.post', cardKey: key, card: null });
  }
}
