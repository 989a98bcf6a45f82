import { maxGrantSeconds, type Change } from './context.js';
import { type ConfigurationDocument } from './configuration-document.js';
import { ElevateError, InvalidInputError } from './errors.js';
import type { Group, Policy } from './model.js';
import { buildPolicy, normalizePolicyFields } from './policies.js';
import { parsePrincipalRef } from './principals.js';
import { targetKey } from './targets.js';
import { checkReason, requestedDuration } from './use-cases/create-request.js';
import { DEFAULT_BREAK_GLASS_SECONDS } from './break-glass.js';

/**
 * Access tests: what a request would meet under a configuration (the current one or a planned
 * document), without making one. Outcomes are a union so new ones (e.g. `break-glass`) are one
 * more member and one more branch in `decideCase`.
 */
export type AccessOutcome =
  | { outcome: 'auto' }
  | { outcome: 'approval'; group: string; count: number }
  /** Break-glass would grant at once (the per-day limit depends on past uses and is not judged here). */
  | { outcome: 'break-glass' }
  | { outcome: 'refused'; code: RefusalCode; reason?: string };

/** Why a request would be refused; stable names for test files. */
export const REFUSAL_CODES = [
  'pam_disabled', 'no_policy', 'not_eligible', 'invalid_duration', 'duration_too_long', 'reason_required', 'reason_pattern', 'invalid_reason',
  'no_break_glass', 'not_break_glass',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export interface AccessCase {
  /** Shown in the results; defaults to the case's number. */
  name?: string;
  /** The requester (`slack:U…`, `teams:…`, a verified address, a principal id); absent: a person in `memberOf` only. */
  person?: string;
  /** Groups the requester is (also) a member of for this case. */
  memberOf?: string[];
  target: string;
  duration?: string;
  reason?: string;
  ticket?: string;
  /** The case asks with break-glass (`request … --break-glass`). */
  breakGlass?: boolean;
  expect: AccessOutcome;
}

export interface AccessCaseResult {
  index: number;
  name: string;
  expected: AccessOutcome;
  actual: AccessOutcome;
  pass: boolean;
}

/** One policy ready to evaluate: its fields and its groups by name. */
interface ModelPolicy {
  policy: Policy;
  approverGroup: string;
  eligibleGroup: string | null;
  breakGlassGroup: string | null;
}

/** A configuration prepared once for many cases. */
export interface AccessModel {
  pamEnabled: boolean;
  policies: Map<string, ModelPolicy>;
  /** Group name (lower case) -> keys of its Elevate-kept members (principal ids, else the normalized reference). */
  members: Map<string, Set<string>>;
  /** Principal reference -> key, for references Elevate knows. */
  keyOf(ref: string): string;
  cap: number;
  check: { patterns: Change['ctx']['patterns'] };
}

const placeholderGroup = (name: string): Group => ({ id: name, name, description: null, source: 'elevate', directoryRef: null, createdAt: '' });

/** The key a person is compared by: their principal id when Elevate knows them, else the reference as written. */
async function personKey(change: Change, ref: string): Promise<string> {
  const parsed = parsePrincipalRef(ref);
  const principal = 'identity' in parsed ? await change.tx.findPrincipalByIdentity(parsed.identity)
    : 'principalId' in parsed ? await change.tx.getPrincipal(parsed.principalId)
      : (await change.tx.findPrincipalsByEmail(parsed.email))[0];
  return principal?.id ?? ('identity' in parsed ? parsed.identity : 'email' in parsed ? parsed.email : parsed.principalId);
}

/**
 * Prepares a configuration document for evaluating cases: policies normalized, and the groups'
 * members and the cases' people (`people`) resolved once each.
 */
export async function buildAccessModel(change: Change, doc: Required<ConfigurationDocument>, people: string[]): Promise<AccessModel> {
  const { ctx } = change;
  const keys = new Map<string, string>();
  for (const ref of new Set([...doc.groups.flatMap((g) => g.members), ...people])) keys.set(ref, await personKey(change, ref));
  const members = new Map(doc.groups.map((group) => [group.name.toLowerCase(), new Set(group.members.map((ref) => keys.get(ref)!))]));
  const policies = new Map<string, ModelPolicy>();
  for (const input of doc.policies) {
    const fields = normalizePolicyFields(input, ctx.config, ctx.patterns);
    const approverGroup = fields.approverGroup ?? ctx.config.defaultApproverGroup;
    const policy = buildPolicy(fields.target.name, fields, { approverGroup: placeholderGroup(approverGroup), eligibleGroup: null, escalationGroup: null }, { createdAt: '', updatedAt: '' });
    policies.set(targetKey(fields.target.name), { policy, approverGroup, eligibleGroup: fields.eligibleGroup, breakGlassGroup: fields.breakGlassGroup });
  }
  return {
    pamEnabled: doc.settings.pamEnabled ?? true,
    policies,
    members,
    keyOf: (ref) => keys.get(ref) ?? ref,
    cap: maxGrantSeconds(ctx.config),
    check: { patterns: ctx.patterns },
  };
}

/** What one request would meet. Pure: the model holds everything. */
export function decideCase(model: AccessModel, c: Omit<AccessCase, 'expect' | 'name'>): AccessOutcome {
  if (!model.pamEnabled) return { outcome: 'refused', code: 'pam_disabled' };
  const found = model.policies.get(targetKey(c.target));
  if (!found) return { outcome: 'refused', code: 'no_policy' };
  const person = c.person ? model.keyOf(c.person) : null;
  const inGroup = (name: string) => (c.memberOf ?? []).some((g) => g.toLowerCase() === name.toLowerCase())
    || (person !== null && (model.members.get(name.toLowerCase())?.has(person) ?? false));
  if (c.breakGlass) return decideBreakGlass(model, found, c, inGroup);
  if (found.eligibleGroup && !inGroup(found.eligibleGroup)) return { outcome: 'refused', code: 'not_eligible', reason: `only members of ${found.eligibleGroup} may request` };
  const policy = found.policy;
  try {
    requestedDuration({ target: c.target, duration: c.duration ?? null }, policy, model.cap);
  } catch (error) {
    if (!(error instanceof ElevateError)) throw error;
    return { outcome: 'refused', code: 'max' in error.details ? 'duration_too_long' : 'invalid_duration', reason: error.message };
  }
  try {
    checkReason({ target: c.target, reason: c.reason ?? null, ticket: c.ticket ?? null }, policy, model.check.patterns);
  } catch (error) {
    if (!(error instanceof ElevateError)) throw error;
    const code = policy.reasonRequired && !c.reason?.trim() ? 'reason_required' : policy.reasonPattern && error.message.includes('must match') ? 'reason_pattern' : 'invalid_reason';
    return { outcome: 'refused', code, reason: error.message };
  }
  if (policy.approval === 'auto') return { outcome: 'auto' };
  return { outcome: 'approval', group: found.approverGroup, count: policy.approvalsRequired };
}

/** What a break-glass ask would meet: the policy must allow it, the person be in its group, the duration within its maximum, a reason given. */
function decideBreakGlass(model: AccessModel, found: ModelPolicy, c: Omit<AccessCase, 'expect' | 'name'>, inGroup: (name: string) => boolean): AccessOutcome {
  if (!found.breakGlassGroup) return { outcome: 'refused', code: 'no_break_glass', reason: `${found.policy.target.name} does not allow break-glass` };
  if (!inGroup(found.breakGlassGroup)) return { outcome: 'refused', code: 'not_break_glass', reason: `only members of ${found.breakGlassGroup} may break glass` };
  const longest = Math.min(found.policy.breakGlassMaxDurationSeconds ?? DEFAULT_BREAK_GLASS_SECONDS, model.cap);
  try {
    requestedDuration({ target: c.target, duration: c.duration ?? null }, { ...found.policy, defaultDurationSeconds: longest, maxDurationSeconds: longest }, model.cap);
  } catch (error) {
    if (!(error instanceof ElevateError)) throw error;
    return { outcome: 'refused', code: 'max' in error.details ? 'duration_too_long' : 'invalid_duration', reason: error.message };
  }
  if (!c.reason?.trim()) return { outcome: 'refused', code: 'reason_required', reason: 'break-glass needs a reason' };
  return { outcome: 'break-glass' };
}

/** Whether an actual outcome is the expected one (a refusal's text is not compared, only its code). */
export function sameOutcome(expected: AccessOutcome, actual: AccessOutcome): boolean {
  if (expected.outcome !== actual.outcome) return false;
  if (expected.outcome === 'approval' && actual.outcome === 'approval') {
    return expected.group.toLowerCase() === actual.group.toLowerCase() && expected.count === actual.count;
  }
  if (expected.outcome === 'refused' && actual.outcome === 'refused') return expected.code === actual.code;
  return true;
}

/** `approval (approvers, 2)`, `refused (not_eligible)`, `auto`. */
export function describeOutcome(outcome: AccessOutcome): string {
  switch (outcome.outcome) {
    case 'auto': return 'auto';
    case 'break-glass': return 'break-glass';
    case 'approval': return `approval (${outcome.group}, ${outcome.count})`;
    case 'refused': return `refused (${outcome.code})`;
  }
}

/** Checks a case's shape (bounded, known codes) before it runs. */
export function checkCase(c: AccessCase, index: number): void {
  if (c.expect.outcome === 'refused' && !REFUSAL_CODES.includes(c.expect.code)) {
    throw new InvalidInputError(`case ${index + 1}: refusal code "${c.expect.code}" is unknown: use one of ${REFUSAL_CODES.join(', ')}`, { field: 'code' });
  }
}
