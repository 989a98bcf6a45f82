import { Command } from 'commander';
import { example } from '../contract.js';
import { actorOf, globals, peopleNames, print, withEngine } from '../context.js';
import { groupMembership } from '../membership.js';
import { keyValues, table } from '../output.js';
import { describeOutcome } from './policy.js';

export function groupCommand(): Command {
  const group = new Command('group').description('approver groups, admins and auditors');

  example(group.command('new').argument('<name>').description('create a group')
    .option('--description <text>')
    .option('--directory <ref>', 'link to a platform group instead: slack:<user group id> or teams:<group id>')
    .action(async (name: string, options: { description?: string; directory?: string }, command: Command) => {
      await withEngine(async (engine) => {
        const outcome = await engine.elevate.createGroup(await actorOf(engine, globals(command)), name, {
          description: options.description ?? null, directoryRef: options.directory ?? null,
        });
        print(globals(command), outcome, () => describeOutcome(outcome));
      });
    }), 'elevate group new approvers', 'elevate group new oncall --directory slack:S0123ABCD');

  for (const [verb, add] of [['add-member', true], ['remove-member', false]] as const) {
    example(group.command(verb).argument('<group>').argument('<principal>', 'slack:U…, teams:… or a linked email')
      .description(add ? 'add a member' : 'remove a member (refused when a policy it decides would be left short of approvers)')
      .action(async (name: string, member: string, _options: unknown, command: Command) => {
        await withEngine(async (engine) => {
          const actor = await actorOf(engine, globals(command));
          const outcome = add ? await engine.elevate.addGroupMember(actor, name, member) : await engine.elevate.removeGroupMember(actor, name, member);
          print(globals(command), outcome, () => describeOutcome(outcome));
        });
      }), `elevate group ${verb} approvers slack:U0123ABCD`);
  }

  example(group.command('get').argument('[name]').description('show groups; with a name, its members: who, since when, added by whom')
    .action(async (name: string | undefined, _options: unknown, command: Command) => {
      await withEngine(async (engine) => {
        if (name) {
          const { group: found, members } = await groupMembership(engine, name);
          print(globals(command), { ...found, members }, () => [
            keyValues([['name', found.name], ['description', found.description], ['source', found.directoryRef ?? 'elevate']]),
            found.source === 'directory'
              ? `members   (resolved from ${found.directoryRef ?? 'the platform'})`
              : table(['MEMBER', 'SINCE', 'ADDED BY'], members.map((m) => [m.name, m.since, m.addedBy])),
          ].join('\n'));
          return;
        }
        const groups = await engine.elevate.listGroups();
        const ids = await engine.store.read(async (tx) => new Map(await Promise.all(groups.map(async (g) => [g.id, await tx.listGroupMemberIds(g.id)] as const))));
        const names = await peopleNames(engine, [...ids.values()].flat());
        print(globals(command), groups, () => table(['GROUP', 'SOURCE', 'MEMBERS'],
          groups.map((g) => [g.name, g.directoryRef ?? 'elevate', g.source === 'directory' ? '(platform)' : (ids.get(g.id) ?? []).map((id) => names.get(id) ?? id).sort().join(', ')])));
      });
    }), 'elevate group get', 'elevate group get admins');
  return group;
}
