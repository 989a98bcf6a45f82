import { Command, Argument } from 'commander';
import { example } from '../contract.js';
import { actorOf, globals, print, withEngine } from '../context.js';
import { keyValues } from '../output.js';
import { describeOutcome } from './policy.js';

export function pamCommand(): Command {
  const pam = new Command('pam').description('switch privileged access management on or off');
  example(pam.command('enable').description('accept requests again'), 'elevate pam enable').action(async (_options: unknown, command: Command) => {
    await withEngine(async (engine) => {
      const outcome = await engine.elevate.enablePam(await actorOf(engine, globals(command)));
      print(globals(command), outcome, () => describeOutcome(outcome));
    });
  });
  example(pam.command('disable').description('refuse new requests (a protected change)'), 'elevate pam disable').action(async (_options: unknown, command: Command) => {
    await withEngine(async (engine) => {
      const outcome = await engine.elevate.disablePam(await actorOf(engine, globals(command)));
      print(globals(command), outcome, () => describeOutcome(outcome));
    });
  });
  example(pam.command('status').description('whether PAM is on, and what it holds'), 'elevate pam status').action(async (_options: unknown, command: Command) => {
    await withEngine(async (engine) => {
      const status = await engine.elevate.pamStatus();
      print(globals(command), status, () => keyValues([
        ['PAM', status.enabled ? 'enabled' : 'DISABLED'],
        ['protected configuration', `${status.protectedConfiguration} (${status.protectionInForce ? 'in force' : 'not in force'})`],
        ['policies', status.policies], ['pending requests', status.pendingRequests], ['active grants', status.activeGrants],
      ]));
    });
  });
  example(pam.command('protect'), 'elevate pam protect on').addArgument(new Argument('<mode>').choices(['auto', 'on', 'off']))
    .description('protected configuration: auto (on with 2+ admins), on, off — itself a protected change')
    .action(async (mode: 'auto' | 'on' | 'off', _options: unknown, command: Command) => {
      await withEngine(async (engine) => {
        const outcome = await engine.elevate.setProtectedConfiguration(await actorOf(engine, globals(command)), mode);
        print(globals(command), outcome, () => describeOutcome(outcome));
      });
    });
  return pam;
}
