#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../version.js';
import { adminsCommand } from './commands/admins.js';
import { auditCommand } from './commands/audit.js';
import { authorizationCommand } from './commands/authorization.js';
import { doctorCommand } from './commands/doctor.js';
import { groupCommand } from './commands/group.js';
import { pamCommand } from './commands/pam.js';
import { policyCommand } from './commands/policy.js';
import { reportCommand } from './commands/report.js';
import { requestCommand } from './commands/request.js';
import { backupCommand, migrateCommand, serveCommand } from './commands/server.js';
import { tokenCommand } from './commands/token.js';
import { applyContract, example, EXIT } from './contract.js';
import { terminalSafe } from './output.js';

// A reader that stops early (`elevate audit export | head`) closes the pipe: that is not an
// error, so end quietly instead of dying with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.done);
    throw error;
  });
}

const program = new Command('elevate')
  .description('Just-in-time, approved, time-bound and audited privileged access')
  .version(packageVersion(), '-V, --version', 'print the version of Elevate')
  .option('--json', 'machine-readable output')
  .option('--as <principal>', 'act as this principal (slack:U…, teams:…, or a linked email); recorded as done via the operator')
  .addHelpText('after', `
Exit codes: 0 done, 1 a "no" (authorization check denied, audit log broken, a doctor check failed), 2 an error.
Configuration comes from the environment and the optional ELEVATE_CONFIG file: see elevate serve --help.`);
example(program, 'elevate policy get', 'elevate --as slack:U0123ABCD request new \'Exchange\\Search-Mailbox\' --duration 2h --reason INC-42');

for (const command of [
  serveCommand(), migrateCommand(), doctorCommand(), backupCommand(), adminsCommand(), policyCommand(), groupCommand(), requestCommand(),
  authorizationCommand(), auditCommand(), reportCommand(), pamCommand(), tokenCommand(),
]) {
  program.addCommand(command);
}
applyContract(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Already printed (the one line with the usage, or the help asked for).
    process.exitCode = error.exitCode === 0 ? EXIT.done : EXIT.error;
  } else {
    process.stderr.write(`error: ${terminalSafe(error instanceof Error ? error.message : String(error), { keepNewlines: true })}\n`);
    process.exitCode = EXIT.error;
  }
}
