import { Command } from 'commander';
import { actorOf, globals, print, withEngine } from '../context.js';
import { keyValues, table } from '../output.js';
import { describeOutcome } from './policy.js';
import { example } from '../contract.js';

export function principalCommand(): Command {
  const principal = new Command('principal').description('people and their accounts: who is linked to whom, and how');

  example(principal.command('get').argument('<principal>', 'slack:U…, teams:…, a verified email or a principal id (P-…)')
    .description('a person, each account with its verified address and how it was linked, and what they hold'),
  'elevate principal get slack:U0123ABCD', 'elevate principal get erin@example.com')
    .action(async (ref: string, _options: unknown, command: Command) => {
      await withEngine(async (engine) => {
        const details = await engine.elevate.getPrincipal(await actorOf(engine, globals(command)), ref);
        print(globals(command), details, () => `${keyValues([
          ['principal', details.id], ['name', details.displayName], ['email', details.email],
          ['holds', details.holds.join('; ') || 'nothing'],
        ])}\n\n${table(['ACCOUNT', 'VERIFIED EMAIL', 'LINKED BY', 'SINCE'], details.accounts.map((a) => [a.identity, a.email, a.linkedBy, a.updatedAt ?? a.addedAt]))}`);
      });
    });

  example(principal.command('list').option('--limit <n>', 'at most this many', '1000').description('every person with an account (admins, auditors)'),
    'elevate principal list --json')
    .action(async (options: { limit: string }, command: Command) => {
      await withEngine(async (engine) => {
        const all = await engine.elevate.listPrincipals(await actorOf(engine, globals(command)), { limit: Number(options.limit) || 1000 });
        print(globals(command), all, () => table(['PRINCIPAL', 'NAME', 'ACCOUNTS', 'EMAILS', 'HOLDS'],
          all.map((p) => [p.id, p.displayName, p.identities.join(', '), p.emails.join(', '), p.holds.join('; ') || '—'])));
      });
    });

  example(principal.command('link').argument('<principal>', 'the person: slack:U…, teams:…, a verified email or P-…').argument('<identity>', 'the account to add: slack:U…, teams:… or oidc:…')
    .description('link an account to a person (protected configuration applies); its current principal must hold nothing'),
  'elevate principal link slack:U0123ABCD teams:6f1c2d9e-0000-4000-8000-000000000000')
    .action(async (ref: string, identity: string, _options: unknown, command: Command) => {
      await withEngine(async (engine) => {
        const outcome = await engine.elevate.linkPrincipal(await actorOf(engine, globals(command)), ref, identity);
        print(globals(command), outcome, () => describeOutcome(outcome));
      });
    });

  example(principal.command('unlink').argument('<identity>', 'the account to separate: slack:U…, teams:… or oidc:…')
    .description('separate an account from its person: it becomes a person of its own, holding nothing (protected configuration applies)'),
  'elevate principal unlink teams:6f1c2d9e-0000-4000-8000-000000000000')
    .action(async (identity: string, _options: unknown, command: Command) => {
      await withEngine(async (engine) => {
        const outcome = await engine.elevate.unlinkPrincipal(await actorOf(engine, globals(command)), identity);
        print(globals(command), outcome, () => describeOutcome(outcome));
      });
    });
  return principal;
}
