import { runChange, type EngineContext } from '../context.js';
import { buildAccessModel, checkCase, decideCase, sameOutcome, type AccessCase, type AccessCaseResult } from '../access-tests.js';
import { currentDocument, type ConfigurationDocument } from '../configuration-document.js';
import { InvalidInputError, NotAllowedError } from '../errors.js';
import { seesEverything } from '../groups.js';
import type { Actor } from '../ports.js';

// A test file for a pre-commit hook holds hundreds of cases; far more is a mistake (DESIGN rule 11).
export const MAX_ACCESS_CASES = 20_000;

/**
 * Runs access tests (admins and auditors) against the current configuration, or against a
 * planned document (its sections replace the current ones). Read-only, nothing audited; each
 * case says what a request would meet now: `auto`, `approval` (group, count) or `refused` (code).
 */
export async function runAccessTests(
  ctx: EngineContext, actor: Actor, cases: AccessCase[], planned?: ConfigurationDocument,
): Promise<AccessCaseResult[]> {
  if (cases.length > MAX_ACCESS_CASES) throw new InvalidInputError(`at most ${MAX_ACCESS_CASES} cases per run`, { field: 'cases' });
  cases.forEach(checkCase);
  return runChange(ctx, actor, { action: 'configuration.test', subject: 'access tests' }, async (change) => {
    if (!(await seesEverything(change.tx, actor))) throw new NotAllowedError('only admins and auditors may run access tests');
    const current = await currentDocument(change);
    const doc = {
      settings: { ...current.settings, ...planned?.settings },
      groups: planned?.groups ?? current.groups ?? [],
      policies: planned?.policies ?? current.policies ?? [],
    };
    const model = await buildAccessModel(change, doc, cases.flatMap((c) => (c.person ? [c.person] : [])));
    return cases.map((c, index) => {
      const actual = decideCase(model, c);
      return { index, name: c.name ?? `case ${index + 1}`, expected: c.expect, actual, pass: sameOutcome(c.expect, actual) };
    });
  });
}
