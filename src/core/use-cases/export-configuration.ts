import { runChange, type EngineContext } from '../context.js';
import { currentDocument, type ConfigurationDocument } from '../configuration-document.js';
import { NotAllowedError } from '../errors.js';
import { seesEverything } from '../groups.js';
import type { Actor } from '../ports.js';

/**
 * The configuration as a document (admins and auditors): settings, every group with its members
 * and every policy, sorted, so exporting twice gives the same text. Read-only.
 */
export async function exportConfiguration(ctx: EngineContext, actor: Actor): Promise<ConfigurationDocument> {
  return runChange(ctx, actor, { action: 'configuration.export', subject: 'document' }, async (change) => {
    if (!(await seesEverything(change.tx, actor))) throw new NotAllowedError('only admins and auditors may export the configuration');
    return currentDocument(change);
  });
}
