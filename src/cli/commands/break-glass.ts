import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { formatDuration } from '../../core/duration.js';
import { InvalidInputError } from '../../core/errors.js';
import type { BreakGlassReviewStatus } from '../../core/model.js';
import type { Actor } from '../../core/ports.js';
import type { BreakGlassInput } from '../../core/use-cases/break-glass.js';
import { example } from '../contract.js';
import type { Engine } from '../../main.js';
import { actorOf, globals, peopleNames, print, withEngine } from '../context.js';
import { table } from '../output.js';

/** The word a person types to confirm break-glass (or `--yes`). */
export const CONFIRM_WORD = 'break-glass';

/** Reads one line from standard input (a terminal or a pipe); empty when it ends first. */
async function readLine(prompt: string): Promise<string> {
  const lines = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY === true });
  try {
    const answer = lines.question(prompt);
    const ended = new Promise<string>((resolve) => lines.once('close', () => resolve('')));
    return await Promise.race([answer, ended]);
  } finally {
    lines.close();
  }
}

/**
 * `request new … --break-glass`: says who will be alerted and how long access lasts at most, then
 * asks for the confirmation word unless `--yes` (the core refuses anything unconfirmed).
 */
export async function breakGlassFromCli(engine: Engine, actor: Actor, input: Omit<BreakGlassInput, 'confirmed'>, yes: boolean) {
  const preview = await engine.elevate.previewBreakGlass(actor, input.target);
  if (!yes) {
    process.stderr.write(`Break-glass on ${preview.target}: access at once for at most ${formatDuration(preview.maxSeconds)}, without approval.\n`
      + `It alerts ${preview.alerted} now, and the approvers review it within ${formatDuration(preview.reviewSeconds)}. `
      + `Uses left today: ${preview.usesLeft} of ${preview.perDay}.\n`);
    const typed = (await readLine(`Type ${CONFIRM_WORD} to confirm: `)).trim().toLowerCase();
    if (typed !== CONFIRM_WORD) {
      throw new InvalidInputError(`not confirmed: type ${CONFIRM_WORD} when asked, or pass --yes; nothing was done`, { field: 'confirmed' });
    }
  }
  return engine.elevate.breakGlass(actor, { ...input, confirmed: true });
}

export function breakGlassCommand(): Command {
  const breakGlass = new Command('break-glass').description('break-glass uses (request new … --break-glass) and their review by the approvers');

  example(breakGlass.command('review').argument('<grant>', 'the break-glass grant').description('acknowledge or flag a break-glass use (approvers of its policy, admins)')
    .addOption(new Option('--ack', 'the use was justified').conflicts('flag'))
    .addOption(new Option('--flag <comment>', 'the use was not justified: say why (the admins are told)'))
    .action(async (grantId: string, options: { ack?: boolean; flag?: string }, command: Command) => {
      if (!options.ack && options.flag === undefined) throw new InvalidInputError('say --ack or --flag "<comment>"', { field: 'verdict' });
      await withEngine(async (engine) => {
        const use = await engine.elevate.reviewBreakGlass(await actorOf(engine, globals(command)), {
          grantId, verdict: options.ack ? 'acknowledge' : 'flag', comment: options.flag ?? null,
        });
        print(globals(command), use, () => `break-glass use of ${use.targetName} (grant ${use.grantId}) ${use.status}`);
      });
    }), 'elevate --as slack:U0123ABCD break-glass review G-7K3Q9ABC --ack', 'elevate --as slack:U0123ABCD break-glass review G-7K3Q9ABC --flag "no incident INC-42"');

  example(breakGlass.command('list').description('break-glass uses you may see, newest first')
    .addOption(new Option('--status <status>').choices(['pending', 'acknowledged', 'flagged']))
    .option('--limit <n>', 'at most this many', '100')
    .action(async (options: { status?: BreakGlassReviewStatus; limit: string }, command: Command) => {
      await withEngine(async (engine) => {
        const uses = await engine.elevate.listBreakGlassUses(await actorOf(engine, globals(command)), { status: options.status, limit: Number(options.limit) || 100 });
        const names = await peopleNames(engine, uses.flatMap((u) => [u.principalId, ...(u.reviewedBy ? [u.reviewedBy] : [])]));
        print(globals(command), uses, () => table(['GRANT', 'HOLDER', 'TARGET', 'USED', 'UNTIL', 'REASON', 'REVIEW', 'BY', 'COMMENT', 'REVIEW DUE'],
          uses.map((u) => [u.grantId, names.get(u.principalId), u.targetName, u.usedAt, u.endsAt, u.reason, u.status,
            u.reviewedBy ? names.get(u.reviewedBy) ?? u.reviewedBy : null, u.reviewComment, u.reviewDueAt])));
      });
    }), 'elevate break-glass list --status flagged');
  return breakGlass;
}
