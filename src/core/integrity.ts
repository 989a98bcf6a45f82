import type { EngineContext } from './context.js';
import { IntegrityViolation } from './errors.js';
import type { AccessRequest, Grant } from './model.js';
import { verifyGrantSignature, verifyRequestSignature } from './signature.js';

/**
 * Before a use case relies on a request or a grant, its signature must still match it
 * (DESIGN rule 10): throws IntegrityViolation otherwise, which `runChange` audits and alerts.
 */
export function requireIntact(ctx: Pick<EngineContext, 'config'>, record: AccessRequest | Grant): void {
  if ('requesterId' in record) {
    if (!verifyRequestSignature(ctx.config.keys.signing, record)) throw new IntegrityViolation({ kind: 'request', id: record.id });
  } else if (!verifyGrantSignature(ctx.config.keys.signing, record)) {
    throw new IntegrityViolation({ kind: 'grant', id: record.id });
  }
}

/** Whether a record is as Elevate signed it (for passes that close records whatever their state). */
export function isIntact(ctx: Pick<EngineContext, 'config'>, record: AccessRequest | Grant): boolean {
  return 'requesterId' in record ? verifyRequestSignature(ctx.config.keys.signing, record) : verifyGrantSignature(ctx.config.keys.signing, record);
}
