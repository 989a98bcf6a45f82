import { runChange, type EngineContext } from '../context.js';
import { NotAllowedError } from '../errors.js';
import type { Actor } from '../ports.js';

/**
 * Audits `elevate key rotate` (the key file itself is changed by the CLI, outside the database):
 * which new keys sign from now on. Only the operator at the server's console may rotate keys.
 */
export async function recordKeyRotation(ctx: EngineContext, actor: Actor, added: Array<{ kind: 'signing' | 'audit'; id: string }>): Promise<void> {
  await runChange(ctx, actor, { action: 'key.rotate', subject: 'keys' }, async (change) => {
    if (actor.kind !== 'operator') throw new NotAllowedError('only the operator (the elevate CLI on the server, without --as) may rotate keys');
    change.audit('key.rotated', 'keys', { added });
  });
}
