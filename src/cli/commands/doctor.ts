import { Command } from 'commander';
import { CHECKS } from '../../doctor/checks.js';
import { formatResult, runDoctor } from '../../doctor/doctor.js';
import { example, EXIT } from '../contract.js';
import { globals } from '../context.js';
import { jsonText, terminalSafe } from '../output.js';

export function doctorCommand(): Command {
  return example(new Command('doctor')
    .description('check the configuration, database, admins, Slack, Teams, hooks and clock; one line each, with what to do; exit 1 if any failed')
    .action(async (_options: unknown, command: Command) => {
      const results = await runDoctor(CHECKS, { env: process.env });
      const failed = results.filter((r) => r.status === 'fail').length;
      if (globals(command).json) {
        process.stdout.write(`${jsonText({ ok: failed === 0, results }, 2)}\n`);
      } else {
        process.stdout.write(`${results.map((r) => terminalSafe(formatResult(r))).join('\n')}\n`);
        process.stdout.write(failed === 0 ? 'all checks passed\n' : `${failed} check(s) failed\n`);
      }
      process.exitCode = failed === 0 ? EXIT.done : EXIT.no;
    }), 'elevate doctor', 'ELEVATE_CONFIG=/etc/elevate/elevate.json elevate doctor --json');
}
