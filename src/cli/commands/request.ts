import { Command, Option } from 'commander';
import { formatDuration } from '../../core/duration.js';
import { REQUEST_STATUSES, type AccessRequest } from '../../core/model.js';
import { example } from '../contract.js';
import { actorOf, globals, peopleNames, print, withEngine } from '../context.js';
import { keyValues, table } from '../output.js';
import { windowText } from '../../core/request-cards.js';
import { windowOf } from '../../core/windows.js';
import { InvalidInputError } from '../../core/errors.js';
import { breakGlassFromCli, CONFIRM_WORD } from './break-glass.js';

export function requestRows(requests: AccessRequest[], names: Map<string, string>) {
  return table(['ID', 'STATUS', 'REQUESTER', 'TARGET', 'DURATION', 'REQUESTED', 'DEADLINE', 'REASON'],
    requests.map((r) => [r.id, r.breakGlass ? `${r.status} (break-glass)` : r.status, names.get(r.requesterId) ?? r.requesterId, r.target.name, r.change ? '—' : formatDuration(r.durationSeconds), r.createdAt, r.deadlineAt, r.reason]));
}

function describeRequest(request: AccessRequest, existing = false): string {
  const prefix = existing ? `you already have request ${request.id} pending for ${request.target.name}` : `request ${request.id} for ${request.target.name}`;
  if (request.status === 'approved') return `${prefix}: approved${request.grantId ? ` (grant ${request.grantId})` : ''}`;
  if (request.startsAt) return `${prefix}: ${request.status} for the window ${windowText(windowOf(request)!)}, decide by ${request.deadlineAt}`;
  return `${prefix}: ${request.status}, decide by ${request.deadlineAt}`;
}

export function requestCommand(): Command {
  const request = new Command('request').description('access requests');

  example(request.command('new').argument('<target>', 'Scope\\Name').description('request access (with --as <requester>)'),
    "elevate --as slack:U0123ABCD request new 'Exchange\\Search-Mailbox' --duration 2h --reason 'INC-42'")
    .option('--duration <duration>', "e.g. 30m, 2h, 1h30m (default: the policy's)")
    .option('--reason <text>').option('--ticket <id>')
    .option('--start <time>', 'a scheduled window: when access starts, e.g. 2026-12-02T22:00+01:00 or +2h (it lasts --duration from then)')
    .option('--break-glass', "access at once without approval (members of the policy's break-glass group; needs --reason; alerts the approvers, the admins and the audit feed)")
    .option('--yes', `with --break-glass: confirm without typing ${CONFIRM_WORD}`)
    .action(async (target: string, options: { duration?: string; reason?: string; ticket?: string; start?: string; breakGlass?: boolean; yes?: boolean }, command: Command) => {
      const { breakGlass, yes, ...fields } = options;
      if (breakGlass) {
        if (fields.start) throw new InvalidInputError('break-glass is access now: it cannot name a --start', { field: 'start' });
        await withEngine(async (engine) => {
          const used = await breakGlassFromCli(engine, await actorOf(engine, globals(command)), { target, ...fields }, yes === true);
          print(globals(command), used, () => `break-glass: request ${used.request.id} for ${used.request.target.name}: access until ${used.grant.endsAt} (grant ${used.grant.id}, break-glass)
`
            + `alerted ${used.alerted}; the approvers review it by ${used.use.reviewDueAt}`);
        });
        return;
      }
      if (yes) throw new InvalidInputError('--yes confirms --break-glass: a normal request needs no confirmation', { field: 'yes' });
      await withEngine(async (engine) => {
        const outcome = await engine.elevate.requestAccess(await actorOf(engine, globals(command)), { target, ...fields });
        print(globals(command), outcome, () => describeRequest(outcome.request, outcome.existing) + (!outcome.grant ? ''
          : outcome.grant.status === 'scheduled' ? `\naccess scheduled from ${outcome.grant.startsAt} until ${outcome.grant.endsAt}` : `\naccess until ${outcome.grant.endsAt}`));
      });
    });

  example(request.command('get').argument('<id>').description('show a request, its decisions and whether its signature verifies'), 'elevate request get R-7K3Q9ABC')
    .action(async (id: string, _options: unknown, command: Command) => {
      await withEngine(async (engine) => {
        const details = await engine.elevate.getRequest(await actorOf(engine, globals(command)), id);
        const r = details.request;
        print(globals(command), details, () => keyValues([
          ['id', r.id], ['status', r.status], ['requester', details.names[r.requesterId] ?? r.requesterId],
          ['target', `${r.target.name} (${r.target.type})`], ['duration', r.change ? null : formatDuration(r.durationSeconds)],
          ['window', r.startsAt ? windowText(windowOf(r)!) : null],
          ['reason', r.reason], ['ticket', r.ticket], ['requested at', r.createdAt], ['decide by', r.deadlineAt],
          ['approvals', `${details.decisions.filter((d) => d.kind === 'approve').length} of ${r.approvalsRequired}`],
          ['decided', r.decidedAt ? `${r.decidedAt} by ${r.decidedBy ? details.names[r.decidedBy] ?? r.decidedBy : 'Elevate'}` : null],
          ['comment', r.decisionComment], ['grant', r.grantId], ['break-glass', r.breakGlass ? 'yes: granted at once without approval, reviewed afterwards' : null], ['origin', r.origin],
          ['signature', `${r.signature} (${details.signatureValid ? 'valid' : 'INVALID: the request was altered'})`],
          ...details.decisions.map((d): [string, string] => [`  ${d.kind}`, `${details.names[d.approverId] ?? d.approverId} at ${d.decidedAt}${d.comment ? `: ${d.comment}` : ''}`]),
        ]));
      });
    });

  example(request.command('list').description('requests you may see'), 'elevate request list --status pending', 'elevate --as slack:U0123ABCD request list --decidable')
    .addOption(new Option('--status <status>').choices([...REQUEST_STATUSES]))
    .option('--requester <principal>').option('--decidable', 'only requests you (--as) may decide now')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (options: { status?: AccessRequest['status']; requester?: string; decidable?: boolean; limit: string }, command: Command) => {
      await withEngine(async (engine) => {
        const requests = await engine.elevate.listRequests(await actorOf(engine, globals(command)), {
          status: options.status, requester: options.requester, decidable: options.decidable, limit: Number(options.limit) || 100,
        });
        const names = await peopleNames(engine, requests.map((r) => r.requesterId));
        print(globals(command), requests, () => requestRows(requests, names));
      });
    });

  for (const kind of ['approve', 'deny'] as const) {
    example(request.command(kind).argument('<id>').description(`${kind} a request (with --as <approver>)`).option('--comment <text>'),
      `elevate --as slack:U0123ABCD request ${kind} R-7K3Q9ABC${kind === 'deny' ? " --comment 'no ticket'" : ''}`)
      .action(async (id: string, options: { comment?: string }, command: Command) => {
        await withEngine(async (engine) => {
          const actor = await actorOf(engine, globals(command));
          const outcome = kind === 'approve'
            ? await engine.elevate.approve(actor, { requestId: id, comment: options.comment })
            : await engine.elevate.deny(actor, { requestId: id, comment: options.comment });
          print(globals(command), outcome, () => outcome.outcome === 'recorded'
            ? `approval recorded: ${outcome.approvals} of ${outcome.request.approvalsRequired}`
            : `request ${outcome.request.id} ${outcome.outcome}${!outcome.grant ? ''
              : outcome.grant.status === 'scheduled' ? `: access scheduled from ${outcome.grant.startsAt} until ${outcome.grant.endsAt} (grant ${outcome.grant.id})`
                : `: access until ${outcome.grant.endsAt} (grant ${outcome.grant.id})`}`);
        });
      });
  }

  example(request.command('cancel').argument('<id>').description('withdraw a pending request, or an approved window before its start'), 'elevate --as slack:U0123ABCD request cancel R-7K3Q9ABC')
    .action(async (id: string, _options: unknown, command: Command) => {
      await withEngine(async (engine) => {
        const cancelled = await engine.elevate.cancelRequest(await actorOf(engine, globals(command)), id);
        print(globals(command), cancelled, () => cancelled.status === 'cancelled' ? `request ${cancelled.id} cancelled`
          : `request ${cancelled.id}: its window was cancelled before its start (grant ${cancelled.grantId} given up)`);
      });
    });
  return request;
}
