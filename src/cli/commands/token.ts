import { Command, Option } from 'commander';
import { TOKEN_SCOPES } from '../../core/model.js';
import { example } from '../contract.js';
import { globals, print, withEngine } from '../context.js';
import { table } from '../output.js';

export function tokenCommand(): Command {
  const token = new Command('token').description('REST API bearer tokens (stored only as hashes)');

  example(token.command('new').description('create a token; its secret is printed once'),
    'elevate --as slack:U0123ABCD token new --name ticketing --scope admin --expires 90d', 'elevate token new --name ci-gate --scope checker')
    .requiredOption('--name <name>', 'what it is for, e.g. "ci-deploy"')
    .addOption(new Option('--scope <scope>', 'what it may do').choices([...TOKEN_SCOPES]).makeOptionMandatory())
    .option('--expires <duration>', 'lifetime, e.g. 90d (default: until revoked)')
    .addHelpText('after', `
Scopes:
  admin      everything its principal (an admin) may do, through the API
  auditor    reads: audit log, reports, requests, grants, policies (principal: an auditor or admin)
  requester  request, cancel, relinquish and extend as its principal
  checker    only GET /api/v1/check; acts as nobody (no --as)
The principal is given with the global --as option, e.g. elevate --as slack:U123 token new …`)
    .action(async (options: { name: string; scope: string; expires?: string }, command: Command) => {
      const { as } = globals(command);
      await withEngine(async (engine) => {
        const { token: created, secret } = await engine.elevate.createApiToken({ kind: 'operator', origin: 'cli' }, { ...options, as });
        print(globals(command), { ...created, secretHash: undefined, secret }, () => [
          `token ${created.id} (${created.name}, ${created.scope}${created.expiresAt ? `, expires ${created.expiresAt}` : ''})`,
          '',
          `  ${secret}`,
          '',
          'Store it now: only its hash is kept, it cannot be shown again.',
        ].join('\n'));
      });
    });

  example(token.command('list').description('every token (never the secrets)'), 'elevate token list').action(async (_options: unknown, command: Command) => {
    await withEngine(async (engine) => {
      const tokens = await engine.elevate.listApiTokens({ kind: 'operator', origin: 'cli' });
      const now = new Date().toISOString();
      const state = (t: (typeof tokens)[number]) => (t.revokedAt ? 'revoked' : t.expiresAt && t.expiresAt <= now ? 'expired' : 'active');
      print(globals(command), tokens, () => table(['ID', 'NAME', 'SCOPE', 'AS', 'STATE', 'CREATED', 'EXPIRES', 'LAST USED'],
        tokens.map((t) => [t.id, t.name, t.scope, t.principal, state(t), t.createdAt, t.expiresAt, t.lastUsedAt])));
    });
  });

  example(token.command('revoke').argument('<token>', 'its id (TOK-…) or name').description('stop a token working (within a second on every server)'), 'elevate token revoke ci-gate')
    .action(async (idOrName: string, _options: unknown, command: Command) => {
      await withEngine(async (engine) => {
        const revoked = await engine.elevate.revokeApiToken({ kind: 'operator', origin: 'cli' }, idOrName);
        print(globals(command), { ...revoked, secretHash: undefined }, () => `token ${revoked.id} (${revoked.name}) revoked at ${revoked.revokedAt}`);
      });
    });
  return token;
}
