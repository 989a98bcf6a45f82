import { Command, CommanderError } from 'commander';
import { packageVersion } from '../version.js';
import { adminsCommand } from './commands/admins.js';
import { keyCommand } from './commands/key.js';
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
import { principalCommand } from './commands/principal.js';
import { deliveryCommand } from './commands/delivery.js';
import { reviewCommand } from './commands/review.js';
import { breakGlassCommand } from './commands/break-glass.js';
import { applyContract, example, EXIT } from './contract.js';
import { terminalSafe } from './output.js';

/** Where the CLI writes help and errors (tests capture them). */
export interface CliOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

/** The `elevate` command with every subcommand, the exit-code contract applied to each. */
export function buildProgram(output?: CliOutput): Command {
  const program = new Command('elevate')
    .description('Just-in-time, approved, time-bound and audited privileged access')
    .version(packageVersion(), '-V, --version', 'print the version of Elevate')
    .option('--json', 'machine-readable output (times in ISO-8601 UTC)')
    .option('--utc', 'print times in UTC (default: local time with its offset, as the TZ environment variable says)')
    .option('--as <principal>', 'act as this principal (slack:U…, teams:…, or a linked email); recorded as done via the operator')
    .addHelpText('after', `
Exit codes: 0 done, 1 a "no" (authorization check denied, audit log broken, a doctor check failed), 2 an error.
Configuration comes from the environment and the optional ELEVATE_CONFIG file: see elevate serve --help.`);
  example(program, 'elevate policy get', 'elevate --as slack:U0123ABCD request new \'Exchange\\Search-Mailbox\' --duration 2h --reason INC-42');
  for (const command of [
    serveCommand(), migrateCommand(), doctorCommand(), backupCommand(), adminsCommand(), policyCommand(), groupCommand(), requestCommand(),
    authorizationCommand(), auditCommand(), reportCommand(), pamCommand(), tokenCommand(), principalCommand(), deliveryCommand(), keyCommand(), reviewCommand(), breakGlassCommand(),
  ]) {
    program.addCommand(command);
  }
  applyContract(program, output);
  return program;
}

/**
 * Runs the CLI on `argv` (as process.argv). Returns the exit code of a failure (2: a usage error,
 * already printed as one line; or an error, printed here), or undefined when the command ran:
 * it set its own exit code for a "no" (1).
 */
export async function runCli(argv: string[], output: CliOutput = { writeOut: (t) => process.stdout.write(t), writeErr: (t) => process.stderr.write(t) }): Promise<number | undefined> {
  try {
    await buildProgram(output).parseAsync(argv);
    return undefined;
  } catch (error) {
    // Help and --version end parsing with exit code 0; every other parsing stop is a usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.done : EXIT.error;
    output.writeErr(`error: ${terminalSafe(error instanceof Error ? error.message : String(error), { keepNewlines: true })}\n`);
    return EXIT.error;
  }
}
