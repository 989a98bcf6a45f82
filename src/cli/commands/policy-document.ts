import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { describePlan, type DocumentPlan } from '../../core/configuration-document.js';
import { ElevateError, InvalidInputError } from '../../core/errors.js';
import { describeOutcome, type AccessCaseResult } from '../../core/access-tests.js';
import { readAccessTests } from '../../policy-document/access-tests.js';
import { policyDocumentJsonSchema, readPolicyDocument, writePolicyDocument } from '../../policy-document/document.js';
import { applyPolicyDocument, planPolicyDocument } from '../../policy-document/run.js';
import { MAX_DOCUMENT_BYTES } from '../../policy-document/source.js';
import { example, EXIT } from '../contract.js';
import { actorOf, globals, print, warn, withEngine } from '../context.js';
import { jsonText, table, terminalSafe } from '../output.js';

/** `policy plan` exits with this when the document would change something (as `terraform plan -detailed-exitcode`). */
export const EXIT_CHANGES = 2;

/** Reads a document file (`-` for standard input), bounded. */
export async function readDocumentFile(path: string): Promise<string> {
  let text: string;
  try {
    if (path === '-') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of process.stdin) {
        size += (chunk as Buffer).length;
        if (size > MAX_DOCUMENT_BYTES) break;
        chunks.push(chunk as Buffer);
      }
      text = Buffer.concat(chunks).toString('utf8');
    } else {
      text = await readFile(path, 'utf8');
    }
  } catch (error) {
    throw new InvalidInputError(`cannot read ${path}: ${(error as Error).message}`, { field: 'file' });
  }
  return text;
}

/** The plan, one line per change, then a count. */
export function describePlanText(plan: Pick<DocumentPlan, 'items'>): string {
  if (plan.items.length === 0) return 'no changes: the configuration matches the document';
  const count = (change: string) => plan.items.filter((i) => i.change === change).length;
  return [...describePlan(plan), `${plan.items.length} change(s): ${count('added')} added, ${count('changed')} changed, ${count('removed')} removed`].join('\n');
}

function grantsOption(options: { endGrants?: boolean; keepGrants?: boolean }) {
  return options.endGrants ? { activeGrants: 'end' as const } : options.keepGrants ? { activeGrants: 'keep' as const } : {};
}

/** The results of access tests as a table, one row per case, with the line of the case in its file. */
export function describeAccessResults(results: AccessCaseResult[], lineOf: (index: number) => number): string {
  const failed = results.filter((r) => !r.pass).length;
  return [
    table(['LINE', 'CASE', 'EXPECTED', 'ACTUAL', 'RESULT'], results.map((r) => [
      lineOf(r.index), r.name, describeOutcome(r.expected), describeOutcome(r.actual), r.pass ? 'pass' : 'FAIL',
    ])),
    `${results.length} case(s): ${results.length - failed} passed, ${failed} failed`,
  ].join('\n');
}

/** `policy export`, `schema`, `plan`, `apply` and `test`: policies as code. */
export function addDocumentCommands(policy: Command): void {
  example(policy.command('export').description('write the groups, policies and settings as a policy document (YAML)'),
    'elevate policy export > elevate.yaml')
    .action(async (_options: unknown, command: Command) => {
      await withEngine(async (engine) => {
        const doc = await engine.elevate.exportConfiguration(await actorOf(engine, globals(command)));
        if (globals(command).json) print(globals(command), doc, () => '');
        else process.stdout.write(writePolicyDocument(doc));
      });
    });

  example(policy.command('schema').description('print the JSON Schema of the policy document (for editors and CI)'),
    'elevate policy schema > elevate.schema.json')
    .action(() => {
      process.stdout.write(`${jsonText(policyDocumentJsonSchema(), 2)}\n`);
    });

  example(policy.command('plan').description('show what applying a policy document would change; exit 0: nothing to change, 1: the document is refused, 2: changes')
    .requiredOption('-f, --file <path>', 'the policy document (- for standard input)')
    .action(async (options: { file: string }, command: Command) => {
      const text = await readDocumentFile(options.file);
      await withEngine(async (engine) => {
        let plan: DocumentPlan;
        try {
          plan = await planPolicyDocument(engine.elevate, await actorOf(engine, globals(command)), text, options.file);
        } catch (error) {
          // A refused document is a "no" (exit 1), so CI tells it from "changes" (exit 2).
          if (!(error instanceof ElevateError)) throw error;
          process.stderr.write(`error: ${terminalSafe(error.message, { keepNewlines: true })}\n`);
          process.exitCode = EXIT.no;
          return;
        }
        warn(plan.warnings);
        print(globals(command), plan, () => describePlanText(plan));
        if (plan.changes.length > 0) process.exitCode = EXIT_CHANGES;
      });
    }), 'elevate policy plan -f elevate.yaml');

  example(policy.command('test').description('run access tests: what requests would meet (auto, approval by whom, refused why); exit 1 on any mismatch')
    .requiredOption('-f, --file <path>', 'the access tests (YAML)')
    .option('--plan <path>', 'test against this policy document instead of the current configuration')
    .action(async (options: { file: string; plan?: string }, command: Command) => {
      const { cases, source } = readAccessTests(await readDocumentFile(options.file), options.file);
      const planned = options.plan ? readPolicyDocument(await readDocumentFile(options.plan), options.plan).document : undefined;
      await withEngine(async (engine) => {
        const results = await engine.elevate.runAccessTests(await actorOf(engine, globals(command)), cases, planned);
        print(globals(command), results, () => describeAccessResults(results, (i) => source.lineOf(['cases', i])));
        if (results.some((r) => !r.pass)) process.exitCode = EXIT.no;
      });
    }), 'elevate policy test -f access-tests.yaml', 'elevate policy test -f access-tests.yaml --plan elevate.yaml');

  example(policy.command('apply').description('apply a policy document as one change (protected configuration: one request for another admin)')
    .requiredOption('-f, --file <path>', 'the policy document (- for standard input)')
    .addOption(new Option('--end-grants', 'revoke the active grants of removed policies now').conflicts('keepGrants'))
    .addOption(new Option('--keep-grants', 'let the active grants of removed policies run to their end'))
    .addHelpText('after', '\nRemoving a policy with active grants needs --end-grants or --keep-grants.')
    .action(async (options: { file: string; endGrants?: boolean; keepGrants?: boolean }, command: Command) => {
      const text = await readDocumentFile(options.file);
      await withEngine(async (engine) => {
        const outcome = await applyPolicyDocument(engine.elevate, await actorOf(engine, globals(command)), text, options.file, grantsOption(options));
        if (outcome.status !== 'unchanged') warn(outcome.warnings);
        print(globals(command), outcome, () => {
          if (outcome.status === 'unchanged') return describePlanText(outcome.plan);
          const plan = describePlanText(outcome.plan);
          return outcome.status === 'applied'
            ? `${plan}\ndone: applied`
            : `${plan}\nprotected configuration: request ${outcome.request.id} is waiting for another admin to approve this plan`;
        });
      });
    }), 'elevate policy apply -f elevate.yaml');
}
