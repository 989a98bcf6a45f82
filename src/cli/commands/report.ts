import { Command, Option } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { InvalidInputError } from '../../core/errors.js';
import { actorOf, globals, withEngine } from '../context.js';
import { csv, duration, table } from '../output.js';

const HEADERS = ['TARGET', 'REQUESTS', 'APPROVED', 'AUTO', 'DENIED', 'EXPIRED', 'CANCELLED', 'PENDING', 'REVOKED', 'FAILED', 'MEDIAN DECISION', 'P90 DECISION', 'ACTIVE NOW', 'TOP REQUESTERS'];

export function reportCommand(): Command {
  const report = new Command('report').description('reports for admins and auditors');
  report.command('usage').description('per policy: requests, outcomes, time to decision, top requesters, active grants')
    .option('--from <time>', 'start (default: --period before --to)').option('--to <time>', 'end (default: now)')
    .option('--period <duration>', 'length when --from is absent', '30d').option('--target <Scope\\Name>')
    .addOption(new Option('--format <format>').choices(['table', 'json', 'csv']).default('table'))
    .action(async (options: { from?: string; to?: string; period: string; target?: string; format: 'table' | 'json' | 'csv' }, command: Command) => {
      const to = options.to ? Date.parse(options.to) : Date.now();
      const from = options.from ? Date.parse(options.from) : to - parseDuration(options.period, 'period') * 1000;
      if (Number.isNaN(to) || Number.isNaN(from)) throw new InvalidInputError('--from and --to must be ISO 8601 dates or times', { field: 'period' });
      await withEngine(async (engine) => {
        const usage = await engine.elevate.usageReport(await actorOf(engine, globals(command)), {
          from: new Date(from).toISOString(), to: new Date(to).toISOString(), target: options.target,
        });
        const format = globals(command).json ? 'json' : options.format;
        const rows = usage.policies.map((p) => [p.target, p.requests, p.approved, p.autoApproved, p.denied, p.expired, p.cancelled, p.pending, p.revoked, p.failed,
          duration(p.medianSecondsToDecision), duration(p.p90SecondsToDecision), p.activeGrantsNow,
          p.topRequesters.map((t) => `${t.principal} (${t.requests})`).join('; ')]);
        const text = format === 'json' ? JSON.stringify(usage, null, 2)
          : format === 'csv' ? csv(HEADERS.map((h) => h.toLowerCase().replace(/ /g, '_')), rows)
          : `usage from ${usage.from} to ${usage.to}\n${table(HEADERS, rows)}`;
        process.stdout.write(`${text}\n`);
      });
    });
  return report;
}
