import type { Change, EngineConfig } from './context.js';
import { formatDuration } from './duration.js';
import { InvalidInputError, NotAllowedError } from './errors.js';
import { groupMemberIds, requireGroupByName } from './groups.js';
import { checkPolicyHook } from './hooks.js';
import type { Group, Policy, PolicyInput } from './model.js';
import { checkStepUpPolicy } from './step-up.js';

export const DEFAULT_DURATION_SECONDS = 4 * 3600; // Exchange PAM's default grant window
const MIN_DURATION_SECONDS = 60;
const MAX_DURATION_SECONDS = 90 * 86400; // longer than a quarter is standing access by another name
const MAX_APPROVALS_REQUIRED = 20;
const MAX_PATTERN_LENGTH = 200;
const MAX_HINT_LENGTH = 300;

function checkDuration(field: string, seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < MIN_DURATION_SECONDS || seconds > MAX_DURATION_SECONDS) {
    throw new InvalidInputError(`${field} must be between 1m and ${formatDuration(MAX_DURATION_SECONDS)}`, { field });
  }
}

/**
 * Checks the fields of a policy (not its groups) and fills in defaults. `knownHooks`: the hooks
 * the server configuration defines; a named hook must be one of them, on a role or role group.
 */
export function normalizePolicyFields(input: PolicyInput, config: Pick<EngineConfig, 'hooks' | 'stepUp'> = {}): Required<PolicyInput> {
  const approvalsRequired = input.approvalsRequired ?? 1;
  if (!Number.isInteger(approvalsRequired) || approvalsRequired < 1 || approvalsRequired > MAX_APPROVALS_REQUIRED) {
    throw new InvalidInputError(`approvals required must be a whole number from 1 to ${MAX_APPROVALS_REQUIRED}`, { field: 'approvalsRequired' });
  }
  if (input.approval !== 'manual' && input.approval !== 'auto') {
    throw new InvalidInputError(`approval must be manual or auto, not "${String(input.approval)}"`, { field: 'approval' });
  }
  const defaultDurationSeconds = input.defaultDurationSeconds ?? DEFAULT_DURATION_SECONDS;
  checkDuration('default duration', defaultDurationSeconds);
  const maxDurationSeconds = input.maxDurationSeconds ?? null;
  if (maxDurationSeconds !== null) {
    checkDuration('max duration', maxDurationSeconds);
    if (defaultDurationSeconds > maxDurationSeconds) {
      throw new InvalidInputError(
        `default duration ${formatDuration(defaultDurationSeconds)} is longer than max duration ${formatDuration(maxDurationSeconds)}`,
        { field: 'defaultDuration' },
      );
    }
  }
  const reasonPattern = input.reasonPattern?.trim() || null;
  if (reasonPattern !== null) {
    if (reasonPattern.length > MAX_PATTERN_LENGTH) {
      throw new InvalidInputError(`reason pattern is longer than ${MAX_PATTERN_LENGTH} characters`, { field: 'reasonPattern' });
    }
    try {
      new RegExp(reasonPattern, 'u');
    } catch {
      throw new InvalidInputError(`reason pattern "${reasonPattern}" is not a valid regular expression`, { field: 'reasonPattern' });
    }
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
  };
}

/** Groups named by a policy input; each must exist. */
export async function resolvePolicyGroups(change: Change, fields: Required<PolicyInput>) {
  const tx = change.tx;
  const approverGroup = await requireGroupByName(tx, fields.approverGroup ?? change.ctx.config.defaultApproverGroup);
  const eligibleGroup = fields.eligibleGroup ? await requireGroupByName(tx, fields.eligibleGroup) : null;
  const escalationGroup = fields.escalationGroup ? await requireGroupByName(tx, fields.escalationGroup) : null;
  return { approverGroup, eligibleGroup, escalationGroup };
}

/**
 * Refuses a policy nobody could approve: every possible requester needs `approvalsRequired`
 * approvers other than themselves.
 */
export async function ensureApprovable(
  change: Change,
  fields: Required<PolicyInput>,
  groups: { approverGroup: Group; eligibleGroup: Group | null },
): Promise<void> {
  const approvers = await groupMemberIds(change, groups.approverGroup);
  const name = groups.approverGroup.name;
  if (approvers.length === 0) {
    throw new InvalidInputError(`approver group ${name} has no members: nobody could approve or revoke ${fields.target.name}`, { field: 'approverGroup' });
  }
  if (fields.approval === 'auto') return;
  if (approvers.length < fields.approvalsRequired) {
    throw new InvalidInputError(
      `approver group ${name} has ${approvers.length} member(s) but ${fields.approvalsRequired} approvals are required`,
      { field: 'approvalsRequired' },
    );
  }
  if (approvers.length === fields.approvalsRequired) {
    const eligible = groups.eligibleGroup ? await groupMemberIds(change, groups.eligibleGroup) : null;
    const approverWhoCanRequest = approvers.find((id) => eligible === null || eligible.includes(id));
    if (approverWhoCanRequest) {
      throw new InvalidInputError(
        `approver group ${name} has only ${approvers.length} member(s) for ${fields.approvalsRequired} approval(s), and its members may request ${fields.target.name} themselves: their requests could never be approved. Add approvers or restrict who may request.`,
        { field: 'approverGroup' },
      );
    }
  }
}

export function buildPolicy(
  id: string,
  fields: Required<PolicyInput>,
  groups: { approverGroup: Group; eligibleGroup: Group | null; escalationGroup: Group | null },
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

