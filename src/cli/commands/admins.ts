import { Command } from 'commander';
import { describeDrift, groupDrift } from '../../admins.js';
import { example } from '../contract.js';
import { globals, print, withEngine } from '../context.js';
import { groupMembership } from '../membership.js';
import { table } from '../output.js';

/** `elevate admins`: who the admins are, how each became one, and whether ELEVATE_ADMINS still says the same. */
export function adminsCommand(): Command {
  return example(new Command('admins').description('who the admins are and where they came from (also: group get admins)')
    .action(async (_options: unknown, command: Command) => {
      await withEngine(async (engine, config) => {
        const { members } = await groupMembership(engine, 'admins');
        const drifts = (await groupDrift(engine.store, { admins: config.ELEVATE_ADMINS, auditors: [] }));
        print(globals(command), { admins: members, configured: config.ELEVATE_ADMINS, drift: drifts[0] ?? null }, () => [
          table(['ADMIN', 'SINCE', 'ADDED BY'], members.map((m) => [m.name, m.since, m.addedBy])),
          '',
          `ELEVATE_ADMINS: ${config.ELEVATE_ADMINS.join(', ') || '(not set)'}`,
          drifts[0] ? describeDrift(drifts[0]) : 'Change admins with "elevate group add-member admins <principal>" or "elevate group remove-member admins <principal>" (a protected change once there are two admins).',
        ].join('\n'));
      });
    }), 'elevate admins', 'elevate group add-member admins slack:U0123ABCD');
}
