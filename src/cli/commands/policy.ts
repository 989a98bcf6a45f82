import { Command, Option } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { DEFAULT_BREAK_GLASS_SECONDS } from '../../core/break-glass.js';
import { InvalidInputError } from '../../core/errors.js';
import type { PolicyInput, TargetType } from '../../core/model.js';
import { parseTarget } from '../../core/targets.js';
import type { ConfigurationOutcome } from '../../core/use-cases/change-configuration.js';
import { example } from '../contract.js';
import { addDocumentCommands } from './policy-document.js';
import { actorOf, globals, print, warn, withEngine, type GlobalOptions } from '../context.js';
import { duration, keyValues, table } from '../output.js';

interface PolicyOptions {
  task?: string; role?: string; roleGroup?: string;
  approval?: 'manual' | 'auto'; approverGroup?: string; approvalsRequired?: string;
  defaultDuration?: string; maxDuration?: string; reasonRequired?: boolean;
  reasonPattern?: string; reasonHint?: string; eligibleGroup?: string; escalationGroup?: string;
  approversChannel?: string; approverDms?: boolean; hook?: string | false; approvalStepUp?: boolean;
  onCall?: string[] | false;
  breakGlassGroup?: string; breakGlassMaxDuration?: string; breakGlassPerDay?: string;
}

/** Repeated `--on-call` options gather into one list. */
function collect(value: string, previous: unknown): string[] {
  return [...(Array.isArray(previous) ? previous as string[] : []), value];
}

function withPolicyFields(command: Command): Command {
  return command
    .addOption(new Option('--approval <mode>', 'manual or auto').choices(['manual', 'auto']))
    .option('--approver-group <group>', 'who decides (default: the default approver group)')
    .option('--approvals-required <n>', 'distinct approvals needed (N of M)')
    .option('--default-duration <duration>', 'grant length when the requester names none, e.g. 4h')
    .option('--max-duration <duration>', 'longest grant a requester may ask for ("none" to remove); a max under the 4h default also shortens the default')
    .option('--reason-required', 'requesters must give a reason')
    .option('--no-reason-required', 'the reason is optional')
    .option('--reason-pattern <regex>', 'the reason or ticket must match, e.g. "^(INC|CHG)[0-9]+"')
    .option('--reason-hint <text>', 'shown to requesters, e.g. "Give the incident number"')
    .option('--eligible-group <group>', 'only its members may request (default: everyone)')
    .option('--escalation-group <group>', 'reminded when a request stays undecided')
    .option('--approvers-channel <channel>', 'also post approval cards here, e.g. slack:C0123 ("none" to remove)')
    .option('--approver-dms', 'approvers get the card by direct message (the default)')
    .option('--no-approver-dms', 'only the approvers channel gets the card')
    .option('--hook <name>', 'provisioning hook (defined in the server\'s ELEVATE_HOOKS) run when a grant starts and ends; roles and role groups only')
    .option('--no-hook', 'no provisioning hook')
    .option('--approval-step-up', 'approvals need a fresh sign-in in the web console (needs ELEVATE_OIDC_ISSUER)')
    .option('--no-approval-step-up', 'approvals may be given anywhere (the default)')
    .option('--on-call <schedule>', 'people on call on it are approved at once (manual policies), until their shift ends plus ELEVATE_ON_CALL_GRACE: pagerduty:<schedule id>, pagerduty:escalation-policy/<id> or opsgenie:<schedule name or id>; repeat for several (set replaces the list)', collect)
    .option('--no-on-call', 'no on-call schedules')
    .option('--break-glass-group <group>', 'its members may take access at once, reviewed afterwards (break-glass; "none" to remove; default none)')
    .option('--break-glass-max-duration <duration>', 'longest break-glass grant (default 1h, within ELEVATE_MAX_GRANT_DURATION)')
    .option('--break-glass-per-day <n>', 'break-glass uses per person in any 24 hours (default 2)');
}

function integer(text: string, field: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidInputError(`${field} must be a whole number, not "${text}"`, { field });
  return Number(text);
}

function policyFields(options: PolicyOptions): Partial<Omit<PolicyInput, 'target'>> {
  const fields: Partial<Omit<PolicyInput, 'target'>> = {};
  if (options.approval) fields.approval = options.approval;
  if (options.approverGroup !== undefined) fields.approverGroup = options.approverGroup;
  if (options.approvalsRequired !== undefined) fields.approvalsRequired = integer(options.approvalsRequired, 'approvals required');
  if (options.defaultDuration !== undefined) fields.defaultDurationSeconds = parseDuration(options.defaultDuration, 'default duration');
  if (options.maxDuration !== undefined) {
    fields.maxDurationSeconds = options.maxDuration === 'none' ? null : parseDuration(options.maxDuration, 'max duration');
  }
  if (options.reasonRequired !== undefined) fields.reasonRequired = options.reasonRequired;
  if (options.reasonPattern !== undefined) fields.reasonPattern = options.reasonPattern;
  if (options.reasonHint !== undefined) fields.reasonHint = options.reasonHint;
  if (options.eligibleGroup !== undefined) fields.eligibleGroup = options.eligibleGroup;
  if (options.escalationGroup !== undefined) fields.escalationGroup = options.escalationGroup;
  if (options.approversChannel !== undefined) fields.approversChannel = options.approversChannel === 'none' ? null : options.approversChannel;
  if (options.approverDms !== undefined) fields.approverDms = options.approverDms;
  if (options.hook !== undefined) fields.hook = options.hook === false ? null : options.hook;
  if (options.approvalStepUp !== undefined) fields.approvalStepUp = options.approvalStepUp;
  if (options.onCall !== undefined) fields.onCall = options.onCall === false ? [] : options.onCall;
  if (options.breakGlassGroup !== undefined) fields.breakGlassGroup = options.breakGlassGroup === 'none' ? null : options.breakGlassGroup;
  if (options.breakGlassMaxDuration !== undefined) fields.breakGlassMaxDurationSeconds = parseDuration(options.breakGlassMaxDuration, 'break-glass max duration');
  if (options.breakGlassPerDay !== undefined) fields.breakGlassPerDay = integer(options.breakGlassPerDay, 'break-glass per day');
  return fields;
}

/** The outcome of a configuration change; its warnings go to stderr (see `warn`). */
export function describeOutcome(outcome: ConfigurationOutcome): string {
  warn(outcome.warnings);
  return outcome.status === 'applied'
    ? `done: ${outcome.summary}`
    : `protected configuration: request ${outcome.request.id} is waiting for another admin to approve "${outcome.summary}"`;
}

function targetOf(options: PolicyOptions) {
  const given = ([['task', options.task], ['role', options.role], ['roleGroup', options.roleGroup]] as Array<[TargetType, string | undefined]>)
    .filter(([, name]) => name !== undefined);
  if (given.length !== 1) throw new InvalidInputError('name exactly one target: --task, --role or --role-group <Scope\\Name>', { field: 'target' });
  return parseTarget(given[0]![0], given[0]![1]!);
}

export function policyCommand(): Command {
  const policy = new Command('policy').description('access policies: one per task, role or role group');

  example(withPolicyFields(policy.command('new').description('create the policy of a target')),
    "elevate policy new --task 'Exchange\\Search-Mailbox' --approval manual --approver-group approvers --max-duration 8h",
    "elevate policy new --role-group 'Exchange\\Organization Management' --approval manual --approver-group approvers --approvals-required 2 --hook exchange-rbac")
    .option('--task <Scope\\Name>', 'a command, e.g. Exchange\\Search-Mailbox')
    .option('--role <Scope\\Name>', 'a management role')
    .option('--role-group <Scope\\Name>', 'a role group')
    .action(async (options: PolicyOptions, command: Command) => {
      const target = targetOf(options);
      if (!options.approval) throw new InvalidInputError('--approval manual|auto is required', { field: 'approval' });
      await withEngine(async (engine) => {
        const outcome = await engine.elevate.createPolicy(await actorOf(engine, globals(command)), { target, ...policyFields(options), approval: options.approval! });
        print(globals(command), outcome, () => describeOutcome(outcome));
      });
    });

  example(withPolicyFields(policy.command('set').argument('<target>', 'Scope\\Name').description('change fields of a policy')),
    "elevate policy set 'Exchange\\Search-Mailbox' --approvals-required 2 --max-duration 4h")
    .action(async (target: string, options: PolicyOptions, command: Command) => {
      const patch = policyFields(options);
      if (Object.keys(patch).length === 0) throw new InvalidInputError('name at least one field to change, e.g. --max-duration 8h', { field: 'policy' });
      await withEngine(async (engine) => {
        const outcome = await engine.elevate.updatePolicy(await actorOf(engine, globals(command)), target, patch);
        print(globals(command), outcome, () => describeOutcome(outcome));
      });
    });

  example(policy.command('remove').argument('<target>', 'Scope\\Name').description('remove the policy of a target')
    .addOption(new Option('--end-grants', 'revoke its active grants now').conflicts('keepGrants'))
    .addOption(new Option('--keep-grants', 'let its active grants run to their end'))
    .addHelpText('after', '\nA policy with active grants is removed only with --end-grants or --keep-grants.')
    .action(async (target: string, options: { endGrants?: boolean; keepGrants?: boolean }, command: Command) => {
      await withEngine(async (engine) => {
        const activeGrants = options.endGrants ? 'end' : options.keepGrants ? 'keep' : undefined;
        const outcome = await engine.elevate.removePolicy(await actorOf(engine, globals(command)), target, activeGrants);
        print(globals(command), outcome, () => describeOutcome(outcome));
      });
    }), "elevate policy remove 'Exchange\\Search-Mailbox' --end-grants");

  example(policy.command('get').argument('[target]', 'Scope\\Name; all policies when absent').description('show policies'), 'elevate policy get', "elevate policy get 'Exchange\\Search-Mailbox'")
    .action(async (target: string | undefined, _options: unknown, command: Command) => {
      const options: GlobalOptions = globals(command);
      await withEngine(async (engine) => {
        if (target) {
          const p = await engine.elevate.getPolicy(target);
          print(options, p, () => keyValues([
            ['target', p.target.name], ['type', p.target.type], ['approval', p.approval], ['approver group', p.approverGroupName],
            ['approvals required', p.approvalsRequired], ['default duration', duration(p.defaultDurationSeconds)],
            ['max duration', duration(p.maxDurationSeconds)], ['reason required', p.reasonRequired],
            ['reason pattern', p.reasonPattern], ['reason hint', p.reasonHint], ['eligible group', p.eligibleGroupName ?? 'everyone'],
            ['hook', p.hook], ['step-up approval', p.approvalStepUp], ['on call', p.onCall.length > 0 ? p.onCall.join(', ') : 'none'],
            ['break-glass', p.breakGlassGroupName ? `${p.breakGlassGroupName}, at most ${duration(p.breakGlassMaxDurationSeconds ?? DEFAULT_BREAK_GLASS_SECONDS)}, ${p.breakGlassPerDay} a day` : 'none'],
          ]));
          return;
        }
        const policies = await engine.elevate.listPolicies();
        print(options, policies, () => table(
          ['TARGET', 'TYPE', 'APPROVAL', 'APPROVERS', 'N', 'DEFAULT', 'MAX', 'REASON', 'HOOK'],
          policies.map((p) => [p.target.name, p.target.type, p.approval, p.approverGroupName, p.approvalsRequired,
            duration(p.defaultDurationSeconds), duration(p.maxDurationSeconds), p.reasonRequired ? 'required' : 'optional', p.hook]),
        ));
      });
    });
  addDocumentCommands(policy);
  return policy;
}
