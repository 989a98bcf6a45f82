import { Command, Option } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { InvalidInputError } from '../../core/errors.js';
import type { PolicyUsage, UsageReport } from '../../core/report.js';
import { example } from '../contract.js';
import { actorOf, globals, withEngine } from '../context.js';
import { csv, duration, jsonText, table, terminalSafe } from '../output.js';

/** Columns of the table (durations as people read them) and of the CSV (seconds, for spreadsheets). */
const COLUMNS: Array<{ header: string; csv: string; cell: (p: PolicyUsage, forCsv: boolean) => string | number | null }> = [
  { header: 'TARGET', csv: 'target', cell: (p) => p.target },
  { header: 'REQUESTS', csv: 'requests', cell: (p) => p.requests },
  { header: 'APPROVED', csv: 'approved', cell: (p) => p.approved },
  { header: 'AUTO', csv: 'auto_approved', cell: (p) => p.autoApproved },
  { header: 'DENIED', csv: 'denied', cell: (p) => p.denied },
  { header: 'EXPIRED', csv: 'expired', cell: (p) => p.expired },
  { header: 'CANCELLED', csv: 'cancelled', cell: (p) => p.cancelled },
  { header: 'PENDING', csv: 'pending', cell: (p) => p.pending },
  { header: 'REVOKED', csv: 'revoked', cell: (p) => p.revoked },
  { header: 'RELINQUISHED', csv: 'relinquished', cell: (p) => p.relinquished },
  { header: 'FAILED', csv: 'failed', cell: (p) => p.failed },
  { header: 'BREAK-GLASS', csv: 'break_glass', cell: (p) => p.breakGlass },
  { header: 'MEDIAN DECISION', csv: 'median_decision_seconds', cell: (p, forCsv) => (forCsv ? p.medianSecondsToDecision : duration(p.medianSecondsToDecision)) },
  { header: 'P90 DECISION', csv: 'p90_decision_seconds', cell: (p, forCsv) => (forCsv ? p.p90SecondsToDecision : duration(p.p90SecondsToDecision)) },
  { header: 'ACTIVE NOW', csv: 'active_now', cell: (p) => p.activeGrantsNow },
  { header: 'TOP REQUESTERS', csv: 'top_requesters', cell: (p) => p.topRequesters.map((t) => `${t.principal} (${t.requests})`).join('; ') },
];

/** Break-glass uses of the period and the flagged ones, after the table (CSV keeps one row per policy). */
function breakGlassText(usage: UsageReport): string {
  const { uses, pending, acknowledged, flagged } = usage.breakGlass;
  if (uses === 0) return '';
  const head = `\nbreak-glass: ${uses} use(s), ${acknowledged} acknowledged, ${flagged.length} flagged, ${pending} waiting for review`;
  if (flagged.length === 0) return head;
  return `${head}\nflagged break-glass uses:\n${table(['GRANT', 'HOLDER', 'TARGET', 'USED', 'REASON', 'FLAGGED BY', 'COMMENT'],
    flagged.map((f) => [f.grantId, f.principal, f.target, f.usedAt, f.reason, f.flaggedBy, f.comment]))}`;
}

export function reportCommand(): Command {
  const report = new Command('report').description('reports for admins and auditors');
  example(report.command('usage').description('per policy: requests, outcomes, time to decision, top requesters, active grants')
    .option('--from <time>', 'start (default: --period before --to)').option('--to <time>', 'end (default: now)')
    .option('--period <duration>', 'length when --from is absent', '30d').option('--target <Scope\\Name>')
    .addOption(new Option('--format <format>', 'csv and json give times to decision in seconds').choices(['table', 'json', 'csv']).default('table'))
    .action(async (options: { from?: string; to?: string; period: string; target?: string; format: 'table' | 'json' | 'csv' }, command: Command) => {
      const to = options.to ? Date.parse(options.to) : Date.now();
      const from = options.from ? Date.parse(options.from) : to - parseDuration(options.period, 'period') * 1000;
      if (Number.isNaN(to) || Number.isNaN(from)) throw new InvalidInputError('--from and --to must be ISO 8601 dates or times, e.g. 2026-11-01', { field: 'period' });
      await withEngine(async (engine) => {
        const usage = await engine.elevate.usageReport(await actorOf(engine, globals(command)), {
          from: new Date(from).toISOString(), to: new Date(to).toISOString(), target: options.target,
        });
        const format = globals(command).json ? 'json' : options.format;
        const rows = (forCsv: boolean) => usage.policies.map((p) => COLUMNS.map((c) => c.cell(p, forCsv)));
        const text = format === 'json' ? jsonText(usage, 2)
          : format === 'csv' ? terminalSafe(csv(COLUMNS.map((c) => c.csv), rows(true)), { keepNewlines: true })
          : `usage from ${usage.from} to ${usage.to}\n${table(COLUMNS.map((c) => c.header), rows(false))}${breakGlassText(usage)}`;
        process.stdout.write(`${text}\n`);
      });
    }), 'elevate report usage --period 7d', 'elevate report usage --from 2026-11-01 --to 2026-12-01 --format csv > usage.csv');
  return report;
}
