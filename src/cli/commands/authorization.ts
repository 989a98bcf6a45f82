import { Command, Option } from 'commander';
import { GRANT_STATUSES, type GrantStatus } from '../../core/model.js';
import { InvalidInputError } from '../../core/errors.js';
import { actorOf, globals, print, withEngine } from '../context.js';
import { table } from '../output.js';

export function authorizationCommand(): Command {
  const authorization = new Command('authorization').description('grants: who holds what, until when');

  authorization.command('get').description('grants you may see')
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
            targets.flatMap((t) => t.holders.map((h) => [t.target.name, t.target.type, h.identities[0] ?? h.principalId, h.grantId, h.since, h.until, h.hook, h.hookState]))));
          return;
        }
        const grants = await engine.elevate.listGrants(await actorOf(engine, globals(command)), {
          principal: options.principal, target: options.target, status: options.status, limit: Number(options.limit) || 100,
        });
        const holders = await engine.store.read((tx) => tx.getPrincipals([...new Set(grants.map((g) => g.principalId))]));
        const names = new Map(holders.map((p) => [p.id, p.identities[0] ?? p.id]));
        print(globals(command), grants, () => table(['GRANT', 'HOLDER', 'TARGET', 'TYPE', 'STATUS', 'FROM', 'UNTIL', 'REQUEST'],
          grants.map((g) => [g.id, names.get(g.principalId), g.target.name, g.target.type, g.status, g.startsAt, g.endedAt ?? g.endsAt, g.requestId])));
      });
    });

  authorization.command('check').argument('<principal>').argument('<target>')
    .description('exit 0 when the principal holds the target now, 1 otherwise')
    .action(async (principal: string, target: string, _options: unknown, command: Command) => {
      await withEngine(async (engine) => {
        const result = engine.elevate.checkAuthorization(principal, target);
        print(globals(command), result, () => result.allowed ? `allowed until ${result.endsAt} (grant ${result.grantId})` : 'not allowed');
        process.exitCode = result.allowed ? 0 : 1;
      });
    });

  for (const [verb, description] of [['revoke', 'end a grant now (approvers and admins)'], ['relinquish', 'give access back early (the holder, --as)']] as const) {
    authorization.command(verb).argument('<grant>').option('--comment <text>').description(description)
      .action(async (grantId: string, options: { comment?: string }, command: Command) => {
        await withEngine(async (engine) => {
          const actor = await actorOf(engine, globals(command));
          const input = { grantId, comment: options.comment };
          const grant = verb === 'revoke' ? await engine.elevate.revokeGrant(actor, input) : await engine.elevate.relinquishGrant(actor, input);
          print(globals(command), grant, () => `grant ${grant.id} ${grant.status} at ${grant.endedAt}`);
        });
      });
  }

  authorization.command('extend').argument('<grant>').argument('<duration>', 'how long from approval, e.g. 2h')
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
