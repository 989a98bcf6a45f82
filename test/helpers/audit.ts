import type { Elevate } from '../../src/core/elevate.js';
import type { AuditFilter, Store } from '../../src/core/ports.js';

/**
 * The audit records matching `filter` once everything committed is linked into the chain: on
 * PostgreSQL records are linked after commit (by a chainer every 100 ms), so a test reading the
 * log right after a change settles it first, as `audit verify` does.
 */
export async function settledAudit(engine: { elevate: Elevate; store: Pick<Store, 'listAudit'> }, filter: AuditFilter) {
  await engine.elevate.chainAudit();
  return engine.store.listAudit(filter);
}
