import { Change, type EngineContext } from '../context.js';

/**
 * What the web console audits on its own (no use case does): signing in and out, and refused
 * attempts that never reach a use case (a form without its CSRF token, an unknown or expired
 * session acting, a failed sign-in).
 */
export interface WebEvent {
  action: 'web.signedIn' | 'web.signedOut' | 'web.refused';
  /** The person, when known. */
  principalId: string | null;
  /** The identity that signed in (`oidc:<subject>`), or the page acted on. */
  subject: string;
  details: Record<string, unknown>;
}

/** Audits one web console event in its own transaction. */
export async function recordWebEvent(ctx: EngineContext, event: WebEvent): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const actor = event.principalId
      ? { kind: 'principal' as const, principalId: event.principalId, origin: 'web' as const }
      : { kind: 'system' as const, origin: 'web' as const };
    const change = new Change(tx, ctx, actor);
    change.audit(event.action, event.subject, event.details);
    await change.flush();
  });
}
