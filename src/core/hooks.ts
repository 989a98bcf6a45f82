import type { Change, EngineConfig, EngineContext } from './context.js';
import { InvalidInputError } from './errors.js';
import type { Grant, GrantStatus, Target, TargetType } from './model.js';
import type { Instant } from './time.js';

/** The platform and delivery kind of provisioning hook calls in the outbox. */
export const HOOK_PLATFORM = 'hook';

// Defaults of EngineConfig.hookMaxAttempts / hookAlertAfter (README: ELEVATE_HOOK_*).
export const DEFAULT_HOOK_MAX_ATTEMPTS = 10;
export const DEFAULT_HOOK_ALERT_AFTER = 5;

export type HookEventType = 'grant.start' | 'grant.end';

/**
 * The JSON body a provisioning hook receives (webhook body, command stdin). `id` is stable
 * across retries (`<grant id>:start`, `<grant id>:end`): receivers deduplicate on it.
 * The window is the grant's as of the event: extensions send no new start event.
 */
export interface HookEvent {
  id: string;
  event: HookEventType;
  grant: { id: string; status: GrantStatus; startsAt: Instant; endsAt: Instant; endedAt: Instant | null };
  principal: { id: string; identities: string[]; email: string | null };
  target: Target;
  policyId: string;
  /** Why access ended (`expired`, `revoked`, `relinquished`, `failed`); null for a start. */
  reason: string | null;
  occurredAt: Instant;
}

/** Target types whose grants may run hooks: roles are assigned and removed; tasks are checked. */
const HOOKED_TYPES: readonly TargetType[] = ['role', 'roleGroup'];

/**
 * Checks the hook a policy names: null, or a hook the server configuration defines, on a role
 * or role-group policy. Returns it trimmed.
 */
export function checkPolicyHook(config: Pick<EngineConfig, 'hooks'>, targetType: TargetType, hook: string | null | undefined): string | null {
  const name = hook?.trim() || null;
  if (name === null) return null;
  if (!HOOKED_TYPES.includes(targetType)) {
    throw new InvalidInputError(`hooks run for role and role group policies only; a ${targetType} policy cannot name hook ${name}`, { field: 'hook' });
  }
  const known = config.hooks ?? [];
  if (!known.includes(name)) {
    const list = known.length > 0 ? `known hooks: ${known.join(', ')}` : 'the server defines no hooks (ELEVATE_HOOKS)';
    throw new InvalidInputError(`unknown hook "${name}": ${list}`, { field: 'hook', known });
  }
  return name;
}

export function hookEventId(grantId: string, event: HookEventType): string {
  return `${grantId}:${event === 'grant.start' ? 'start' : 'end'}`;
}

/**
 * Queues the call of the grant's hook for its start or end in this change's transaction (so a
 * committed grant change always has its hook call, even across a crash). No-op without a hook.
 */
export async function queueHookCall(change: Change, grant: Grant, event: HookEventType): Promise<void> {
  if (!grant.hook) return;
  const principal = await change.tx.getPrincipal(grant.principalId);
  const body: HookEvent = {
    id: hookEventId(grant.id, event),
    event,
    grant: { id: grant.id, status: grant.status, startsAt: grant.startsAt, endsAt: grant.endsAt, endedAt: grant.endedAt },
    principal: { id: grant.principalId, identities: principal?.identities ?? [], email: principal?.email ?? null },
    target: grant.target,
    policyId: grant.policyId,
    reason: event === 'grant.end' ? grant.status : null,
    occurredAt: change.now,
  };
  change.deliver({ platform: HOOK_PLATFORM, destination: { kind: 'hook', hook: grant.hook, event: body }, kind: 'hook.call', cardKey: null, card: null });
  change.audit('hook.queued', body.id, { hook: grant.hook, event, grantId: grant.id });
}

/** The hook a new grant under this policy runs, if any (tasks never do). */
export function hookForGrant(policy: { hook: string | null }, target: Target): string | null {
  return policy.hook && HOOKED_TYPES.includes(target.type) ? policy.hook : null;
}

/** Whether a queued hook call should still be made: a start only while its grant is active. */
export async function hookCallWanted(ctx: EngineContext, event: HookEvent): Promise<boolean> {
  if (event.event !== 'grant.start') return true;
  return ctx.store.read(async (tx) => (await tx.getGrant(event.grant.id))?.status === 'active');
}
