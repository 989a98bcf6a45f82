import { Command, Option } from 'commander';
import { GRANT_STATUSES, type GrantStatus } from '../../core/model.js';
import { InvalidInputError } from '../../core/errors.js';
import { describePerson } from '../../core/people.js';
import { parsePrincipalRef } from '../../core/principals.js';
import { parseTarget } from '../../core/targets.js';
import { example, EXIT } from '../contract.js';
import { actorOf, globals, peopleNames, print, withEngine } from '../context.js';
import { table } from '../output.js';

export function authorizationCommand(): Command {
  const authorization = new Command('authorization').description('grants: who holds what, until when');

  example(authorization.command('get').description('grants you may see'),
    "elevate authorization get --target 'Exchange\\Search-Mailbox'", 'elevate authorization get --effective')
    .option('--principal <principal>').option('--target <Scope\\Name>')
    .addOption(new Option('--status <status>').choices([...GRANT_STATUSES]).default('active'))
    .option('--limit <n>', 'at most this many', '100')
    .option('--effective', 'who holds each target now, with provisioning hook state (includes holders whose end hook has not succeeded)')
    .action(async (options: { principal?: string; target?: string; status: GrantStatus; limit: string; effective?: boolean }, command: Command) => {
      await withEngine(async (engine) => {
        if (options.effective) {
          if (options.principal) throw new InvalidInputError('--effective lists every holder of each target: filter with --target only', { field: 'principal' });
          const targets = await engine.elevate.effectiveHolders(await actorOf(engine, globals(command)), { target: options.target });
          print(globals(command), targets, () => table(['TARGET', 'TYPE', 'HOLDER', 'GRANT', 'SINCE', 'UNTIL', 'HOOK', 'HOOK STATE'],
            targets.flatMap((t) => t.holders.map((h) => [t.target.name, t.target.type,
              describePerson({ id: h.principalId, identities: h.identities, displayName: h.displayName, email: null, emails: [] }, h.principalId),
              h.grantId, h.since, h.until, h.hook, h.hookState]))));
          return;
        }
        const grants = await engine.elevate.listGrants(await actorOf(engine, globals(command)), {
          principal: options.principal, target: options.target, status: options.status, limit: Number(options.limit) || 100,
        });
        const names = await peopleNames(engine, grants.map((g) => g.principalId));
        print(globals(command), grants, () => table(['GRANT', 'HOLDER', 'TARGET', 'TYPE', 'STATUS', 'FROM', 'UNTIL', 'REQUEST'],
          grants.map((g) => [g.id, names.get(g.principalId), g.target.name, g.target.type, g.breakGlass ? `${g.status} (break-glass)` : g.status, g.startsAt, g.endedAt ?? g.endsAt, g.requestId])));
      });
    });

  example(authorization.command('check').argument('<principal>', 'slack:U…, teams:… or a linked email').argument('<target>', 'Scope\\Name')
    .description('exit 0 when the principal holds the target now, 1 when not (2: the question itself is wrong)')
    .action(async (principal: string, target: string, _options: unknown, command: Command) => {
      // A malformed question is an error (exit 2), never a "no" a script would take for an answer.
      try {
        parsePrincipalRef(principal);
      } catch {
        throw new InvalidInputError(`"${principal}" is not a principal: write slack:U0123ABCD, teams:<Entra object id> or a linked email address`, { field: 'principal' });
      }
      parseTarget('task', target);
      await withEngine(async (engine) => {
        const result = engine.elevate.checkAuthorization(principal, target);
        print(globals(command), result, () => result.allowed ? `allowed until ${result.endsAt} (grant ${result.grantId}${result.breakGlass ? ', break-glass' : ''})` : 'not allowed');
        process.exitCode = result.allowed ? EXIT.done : EXIT.no;
      });
    }), "elevate authorization check slack:U0123ABCD 'Exchange\\Search-Mailbox' && echo allowed");

  for (const [verb, description] of [['revoke', 'end a grant now (approvers and admins)'], ['relinquish', 'give access back early (the holder, --as)']] as const) {
    example(authorization.command(verb).argument('<grant>').option('--comment <text>').description(description),
      verb === 'revoke' ? "elevate authorization revoke G-7K3Q9ABC --comment 'incident closed'" : 'elevate --as slack:U0123ABCD authorization relinquish G-7K3Q9ABC')
      .action(async (grantId: string, options: { comment?: string }, command: Command) => {
        await withEngine(async (engine) => {
          const actor = await actorOf(engine, globals(command));
          const input = { grantId, comment: options.comment };
          const grant = verb === 'revoke' ? await engine.elevate.revokeGrant(actor, input) : await engine.elevate.relinquishGrant(actor, input);
          print(globals(command), grant, () => `grant ${grant.id} ${grant.status} at ${grant.endedAt}`);
        });
      });
  }

  example(authorization.command('extend').argument('<grant>').argument('<duration>', 'how long from approval, e.g. 2h'),
    "elevate --as slack:U0123ABCD authorization extend G-7K3Q9ABC 1h --reason 'INC-42 still open'")
    .option('--reason <text>').option('--ticket <id>').description('ask for more time (the holder, --as); decided like a request')
    .action(async (grantId: string, duration: string, options: { reason?: string; ticket?: string }, command: Command) => {
      await withEngine(async (engine) => {
        const outcome = await engine.elevate.extendGrant(await actorOf(engine, globals(command)), { grantId, duration, ...options });
        print(globals(command), outcome, () => outcome.grant
          ? `extended: access until ${outcome.grant.endsAt}`
          : `request ${outcome.request.id} ${outcome.existing ? 'already pending' : 'created'}: waiting for approval`);
      });
    });
  return authorization;
}
