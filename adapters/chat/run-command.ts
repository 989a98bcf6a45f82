import type { Card } from '../../src/core/cards.js';
import { at } from '../../src/core/time-text.js';
import { grantCard, homeCard } from '../../src/core/use-cases/home.js';
import { formatDuration, parseDuration } from '../../src/core/duration.js';
import type { Elevate } from '../../src/core/elevate.js';
import { InvalidInputError, isElevateError, NotFoundError, NotSupportedError } from '../../src/core/errors.js';
import type { PolicyInput, TargetType } from '../../src/core/model.js';
import type { Actor } from '../../src/core/ports.js';
import { closestNames, parseTarget } from '../../src/core/targets.js';
import type { ConfigurationOutcome } from '../../src/core/use-cases/change-configuration.js';
import { splitRequestWords, USAGE, type ChatCommand } from './command-grammar.js';

/** What a command answers, for the platform to render (privately to the user unless `public`). */
export interface ChatReply {
  text: string;
  /** Preformatted lines (tables); rendered as a code block. */
  monospace?: string;
  cards: Card[];
  /** The platform should open its request form instead (e.g. `/elevate` alone). */
  openRequestForm?: boolean;
}

const reply = (text: string, extra: Partial<ChatReply> = {}): ChatReply => ({ text, cards: [], ...extra });

function describeOutcome(outcome: ConfigurationOutcome): string {
  const said = outcome.status === 'applied'
    ? `Done: ${outcome.summary}.`
    : `Protected configuration: request ${outcome.request.id} ("${outcome.summary}") is waiting for another admin's approval.`;
  return [said, ...outcome.warnings.map((warning) => `Warning: ${warning}.`)].join('\n');
}

/** How a platform writes people and channels in a message (Slack: `<@U1>`, `<#C1|name>`). */
export interface ChatRefs {
  principal(token: string): string;
  channel(token: string): string;
  /** A platform user group, e.g. Slack's `<!subteam^S1|@oncall>` → `slack:S1`. */
  group(token: string): string;
}

function policyFields(flags: Record<string, string | true>, refs: ChatRefs): Partial<Omit<PolicyInput, 'target'>> {
  const text = (name: string) => {
    const value = flags[name];
    if (value === true) throw new InvalidInputError(`--${name} needs a value. Usage: ${USAGE.policy}`, { field: name });
    return value;
  };
  const fields: Partial<Omit<PolicyInput, 'target'>> = {};
  const known = ['approval', 'approver-group', 'approvals', 'default', 'max', 'reason-optional', 'reason-required', 'reason-pattern', 'reason-hint', 'eligible', 'escalation', 'channel', 'no-channel', 'no-dms', 'dms'];
  const unknown = Object.keys(flags).filter((f) => !known.includes(f));
  if (unknown.length) throw new InvalidInputError(`unknown option --${unknown[0]}. Usage: ${USAGE.policy}`, { field: unknown[0] });
  const approval = text('approval');
  if (approval !== undefined) fields.approval = approval as PolicyInput['approval'];
  if (text('approver-group') !== undefined) fields.approverGroup = text('approver-group');
  const approvals = text('approvals');
  if (approvals !== undefined) {
    if (!/^\d+$/.test(approvals)) throw new InvalidInputError(`--approvals must be a whole number, not "${approvals}"`, { field: 'approvals' });
    fields.approvalsRequired = Number(approvals);
  }
  if (text('default') !== undefined) fields.defaultDurationSeconds = parseDuration(text('default')!, 'default duration');
  const max = text('max');
  if (max !== undefined) fields.maxDurationSeconds = max === 'none' ? null : parseDuration(max, 'max duration');
  if (flags['reason-optional']) fields.reasonRequired = false;
  if (flags['reason-required']) fields.reasonRequired = true;
  if (text('reason-pattern') !== undefined) fields.reasonPattern = text('reason-pattern');
  if (text('reason-hint') !== undefined) fields.reasonHint = text('reason-hint');
  if (text('eligible') !== undefined) fields.eligibleGroup = text('eligible');
  if (text('escalation') !== undefined) fields.escalationGroup = text('escalation');
  if (text('channel') !== undefined) fields.approversChannel = refs.channel(text('channel')!);
  if (flags['no-channel']) fields.approversChannel = null;
  if (flags['no-dms']) fields.approverDms = false;
  if (flags.dms) fields.approverDms = true;
  return fields;
}

const TARGET_TYPES: Record<string, TargetType> = { task: 'task', role: 'role', rolegroup: 'roleGroup', 'role-group': 'roleGroup' };

/**
 * Runs a parsed chat command for an identified actor through the Elevate facade and says what
 * happened. `refs` turns platform mentions (e.g. Slack's `<@U1>`) into `slack:U1`.
 * Errors propagate: each adapter turns them into its reply in one place.
 */
export async function runChatCommand(
  elevate: Elevate,
  actor: Actor,
  command: ChatCommand,
  refs: ChatRefs,
): Promise<ChatReply> {
  switch (command.name) {
    case 'help':
      return reply('Elevate: just-in-time privileged access.', { monospace: Object.values(USAGE).join('\n') });
    case 'request': {
      if (command.words.length === 0) return reply('Opening the request form…', { openRequestForm: true });
      const targets = (await elevate.listPolicies()).map((p) => p.target.name);
      const { target, duration, reason } = splitRequestWords(command.words, targets);
      const outcome = await elevate.requestAccess(actor, { target, duration, reason }).catch(async (error: unknown) => {
        // Suggestions name only targets this person may request (or who to ask, when there are none).
        if (!isElevateError(error) || error.code !== 'not_found' || !Array.isArray(error.details.closest)) throw error;
        const mine = (await elevate.requestablePolicies(actor)).map((p) => p.target.name);
        if (mine.length === 0) throw new NotFoundError(`no policy for ${target}. ${await elevate.whoToAsk()}`, { field: 'target', closest: [] });
        const closest = closestNames(target, mine);
        throw new NotFoundError(`no policy for ${target}${closest.length ? `; closest targets: ${closest.join(', ')}` : ''}`, { field: 'target', closest });
      });
      const r = outcome.request;
      if (outcome.existing) return reply(`You already have request ${r.id} pending for ${r.target.name} (decide by ${at(r.deadlineAt)}).`);
      if (outcome.grant) return reply(`Approved automatically: you have ${r.target.name} until ${at(outcome.grant.endsAt)} (grant ${outcome.grant.id}).`);
      return reply(`Request ${r.id} for ${r.target.name} (${formatDuration(r.durationSeconds)}) was sent to its approvers. It expires undecided at ${at(r.deadlineAt)}.`);
    }
    case 'status': {
      const requests = await elevate.listRequestCards(actor, { mine: true, status: 'pending' });
      const grants = await elevate.listGrants(actor, { mine: true, status: 'active' });
      const grantCards = grants.map(grantCard);
      if (requests.length + grants.length === 0) return reply('You have no pending requests and no active access.');
      return reply(`${requests.length} pending request(s), ${grants.length} active grant(s).`, { cards: [...requests.map((r) => r.card), ...grantCards] });
    }
    case 'home': {
      const home = await elevate.home(actor);
      // The home card first (Teams keeps it current with a refresh action), then each item's own card with its buttons.
      return reply(homeCard(home).summary, { cards: [homeCard(home), ...home.approvals, ...home.requests, ...home.grants] });
    }
    case 'pending': {
      const decidable = await elevate.listRequestCards(actor, { decidable: true });
      if (decidable.length === 0) return reply('Nothing is waiting for your decision.');
      return reply(`${decidable.length} request(s) waiting for your decision.`, { cards: decidable.map((r) => r.card) });
    }
    case 'approve': {
      const outcome = await elevate.approve(actor, { requestId: command.id, comment: command.comment });
      return reply(outcome.outcome === 'recorded'
        ? `Your approval of ${outcome.request.id} is recorded: ${outcome.approvals} of ${outcome.request.approvalsRequired}.`
        : `You approved ${outcome.request.id}${outcome.grant ? `: access until ${at(outcome.grant.endsAt)}` : ''}.`);
    }
    case 'deny': {
      const outcome = await elevate.deny(actor, { requestId: command.id, comment: command.comment });
      return reply(`You denied ${outcome.request.id}.`);
    }
    case 'cancel': {
      const cancelled = await elevate.cancelRequest(actor, command.id);
      return reply(`Request ${cancelled.id} is cancelled.`);
    }
    case 'revoke': {
      const grant = await elevate.revokeGrant(actor, { grantId: command.id, comment: command.comment });
      return reply(`Grant ${grant.id} (${grant.target.name}) is revoked.`);
    }
    case 'done': {
      const grant = await elevate.relinquishGrant(actor, { grantId: command.id });
      return reply(`Thanks: your access to ${grant.target.name} has ended.`);
    }
    case 'extend': {
      const outcome = await elevate.extendGrant(actor, { grantId: command.id, duration: command.duration, reason: command.reason });
      // "Two more hours after the current end": the answer names the grant, its end and the new end.
      const x = outcome.extension;
      const asked = x ? `extend ${x.grantId} (until ${at(x.from)}) by ${formatDuration(outcome.request.durationSeconds)} → until ${at(x.until)}` : '';
      if (outcome.grant) return reply(`Extended: you have ${outcome.grant.target.name} until ${at(outcome.grant.endsAt)}${x ? ` (${asked})` : ''}.`);
      return reply(`Extension request ${outcome.request.id} ${outcome.existing ? 'is already pending' : 'was sent to the approvers'}${x ? `: ${asked}` : ''}.`);
    }
    case 'policy': return runPolicy(elevate, actor, command, refs);
    case 'group': return runGroup(elevate, actor, command, refs);
    case 'report': {
      const to = Date.parse(new Date().toISOString());
      const seconds = parseDuration(command.period ?? '30d', 'period');
      const usage = await elevate.usageReport(actor, { from: new Date(to - seconds * 1000).toISOString(), to: new Date(to).toISOString() });
      const lines = usage.policies.map((p) => `${p.target}: ${p.requests} requests, ${p.approved} approved, ${p.autoApproved} auto, ${p.denied} denied, ${p.expired} expired, ${p.revoked} revoked; median decision ${p.medianSecondsToDecision === null ? '—' : formatDuration(p.medianSecondsToDecision)}, p90 ${p.p90SecondsToDecision === null ? '—' : formatDuration(p.p90SecondsToDecision)}; ${p.activeGrantsNow} active now`);
      return reply(`Usage for the last ${formatDuration(seconds)}:`, { monospace: lines.join('\n') || '(no policies)' });
    }
    case 'link': {
      if (command.code) {
        const done = await elevate.completeLink(actor, command.code);
        return reply(`Linked: ${done.principal.identities.join(', ')} are now one person in Elevate${done.principal.displayName ? ` (${done.principal.displayName})` : ''}.`);
      }
      const issued = await elevate.startLink(actor, command.web ? 'web' : 'chat');
      if (issued.purpose === 'web') {
        return reply(`Open this link within 10 minutes and sign in with your company account to link it to this one (it works once; never share it): ${elevate.webLinkUrl(issued.code)}`);
      }
      return reply(`Your link code is ${issued.code} (valid until ${at(issued.expiresAt)}, once). On your other platform, send "link ${issued.code}" to Elevate (on Slack: /elevate link ${issued.code}). Never share it: whoever types it becomes you in Elevate.`);
    }
    case 'audit-here':
      // Only a platform knows "here": each adapter handles it (Teams) or explains it (Slack).
      throw new NotSupportedError('audit-here is answered by the chat platform, in the channel that should get the feed');
  }
}

async function runPolicy(elevate: Elevate, actor: Actor, command: Extract<ChatCommand, { name: 'policy' }>, refs: ChatRefs): Promise<ChatReply> {
  switch (command.action) {
    case 'list': {
      const policies = await elevate.listPolicies();
      if (policies.length === 0) return reply('No policies yet.');
      return reply(`${policies.length} policies:`, { monospace: policies.map((p) =>
        `${p.target.name} (${p.target.type}) · ${p.approval} · approvers ${p.approverGroupName} · ${p.approvalsRequired} approval(s) · default ${formatDuration(p.defaultDurationSeconds)}${p.maxDurationSeconds ? ` · max ${formatDuration(p.maxDurationSeconds)}` : ''}${p.onCall.length > 0 ? ` · on call: ${p.onCall.join(', ')}` : ''}`).join('\n') });
    }
    case 'new': {
      const [typeText, name] = command.args;
      const type = TARGET_TYPES[(typeText ?? '').toLowerCase()];
      if (!type || !name) throw new InvalidInputError(`name the target type and target. Usage: ${USAGE.policy}`, { usage: USAGE.policy });
      const fields = policyFields(command.flags, refs);
      if (!fields.approval) throw new InvalidInputError(`--approval manual|auto is required. Usage: ${USAGE.policy}`, { field: 'approval' });
      return reply(describeOutcome(await elevate.createPolicy(actor, { ...fields, target: parseTarget(type, name), approval: fields.approval })));
    }
    case 'set': {
      const [name] = command.args;
      if (!name) throw new InvalidInputError(`name the target. Usage: ${USAGE.policy}`, { usage: USAGE.policy });
      const patch = policyFields(command.flags, refs);
      if (Object.keys(patch).length === 0) throw new InvalidInputError(`name at least one field to change. Usage: ${USAGE.policy}`, { usage: USAGE.policy });
      return reply(describeOutcome(await elevate.updatePolicy(actor, name, patch)));
    }
    case 'remove': {
      const [name] = command.args;
      if (!name) throw new InvalidInputError(`name the target. Usage: ${USAGE.policy}`, { usage: USAGE.policy });
      if (command.flags['end-grants'] && command.flags['keep-grants']) throw new InvalidInputError('choose --end-grants or --keep-grants, not both', { usage: USAGE.policy });
      const activeGrants = command.flags['end-grants'] ? 'end' : command.flags['keep-grants'] ? 'keep' : undefined;
      return reply(describeOutcome(await elevate.removePolicy(actor, name, activeGrants)));
    }
  }
}

async function runGroup(elevate: Elevate, actor: Actor, command: Extract<ChatCommand, { name: 'group' }>, refs: ChatRefs): Promise<ChatReply> {
  const [first, second] = command.args;
  switch (command.action) {
    case 'list': {
      const groups = await elevate.listGroups();
      return reply(`${groups.length} groups:`, { monospace: groups.map((g) =>
        `${g.name}: ${g.source === 'directory' ? `linked to ${g.directoryRef}` : g.members.join(', ') || '(no members)'}`).join('\n') });
    }
    case 'new': {
      if (!first) throw new InvalidInputError(`name the group. Usage: ${USAGE.group}`, { usage: USAGE.group });
      const directory = typeof command.flags.directory === 'string' ? refs.group(command.flags.directory) : null;
      return reply(describeOutcome(await elevate.createGroup(actor, first, { directoryRef: directory })));
    }
    case 'add':
    case 'remove': {
      if (!first || !second) throw new InvalidInputError(`name the group and the person. Usage: ${USAGE.group}`, { usage: USAGE.group });
      const member = refs.principal(second);
      const outcome = command.action === 'add'
        ? await elevate.addGroupMember(actor, first, member)
        : await elevate.removeGroupMember(actor, first, member);
      return reply(describeOutcome(outcome));
    }
  }
}
