import { maxGrantSeconds, type Change, type EngineConfig } from './context.js';
import { formatDuration } from './duration.js';
import { ConflictError, InvalidInputError, NotAllowedError } from './errors.js';
import { groupMemberIds, requireGroupByName } from './groups.js';
import { checkPolicyHook } from './hooks.js';
import { CONFIGURATION_TARGET, type Group, type Policy, type PolicyInput } from './model.js';
import { targetKey } from './targets.js';
import type { PatternEngine } from './ports.js';
import { describePerson } from './people.js';
import { normalizeOnCall } from './on-call.js';
import { checkStepUpPolicy } from './step-up.js';

export const DEFAULT_DURATION_SECONDS = 4 * 3600; // Exchange PAM's default grant window
const MIN_DURATION_SECONDS = 60;
const MAX_APPROVALS_REQUIRED = 20;
const MAX_PATTERN_LENGTH = 200;
const MAX_HINT_LENGTH = 300;
/** Break-glass uses per person per policy in any 24 hours unless the policy says otherwise (issue 15). */
export const DEFAULT_BREAK_GLASS_PER_DAY = 2;
// A break-glass that is needed more than this often a day is an approval flow that does not work.
const MAX_BREAK_GLASS_PER_DAY = 20;

function checkDuration(field: string, seconds: number, max: number): void {
  if (!Number.isInteger(seconds) || seconds < MIN_DURATION_SECONDS || seconds > max) {
    throw new InvalidInputError(
      `${field} must be between 1m and ${formatDuration(max)} (ELEVATE_MAX_GRANT_DURATION caps every grant)`,
      { field, max },
    );
  }
}

/**
 * Checks the fields of a policy (not its groups) and fills in defaults. `knownHooks`: the hooks
 * the server configuration defines; a named hook must be one of them, on a role or role group.
 */
export function normalizePolicyFields(
  input: PolicyInput,
  config: Pick<EngineConfig, 'hooks' | 'stepUp' | 'maxGrantSeconds'> = {},
  patterns?: PatternEngine,
): Required<PolicyInput> {
  const cap = maxGrantSeconds(config as EngineConfig);
  const approvalsRequired = input.approvalsRequired ?? 1;
  if (!Number.isInteger(approvalsRequired) || approvalsRequired < 1 || approvalsRequired > MAX_APPROVALS_REQUIRED) {
    throw new InvalidInputError(`approvals required must be a whole number from 1 to ${MAX_APPROVALS_REQUIRED}`, { field: 'approvalsRequired' });
  }
  if (input.approval !== 'manual' && input.approval !== 'auto') {
    throw new InvalidInputError(`approval must be manual or auto, not "${String(input.approval)}"`, { field: 'approval' });
  }
  const maxDurationSeconds = input.maxDurationSeconds ?? null;
  if (maxDurationSeconds !== null) checkDuration('max duration', maxDurationSeconds, cap);
  // No default given: the built-in one, shortened to the max when that is shorter (a 1h max
  // means 1h grants unless requesters ask for less).
  const defaultDurationSeconds = input.defaultDurationSeconds
    ?? Math.min(DEFAULT_DURATION_SECONDS, maxDurationSeconds ?? cap);
  checkDuration('default duration', defaultDurationSeconds, cap);
  if (maxDurationSeconds !== null && defaultDurationSeconds > maxDurationSeconds) {
    throw new InvalidInputError(
      `default duration ${formatDuration(defaultDurationSeconds)} is longer than max duration ${formatDuration(maxDurationSeconds)}: `
        + `lower the default duration to ${formatDuration(maxDurationSeconds)} or less as well`,
      { field: 'defaultDuration' },
    );
  }
  const reasonPattern = input.reasonPattern?.trim() || null;
  if (reasonPattern !== null) {
    if (reasonPattern.length > MAX_PATTERN_LENGTH) {
      throw new InvalidInputError(`reason pattern is longer than ${MAX_PATTERN_LENGTH} characters`, { field: 'reasonPattern' });
    }
    // On the linear-time engine requests use: a pattern it cannot run is refused now, not at request time.
    patterns?.check(reasonPattern);
  }
  const approversChannel = input.approversChannel?.trim() || null;
  if (approversChannel !== null && !/^(slack|teams):\S{1,200}$/.test(approversChannel)) {
    throw new InvalidInputError(`approvers channel "${approversChannel}" must be written slack:<channel id> or teams:<conversation id>`, { field: 'approversChannel' });
  }
  const approverDms = input.approverDms ?? true;
  if (!approverDms && approversChannel === null) {
    throw new InvalidInputError('without direct messages to approvers, name an approvers channel: nobody would see the requests', { field: 'approverDms' });
  }
  const reasonHint = input.reasonHint?.trim() || null;
  if (reasonHint !== null && reasonHint.length > MAX_HINT_LENGTH) {
    throw new InvalidInputError(`reason hint is longer than ${MAX_HINT_LENGTH} characters`, { field: 'reasonHint' });
  }
  const hook = checkPolicyHook(config, input.target.type, input.hook);
  const approvalStepUp = input.approvalStepUp ?? false;
  checkStepUpPolicy(config, input.approval, approvalStepUp);
  const onCall = normalizeOnCall(input.onCall);
  if (onCall.length > 0 && input.approval === 'auto') {
    throw new InvalidInputError('on-call schedules approve people on call at once where others wait for approvers: use them with --approval manual', { field: 'onCall' });
  }
  const breakGlass = checkBreakGlassFields(input, cap);
  if (onCall.length > 0 && targetKey(input.target.name) === targetKey(CONFIGURATION_TARGET.name)) {
    throw new InvalidInputError(`${CONFIGURATION_TARGET.name} never takes on-call approval: configuration changes always need another admin`, { field: 'onCall' });
  }
  if (onCall.length > 0 && approvalStepUp) {
    // Step-up asks an approver to prove a fresh sign-in; an on-call approval has no approver to ask.
    throw new InvalidInputError('on-call approval needs no approver, so it would bypass step-up approval: use one or the other', { field: 'onCall' });
  }
  return {
    target: input.target,
    approval: input.approval,
    approverGroup: input.approverGroup?.trim() || null,
    approvalsRequired,
    defaultDurationSeconds,
    maxDurationSeconds,
    reasonRequired: input.reasonRequired ?? true,
    reasonPattern,
    reasonHint,
    eligibleGroup: input.eligibleGroup?.trim() || null,
    escalationGroup: input.escalationGroup?.trim() || null,
    approversChannel,
    approverDms,
    hook,
    approvalStepUp,
    onCall,
    ...breakGlass,
  };
}

/** Break-glass fields, checked: never on the configuration target, a maximum within the global cap, a small daily limit. */
function checkBreakGlassFields(input: PolicyInput, cap: number): Pick<Required<PolicyInput>, 'breakGlassGroup' | 'breakGlassMaxDurationSeconds' | 'breakGlassPerDay'> {
  const breakGlassGroup = input.breakGlassGroup?.trim() || null;
  if (breakGlassGroup !== null && targetKey(input.target.name) === targetKey(CONFIGURATION_TARGET.name)) {
    throw new InvalidInputError(`${CONFIGURATION_TARGET.name} never allows break-glass: configuration changes always need another admin`, { field: 'breakGlassGroup' });
  }
  const breakGlassMaxDurationSeconds = input.breakGlassMaxDurationSeconds ?? null;
  if (breakGlassMaxDurationSeconds !== null) checkDuration('break-glass max duration', breakGlassMaxDurationSeconds, cap);
  const breakGlassPerDay = input.breakGlassPerDay ?? DEFAULT_BREAK_GLASS_PER_DAY;
  if (!Number.isInteger(breakGlassPerDay) || breakGlassPerDay < 1 || breakGlassPerDay > MAX_BREAK_GLASS_PER_DAY) {
    throw new InvalidInputError(`break-glass per day must be a whole number from 1 to ${MAX_BREAK_GLASS_PER_DAY}`, { field: 'breakGlassPerDay' });
  }
  return { breakGlassGroup, breakGlassMaxDurationSeconds, breakGlassPerDay };
}

/** Groups named by a policy input; each must exist. */
export async function resolvePolicyGroups(change: Change, fields: Required<PolicyInput>) {
  const tx = change.tx;
  const approverGroup = await requireGroupByName(tx, fields.approverGroup ?? change.ctx.config.defaultApproverGroup);
  const eligibleGroup = fields.eligibleGroup ? await requireGroupByName(tx, fields.eligibleGroup) : null;
  const escalationGroup = fields.escalationGroup ? await requireGroupByName(tx, fields.escalationGroup) : null;
  const breakGlassGroup = fields.breakGlassGroup ? await requireGroupByName(tx, fields.breakGlassGroup) : null;
  return { approverGroup, eligibleGroup, escalationGroup, breakGlassGroup };
}

/** What a policy's approvers can do, given who they are and who may request. */
export interface ApproverAssessment {
  /** Why the policy could never approve anything (no approvers, fewer than N); null when it can. */
  refusal: string | null;
  /** Approvers whose own requests could never be approved (nobody decides their own request). */
  blockedRequesterIds: string[];
}

/**
 * Judges a policy's approvers: it is unusable only when it can never approve anything (an empty
 * group, or fewer approvers than the approvals required); when exactly N approvers may also
 * request, their own requests could never reach N, which is worth a warning, not a refusal (a
 * team of one approver for one approval is a normal start).
 */
export function assessApprovers(
  policy: { targetName: string; approval: Policy['approval']; approvalsRequired: number },
  group: { name: string; memberIds: string[] },
  eligibleIds: string[] | null,
): ApproverAssessment {
  const count = group.memberIds.length;
  if (count === 0) {
    return { refusal: `approver group ${group.name} has no members: nobody could approve or revoke ${policy.targetName}. Add members to ${group.name} first`, blockedRequesterIds: [] };
  }
  if (policy.approval === 'auto') return { refusal: null, blockedRequesterIds: [] };
  if (count < policy.approvalsRequired) {
    return {
      refusal: `approver group ${group.name} has ${count} member(s) but ${policy.targetName} needs ${policy.approvalsRequired} approvals: add approvers to ${group.name} or lower the approvals required`,
      blockedRequesterIds: [],
    };
  }
  const blocked = count - 1 < policy.approvalsRequired ? group.memberIds.filter((id) => eligibleIds === null || eligibleIds.includes(id)) : [];
  return { refusal: null, blockedRequesterIds: blocked };
}

/** The warning for approvers whose own requests could never be approved; null when there are none. */
export async function blockedRequestersWarning(change: Change, targetName: string, groupName: string, approvalsRequired: number, blockedIds: string[]): Promise<string | null> {
  if (blockedIds.length === 0) return null;
  const principals = await change.tx.getPrincipals(blockedIds);
  const names = blockedIds.map((id) => describePerson(principals.find((p) => p.id === id), id)).sort();
  // Blocked approvers exist only when the group has exactly N members: each has N - 1 others.
  const others = approvalsRequired - 1;
  return `requests for ${targetName} by ${names.join(', ')} could never be approved: nobody decides their own request, `
    + `and ${groupName} has ${others === 0 ? 'no other member' : `only ${others} other member(s)`} for ${approvalsRequired} approval(s). `
    + `Add a member to ${groupName}, or limit who may request with an eligible group`;
}

/**
 * Refuses a policy that could never approve anything (see `assessApprovers`); returns warnings
 * naming the approvers whose own requests could never be approved.
 */
export async function ensureApprovable(
  change: Change,
  fields: Required<PolicyInput>,
  groups: { approverGroup: Group; eligibleGroup: Group | null },
): Promise<string[]> {
  const memberIds = await groupMemberIds(change, groups.approverGroup);
  const eligible = groups.eligibleGroup && fields.approval === 'manual' ? await groupMemberIds(change, groups.eligibleGroup) : null;
  const policy = { targetName: fields.target.name, approval: fields.approval, approvalsRequired: fields.approvalsRequired };
  const assessment = assessApprovers(policy, { name: groups.approverGroup.name, memberIds }, eligible);
  if (assessment.refusal) {
    throw new InvalidInputError(assessment.refusal, { field: memberIds.length < fields.approvalsRequired && memberIds.length > 0 ? 'approvalsRequired' : 'approverGroup' });
  }
  const warning = await blockedRequestersWarning(change, fields.target.name, groups.approverGroup.name, fields.approvalsRequired, assessment.blockedRequesterIds);
  return warning ? [warning] : [];
}

/**
 * Checks that every policy decided by `group` can still reach its approvals with `remainingIds`
 * as members (`what`: the change, e.g. "removing slack:U1 from approvers"): refuses naming the
 * first policy that could not;
 * returns warnings for policies whose approvers' own requests could then never be approved.
 */
export async function ensureGroupStillApproves(change: Change, group: Group, remainingIds: string[], what: string): Promise<string[]> {
  const decidedByGroup = (await change.tx.listPolicies()).filter((p) => p.approverGroupId === group.id
    || (p.approverGroupId === null && group.name === change.ctx.config.defaultApproverGroup));
  const warnings: string[] = [];
  for (const policy of decidedByGroup.sort((a, b) => a.target.name.localeCompare(b.target.name))) {
    const eligibleGroup = policy.eligibleGroupId && policy.approval === 'manual' ? await change.tx.getGroup(policy.eligibleGroupId) : undefined;
    const eligible = eligibleGroup ? await groupMemberIds(change, eligibleGroup) : null;
    const assessment = assessApprovers(
      { targetName: policy.target.name, approval: policy.approval, approvalsRequired: policy.approvalsRequired },
      { name: group.name, memberIds: remainingIds }, eligible,
    );
    if (assessment.refusal) {
      throw new ConflictError(`${what} would leave policy ${policy.target.name} unable to approve: ${assessment.refusal}`, { field: 'group', policy: policy.target.name });
    }
    const warning = await blockedRequestersWarning(change, policy.target.name, group.name, policy.approvalsRequired, assessment.blockedRequesterIds);
    if (warning) warnings.push(warning);
  }
  return warnings;
}

export function buildPolicy(
  id: string,
  fields: Required<PolicyInput>,
  groups: { approverGroup: Group; eligibleGroup: Group | null; escalationGroup: Group | null; breakGlassGroup?: Group | null },
  times: { createdAt: string; updatedAt: string },
): Policy {
  return {
    id,
    target: fields.target,
    approval: fields.approval,
    approverGroupId: groups.approverGroup.id,
    approvalsRequired: fields.approvalsRequired,
    defaultDurationSeconds: fields.defaultDurationSeconds,
    maxDurationSeconds: fields.maxDurationSeconds,
    reasonRequired: fields.reasonRequired,
    reasonPattern: fields.reasonPattern,
    reasonHint: fields.reasonHint,
    eligibleGroupId: groups.eligibleGroup?.id ?? null,
    escalationGroupId: groups.escalationGroup?.id ?? null,
    approversChannel: fields.approversChannel,
    approverDms: fields.approverDms,
    hook: fields.hook,
    approvalStepUp: fields.approvalStepUp,
    onCall: fields.onCall,
    breakGlassGroupId: groups.breakGlassGroup?.id ?? null,
    breakGlassMaxDurationSeconds: fields.breakGlassMaxDurationSeconds,
    breakGlassPerDay: fields.breakGlassPerDay,
    ...times,
  };
}

/** A policy back as input, with group names, so a patch can be applied to it. */
export async function policyToInput(change: Change, policy: Policy): Promise<Required<PolicyInput>> {
  const nameOf = async (id: string | null) => (id ? (await change.tx.getGroup(id))?.name ?? null : null);
  return {
    target: policy.target,
    approval: policy.approval,
    approverGroup: await nameOf(policy.approverGroupId),
    approvalsRequired: policy.approvalsRequired,
    defaultDurationSeconds: policy.defaultDurationSeconds,
    maxDurationSeconds: policy.maxDurationSeconds,
    reasonRequired: policy.reasonRequired,
    reasonPattern: policy.reasonPattern,
    reasonHint: policy.reasonHint,
    eligibleGroup: await nameOf(policy.eligibleGroupId),
    escalationGroup: await nameOf(policy.escalationGroupId),
    approversChannel: policy.approversChannel,
    approverDms: policy.approverDms,
    hook: policy.hook,
    approvalStepUp: policy.approvalStepUp,
    onCall: policy.onCall,
    breakGlassGroup: await nameOf(policy.breakGlassGroupId),
    breakGlassMaxDurationSeconds: policy.breakGlassMaxDurationSeconds,
    breakGlassPerDay: policy.breakGlassPerDay,
  };
}

/** May this principal request under this policy? */
export async function ensureEligible(change: Change, policy: Policy, principalId: string): Promise<void> {
  if (!policy.eligibleGroupId) return;
  const group = await change.tx.getGroup(policy.eligibleGroupId);
  if (!group) return;
  const members = await groupMemberIds(change, group);
  if (!members.includes(principalId)) {
    throw new NotAllowedError(`you are not eligible to request ${policy.target.name}: only members of ${group.name} may`);
  }
}

