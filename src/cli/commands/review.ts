import { Command, Option } from 'commander';
import type { ReviewReportEntry } from '../../core/use-cases/review-report.js';
import { example } from '../contract.js';
import { actorOf, globals, print, withEngine } from '../context.js';
import { csv, jsonText, keyValues, table, terminalSafe } from '../output.js';

type Item = ReviewReportEntry['items'][number];

/** Report columns: for people (table) and spreadsheets (CSV). */
const COLUMNS: Array<{ header: string; csv: string; cell: (e: ReviewReportEntry, i: Item) => string | null }> = [
  { header: 'CAMPAIGN', csv: 'campaign', cell: (e) => e.campaign.id },
  { header: 'GROUP', csv: 'group', cell: (_e, i) => i.groupName },
  { header: 'MEMBER', csv: 'member', cell: (_e, i) => i.memberName },
  { header: 'REVIEWERS', csv: 'reviewers', cell: (_e, i) => i.reviewerGroup },
  { header: 'OUTCOME', csv: 'outcome', cell: (_e, i) => i.outcome ?? 'to review' },
  { header: 'BY', csv: 'decided_by', cell: (_e, i) => i.decidedByName },
  { header: 'AT', csv: 'decided_at', cell: (_e, i) => i.decidedAt },
  { header: 'NOTE', csv: 'note', cell: (_e, i) => i.note ?? (i.platformGroup ? `members kept in ${i.platformGroup}: change them there` : i.outcome === 'kept-unanswered' ? 'unanswered: kept, flag for follow-up' : null) },
];

/** `elevate review start` and `elevate review report`: access reviews. */
export function reviewCommand(): Command {
  const review = new Command('review').description('access reviews: reviewers keep or remove each member of the groups under review');

  example(review.command('start').description('open an access review campaign: reviewers get cards with Keep / Remove per member and Keep all')
    .option('--every <duration>', 'start the next campaign this long after this one started, e.g. 90d')
    .addOption(new Option('--scope <scope>', 'policies: who may request (eligible groups, reviewed by the approvers); groups: approver groups, admins, auditors (reviewed by the admins); all: both').choices(['policies', 'groups', 'all']).default('all'))
    .addOption(new Option('--unanswered <what>', 'what happens to members nobody reviewed when the campaign closes').choices(['keep', 'remove']).default('keep'))
    .option('--deadline <duration>', 'reviewers have this long; then unanswered members are escalated to the admins', '14d')
    .option('--grace <duration>', 'after the deadline, unanswered members are handled and the campaign closes', '2d')
    .action(async (options: { every?: string; scope: 'policies' | 'groups' | 'all'; unanswered: 'keep' | 'remove'; deadline: string; grace: string }, command: Command) => {
      await withEngine(async (engine) => {
        const { campaign, items } = await engine.elevate.startReview(await actorOf(engine, globals(command)), options);
        print(globals(command), { campaign, items }, () => keyValues([
          ['campaign', campaign.id], ['scope', campaign.scope], ['members to review', items.filter((i) => i.outcome === null).length],
          ['platform groups (listed, changed in the platform)', items.filter((i) => i.platformGroup).length],
          ['deadline', campaign.deadlineAt], ['closes', campaign.closesAt], ['unanswered', campaign.unanswered], ['every', options.every ?? 'once'],
        ]));
      });
    }), 'elevate review start --every 90d --scope all --unanswered keep', 'elevate review start --scope policies --deadline 7d');

  example(review.command('report').description("each campaign's decisions and who made them (admins and auditors)")
    .option('--campaign <id>', 'one campaign (default: the 20 latest)')
    .addOption(new Option('--format <format>').choices(['table', 'json', 'csv']).default('table'))
    .action(async (options: { campaign?: string; format: 'table' | 'json' | 'csv' }, command: Command) => {
      await withEngine(async (engine) => {
        const report = await engine.elevate.reviewReport(await actorOf(engine, globals(command)), { campaign: options.campaign });
        const format = globals(command).json ? 'json' : options.format;
        const rows = report.flatMap((entry) => entry.items.map((item) => COLUMNS.map((c) => c.cell(entry, item))));
        const text = format === 'json' ? jsonText(report, 2)
          : format === 'csv' ? terminalSafe(csv(COLUMNS.map((c) => c.csv), rows), { keepNewlines: true })
          : [
            ...report.map((e) => `${e.campaign.id}: ${e.campaign.status}, scope ${e.campaign.scope}, started ${e.campaign.startedAt}, deadline ${e.campaign.deadlineAt}, unanswered ${e.campaign.unanswered}`),
            table(COLUMNS.map((c) => c.header), rows),
          ].join('\n');
        process.stdout.write(`${text}\n`);
      });
    }), 'elevate review report', 'elevate review report --campaign REV-0001 --format csv > review.csv');
  return review;
}
