#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { isElevateError } from '../core/errors.js';
import { createLogger, openDatabase, startServer } from '../main.js';
import { auditCommand } from './commands/audit.js';
import { authorizationCommand } from './commands/authorization.js';
import { deliveryCommand } from './commands/delivery.js';
import { groupCommand } from './commands/group.js';
import { pamCommand } from './commands/pam.js';
import { policyCommand } from './commands/policy.js';
import { principalCommand } from './commands/principal.js';
import { reportCommand } from './commands/report.js';
import { requestCommand } from './commands/request.js';
import { tokenCommand } from './commands/token.js';

const program = new Command('elevate')
  .description('Just-in-time, approved, time-bound and audited privileged access')
  .option('--json', 'machine-readable output')
  .option('--as <principal>', 'act as this principal (slack:U…, teams:…, or a linked email); recorded as done via the operator')
  .showHelpAfterError()
  .exitOverride();

program.command('serve').description('run the server: HTTP, scheduler and outbox dispatcher').action(async () => {
  const config = loadConfig();
  const logger = createLogger(config);
  const server = await startServer(config, { logger });
  // SIGTERM (an orchestrator) drains first; SIGINT (Ctrl-C at a terminal) stops at once.
  const shutdown = (signal: string) => {
    const drainSeconds = signal === 'SIGTERM' ? config.ELEVATE_SHUTDOWN_DELAY : 0;
    logger.info({ signal, drainSeconds }, drainSeconds > 0 ? 'shutting down: not ready any more, still serving while load balancers drain' : 'shutting down');
    server.beginShutdown();
    setTimeout(() => {
      server.stop().then(() => process.exit(0), (error: unknown) => { logger.error({ err: error }, 'shutdown failed'); process.exit(1); });
    }, drainSeconds * 1000);
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
});

program.command('migrate').description('apply database migrations').action(async () => {
  const config = loadConfig();
  const { db } = await openDatabase(config.DATABASE_URL, undefined, { poolSize: 1 });
  await db.destroy();
  process.stdout.write('database is up to date\n');
});

for (const command of [policyCommand(), groupCommand(), requestCommand(), authorizationCommand(), auditCommand(), reportCommand(), pamCommand(), tokenCommand(), principalCommand(), deliveryCommand()]) {
  program.addCommand(command);
}

// Exit codes: 0 done, 1 a negative answer (check denied, audit broken), 2 an error.
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (isElevateError(error) || error instanceof ConfigError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  }
}
