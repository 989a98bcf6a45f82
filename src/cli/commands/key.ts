import { Command } from 'commander';
import type { Config } from '../../config.js';
import { InvalidInputError } from '../../core/errors.js';
import { describeKeys, keyFilePath, readKeyFileAt, rotateKeys } from '../../keys.js';
import { example } from '../contract.js';
import { actorOf, globals, print, withEngine } from '../context.js';

function keyFileOf(config: Config, doing: string): string {
  const path = keyFilePath({ secret: config.ELEVATE_SIGNING_KEY, file: config.ELEVATE_SIGNING_KEY_FILE, databaseUrl: config.DATABASE_URL });
  if (path === undefined) {
    throw new InvalidInputError(config.ELEVATE_SIGNING_KEY
      ? `the keys come from ELEVATE_SIGNING_KEY, so there is no key file to ${doing}: its two keys are derived from that secret`
      : `DATABASE_URL is an in-memory database: its keys live only as long as the process`);
  }
  return path;
}

export function keyCommand(): Command {
  const key = new Command('key').description('the signing and audit keys (the key file beside the database, or ELEVATE_SIGNING_KEY_FILE)');

  example(key.command('list').description('key ids, kinds and dates; which key signs now (never a secret)'), 'elevate key list')
    .action(async (_options: unknown, command: Command) => {
      // Through the engine: it refuses a key file that does not match the database.
      await withEngine(async (_engine, config) => {
        const path = keyFileOf(config, 'list');
        const keys = describeKeys(readKeyFileAt(path));
        print(globals(command), { file: path, keys }, () => [`key file ${path}`, ...keys.map((k) =>
          `${k.kind.padEnd(8)} ${k.id.padEnd(12)} created ${k.createdAt}${k.signs ? '  (signs new records)' : '  (verifies older records)'}`)].join('\n'));
      });
    });

  example(key.command('rotate').description('add a new signing and/or audit key; older keys keep verifying what they signed'),
    'elevate key rotate', 'elevate key rotate --audit')
    .option('--signing', 'only the key that signs requests and grants')
    .option('--audit', 'only the key that chains the audit log')
    .action(async (options: { signing?: boolean; audit?: boolean }, command: Command) => {
      const kinds = options.signing || options.audit
        ? [...(options.signing ? ['signing' as const] : []), ...(options.audit ? ['audit' as const] : [])]
        : ['signing' as const, 'audit' as const];
      await withEngine(async (engine, config) => {
        const path = keyFileOf(config, 'rotate');
        const actor = await actorOf(engine, globals(command));
        if (actor.kind !== 'operator') throw new InvalidInputError('only the operator (without --as) may rotate keys', { field: 'as' });
        const before = new Set(describeKeys(readKeyFileAt(path)).map((k) => k.id));
        const added = describeKeys(rotateKeys(path, kinds)).filter((k) => !before.has(k.id)).map(({ kind, id }) => ({ kind, id }));
        await engine.elevate.recordKeyRotation(actor, added);
        print(globals(command), { file: path, added }, () => [
          ...added.map((k) => `added ${k.kind} key ${k.id}: it signs from the next start`),
          `Several instances: copy ${path} to every one before restarting any (an instance with the old file cannot verify what the new key signs). Back the file up: older keys stay in it to verify what they signed.`,
        ].join('\n'));
      });
    });
  return key;
}
