import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { InvalidInputError } from '../../core/errors.js';
import { example, EXIT } from '../contract.js';
import { actorOf, globals, print, withEngine } from '../context.js';
import { jsonText, terminalSafe } from '../output.js';
import { auditExportHeader, auditExportLine } from '../../csv.js';
import { parseAnchor, parseAnchorLines, type Anchor, type AuditVerification } from '../../core/use-cases/audit-log.js';

async function readAnchorsFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`cannot read the anchors file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { field: 'anchors-file' });
  }
}

function verificationText(result: AuditVerification): string {
  const lines = [result.problem
    ? `AUDIT LOG BROKEN: ${result.problem.message} (${result.checked} records verified before it)`
    : `${result.ok ? 'audit log intact' : 'AUDIT LOG CUT OR REPLACED'}: ${result.checked} records verified`];
  if (result.keyedOnUpgrade) lines.push(`records 1-${result.keyedOnUpgrade.upTo} were written before keyed hashes and keyed on upgrade (their earlier unkeyed chain ${result.keyedOnUpgrade.legacyVerified ? 'verified' : 'did not verify'} then)`);
  if (result.pending > 0) lines.push(`${result.pending} records committed but not yet linked into the chain (a change was still running): run verify again to cover them`);
  for (const a of result.anchors) lines.push(`${a.ok ? 'ok  ' : 'FAIL'} anchor ${a.anchor.seq}${a.anchor.at ? ` (published ${a.anchor.at})` : ''}: ${a.message}`);
  if (result.head && !result.problem) lines.push(`head ${result.head.seq}:${result.head.hash}`, 'keep the head outside this server (or set ELEVATE_AUDIT_CHECKPOINT_FILE/_URL) and pass it to --anchor later to detect a cut or rewrite');
  return lines.join('\n');
}

function instant(text: string | undefined, field: string): string | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new InvalidInputError(`${field} "${text}" is not a date or time (use ISO 8601, e.g. 2026-11-01 or 2026-11-01T10:00:00Z)`, { field });
  return new Date(ms).toISOString();
}

export function auditCommand(): Command {
  const audit = new Command('audit').description('the hash-chained audit log');

  example(audit.command('verify').description('recompute the keyed chain and check published heads (anchors); exit 1 naming the first altered, missing or cut record'),
    'elevate audit verify || echo "the audit log was tampered with"',
    'elevate audit verify --anchors-file /var/lib/elevate/audit-checkpoints.jsonl',
    'elevate audit verify --anchor 1234:<64 hex characters from the audit feed>')
    .option('--anchor <seq:hash>', 'a head published earlier (audit feed, checkpoint file or webhook); repeatable', (value: string, all: Anchor[]) => [...all, parseAnchor(value)], [] as Anchor[])
    .option('--anchors-file <file>', 'anchors one per line: the checkpoint file (JSON lines) or <seq>:<hash> lines')
    .action(async (options: { anchor: Anchor[]; anchorsFile?: string }, command: Command) => {
      const anchors = [...options.anchor, ...(options.anchorsFile ? parseAnchorLines(await readAnchorsFile(options.anchorsFile)) : [])];
      await withEngine(async (engine) => {
        const result = await engine.elevate.verifyAudit(await actorOf(engine, globals(command)), { anchors });
        print(globals(command), result, () => verificationText(result));
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
