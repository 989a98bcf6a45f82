import { Command } from 'commander';
import { NotFoundError } from '../../core/errors.js';
import { actorOf, globals, print, withEngine } from '../context.js';
import { keyValues, table } from '../output.js';
import { describeOutcome } from './policy.js';

export function groupCommand(): Command {
  const group = new Command('group').description('approver groups, admins and auditors');

  group.command('new').argument('<name>').description('create a group')
    .option('--description <text>')
    .option('--directory <ref>', 'link to a platform group instead: slack:<user group id> or teams:<group id>')
    .action(async (name: string, options: { description?: string; directory?: string }, command: Command) => {
      await withEngine(async (engine) => {
        const outcome = await engine.elevate.createGroup(await actorOf(engine, globals(command)), name, {
          description: options.description ?? null, directoryRef: options.directory ?? null,
        });
        print(globals(command), outcome, () => describeOutcome(outcome));
      });
    });

  for (const [verb, add] of [['add-member', true], ['remove-member', false]] as const) {
    group.command(verb).argument('<group>').argument('<principal>', 'slack:U…, teams:… or a linked email')
      .description(add ? 'add a member' : 'remove a member')
      .action(async (name: string, member: string, _options: unknown, command: Command) => {
        await withEngine(async (engine) => {
          const actor = await actorOf(engine, globals(command));
          const outcome = add ? await engine.elevate.addGroupMember(actor, name, member) : await engine.elevate.removeGroupMember(actor, name, member);
          print(globals(command), outcome, () => describeOutcome(outcome));
        });
      });
  }

  group.command('get').argument('[name]').description('show groups and their members')
    .action(async (name: string | undefined, _options: unknown, command: Command) => {
      await withEngine(async (engine) => {
        const groups = await engine.elevate.listGroups();
        if (name) {
          const found = groups.find((g) => g.name.toLowerCase() === name.toLowerCase());
          if (!found) throw new NotFoundError(`group "${name}" does not exist`);
          print(globals(command), found, () => keyValues([
            ['name', found.name], ['description', found.description], ['source', found.directoryRef ?? 'elevate'],
            ['members', found.source === 'directory' ? '(resolved from the platform)' : found.members.join(', ') || '(none)'],
          ]));
          return;
        }
        print(globals(command), groups, () => table(['GROUP', 'SOURCE', 'MEMBERS'],
          groups.map((g) => [g.name, g.directoryRef ?? 'elevate', g.source === 'directory' ? '(platform)' : g.members.join(', ')])));
      });
    });
  return group;
}
