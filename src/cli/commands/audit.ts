import { createWriteStream } from 'node:fs';
import { Command, Option } from 'commander';
import { InvalidInputError } from '../../core/errors.js';
import { example, EXIT } from '../contract.js';
import { actorOf, globals, print, withEngine } from '../context.js';
import { jsonText, terminalSafe } from '../output.js';
import { auditExportHeader, auditExportLine } from '../../csv.js';

function instant(text: string | undefined, field: string): string | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new InvalidInputError(`${field} "${text}" is not a date or time (use ISO 8601, e.g. 2026-11-01 or 2026-11-01T10:00:00Z)`, { field });
  return new Date(ms).toISOString();
}

export function auditCommand(): Command {
  const audit = new Command('audit').description('the hash-chained audit log');

  example(audit.command('verify').description('recompute the chain; exit 1 naming the first altered or missing record'), 'elevate audit verify || echo "the audit log was tampered with"')
    .action(async (_options: unknown, command: Command) => {
      await withEngine(async (engine) => {
        const result = await engine.elevate.verifyAudit(await actorOf(engine, globals(command)));
        print(globals(command), result, () => result.ok
          ? `audit log intact: ${result.checked} records verified`
          : `AUDIT LOG BROKEN: ${result.problem!.message} (${result.checked} records verified before it)`);
        process.exitCode = result.ok ? EXIT.done : EXIT.no;
      });
    });

  example(audit.command('export').description('write records as JSON Lines or CSV'),
    'elevate audit export --from 2026-11-01 --format csv --output audit-november.csv', 'elevate audit export --action request.approved | head')
    .addOption(new Option('--format <format>').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--from <time>').option('--to <time>').option('--actor <actor>', 'e.g. slack:U123, operator, system')
    .option('--target <subject>', 'a request id, grant id, policy target or group').option('--action <action>', 'e.g. request.approved')
    .option('--output <file>', 'default: standard output')
    .action(async (options: { format: 'jsonl' | 'csv'; from?: string; to?: string; actor?: string; target?: string; action?: string; output?: string }, command: Command) => {
      const filter = { from: instant(options.from, 'from'), to: instant(options.to, 'to'), actor: options.actor, subject: options.target, action: options.action };
      await withEngine(async (engine) => {
        const out = options.output ? createWriteStream(options.output) : process.stdout;
        // On a terminal, text from people is shown escaped; a file or pipe gets the records as they are.
        const onTerminal = out === process.stdout && process.stdout.isTTY;
        const write = (line: string) => new Promise<void>((resolve) => (out.write(`${line}\n`) ? resolve() : out.once('drain', resolve)));
        const header = auditExportHeader(options.format);
        if (header !== null) await write(header);
        let count = 0;
        for await (const r of engine.elevate.exportAudit(await actorOf(engine, globals(command)), filter)) {
          const line = options.format === 'jsonl' ? jsonText(r) : auditExportLine(r, options.format);
          await write(onTerminal ? terminalSafe(line, { keepNewlines: true }) : line);
          count += 1;
        }
        if (out !== process.stdout) {
          await new Promise<void>((resolve) => out.end(resolve));
          process.stderr.write(`${count} records written to ${options.output}\n`);
        }
      });
    });
  return audit;
}
