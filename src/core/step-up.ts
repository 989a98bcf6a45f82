import type { Change, EngineConfig } from './context.js';
import { InvalidInputError, NotAllowedError } from './errors.js';
import { formatDuration } from './duration.js';
import type { AccessRequest, Approval, Policy } from './model.js';
import type { Actor } from './ports.js';
import { secondsBetween, type Instant } from './time.js';

/**
 * Step-up approvals: for the riskiest targets an approver proves a fresh sign-in with the
 * company's identity provider, not only a click. Such an approval is accepted only from a web
 * console session whose latest authentication at the identity provider is younger than
 * `maxAgeSeconds` (and, when `acrValues` is set, whose `acr` is one of them); chat, the CLI and
 * the API are told to approve in the browser. Denying never needs it: it only takes access away.
 */
export interface StepUpSettings {
  /** An identity provider is configured (ELEVATE_OIDC_ISSUER); without one nothing can step up. */
  available: boolean;
  /** ELEVATE_STEP_UP_MAX_AGE: how recent the sign-in must be. */
  maxAgeSeconds: number;
  /** ELEVATE_STEP_UP_ACR: accepted `acr` values; empty: any. */
  acrValues: string[];
}

/** What the decision's audit record says about the sign-in it relied on. */
export interface StepUpProof {
  authTime: Instant;
  acr: string | null;
}

// Clocks of the identity provider and Elevate differ a little: an auth_time up to this far in
// Elevate's future is taken as "just now" rather than refused.
const CLOCK_SKEW_SECONDS = 60;

/**
 * Does approving this request need a step-up? When its policy says so, and always for protected
 * configuration changes (Elevate\Configuration) once an identity provider is configured.
 */
export function stepUpRequired(config: Pick<EngineConfig, 'stepUp'>, request: AccessRequest, policy: Policy | undefined): boolean {
  if (request.change) return config.stepUp?.available === true;
  return policy?.approvalStepUp === true;
}

/** The request's page in the web console, when its address is configured. */
export function requestPageUrl(config: Pick<EngineConfig, 'publicUrl'>, requestId: string): string | null {
  return config.publicUrl ? `${config.publicUrl}/requests/${encodeURIComponent(requestId)}` : null;
}

/** Checks a policy's step-up field: it needs an identity provider and approvals by people. */
export function checkStepUpPolicy(config: Pick<EngineConfig, 'stepUp'>, approval: Approval, approvalStepUp: boolean): void {
  if (!approvalStepUp) return;
  if (approval !== 'manual') {
    throw new InvalidInputError('step-up applies to approvals by people: use it with --approval manual', { field: 'approvalStepUp' });
  }
  if (config.stepUp?.available !== true) {
    throw new InvalidInputError(
      'step-up approvals need the company identity provider: set ELEVATE_OIDC_ISSUER (and the other ELEVATE_OIDC_ variables) first',
      { field: 'approvalStepUp' },
    );
  }
}

/**
 * Refuses an approval that needs a step-up the actor has not made; returns what the audit
 * record should say about the sign-in it relied on (null when no step-up is needed).
 * Throws NotAllowedError whose `details.stepUp` says what is missing: `browser` (not a web
 * session signed in with the identity provider), `stale` (sign in again), `acr` (sign in with a
 * stronger method), `unavailable` (no identity provider is configured).
 */
export async function requireStepUp(change: Change, request: AccessRequest): Promise<StepUpProof | null> {
  const policy = request.policyId ? await change.tx.getPolicy(request.policyId) : undefined;
  const config = change.ctx.config;
  if (!stepUpRequired(config, request, policy)) return null;
  const settings = config.stepUp;
  const page = requestPageUrl(config, request.id);
  const where = page ? `in the browser: ${page}` : 'in the Elevate web console';
  if (!settings?.available) {
    throw new NotAllowedError(
      `request ${request.id} needs a step-up approval, but no identity provider is configured (ELEVATE_OIDC_ISSUER): ask an admin`,
      { stepUp: 'unavailable' },
    );
  }
  const signIn = signInOf(change.actor);
  if (!signIn || signIn.method !== 'oidc') {
    throw new NotAllowedError(`approving request ${request.id} needs a fresh sign-in (step-up): approve it ${where}`, { stepUp: 'browser', url: page });
  }
  const age = secondsBetween(signIn.authTime, change.now);
  if (!Number.isFinite(age) || age > settings.maxAgeSeconds || age < -CLOCK_SKEW_SECONDS) {
    throw new NotAllowedError(
      `approving request ${request.id} needs a sign-in within the last ${formatDuration(settings.maxAgeSeconds)}: sign in again, then approve`,
      { stepUp: 'stale', maxAgeSeconds: settings.maxAgeSeconds },
    );
  }
  if (settings.acrValues.length > 0 && (signIn.acr === null || !settings.acrValues.includes(signIn.acr))) {
    throw new NotAllowedError(
      `approving request ${request.id} needs a sign-in of a stronger kind (${settings.acrValues.join(' or ')}): sign in again, then approve`,
      { stepUp: 'acr', acrValues: settings.acrValues },
    );
  }
  return { authTime: signIn.authTime, acr: signIn.acr };
}

function signInOf(actor: Actor) {
  return actor.kind === 'principal' && actor.origin === 'web' ? actor.signIn : undefined;
}
