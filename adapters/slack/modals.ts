import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { formatDuration } from '../../src/core/duration.js';
import type { Policy } from '../../src/core/model.js';
import { describeTargetType } from '../../src/core/targets.js';
import { modalTitle, optionText, optionValue } from './block-kit.js';
import { plain } from './mrkdwn.js';

export const CALLBACKS = {
  request: 'elevate.request',
  deny: 'elevate.deny',
  approveWithComment: 'elevate.approveWithComment',
  extend: 'elevate.extend',
} as const;

/** Block and action ids of the form fields; field errors from the core are shown on these blocks. */
export const FIELDS = { target: 'target', duration: 'duration', reason: 'reason', ticket: 'ticket', comment: 'comment', start: 'start' } as const;
export const TARGET_ACTION = 'form.target';

// Slack static selects hold 100 options; beyond that the select asks Elevate as the user types.
const MAX_STATIC_OPTIONS = 100;
// Slack plain-text inputs hold up to 3000 characters.
const MAX_INPUT_LENGTH = 3000;

const GROUP_LABELS: Record<Policy['target']['type'], string> = { task: 'Tasks', role: 'Roles', roleGroup: 'Role groups' };

function option(policy: Policy): PlainTextOption {
  // The id, not the name: names may be longer than an option value allows.
  return { text: optionText(policy.target.name), value: optionValue(policy.id) };
}

export function targetOptionGroups(policies: Policy[], query = '') {
  const wanted = query.trim().toLowerCase();
  const matching = policies.filter((p) => p.target.name.toLowerCase().includes(wanted));
  return (['task', 'role', 'roleGroup'] as const)
    .map((type) => ({ label: plain(GROUP_LABELS[type], 75), options: matching.filter((p) => p.target.type === type).map(option).slice(0, MAX_STATIC_OPTIONS) }))
    .filter((group) => group.options.length > 0);
}

function input(blockId: string, label: string, element: Record<string, unknown>, options: { optional?: boolean; hint?: string | null } = {}): KnownBlock {
  return {
    type: 'input', block_id: blockId, label: plain(label, 2000), optional: options.optional ?? false,
    ...(options.hint ? { hint: plain(options.hint, 2000) } : {}),
    element: { action_id: blockId, ...element },
  } as KnownBlock;
}

/** The request form: only targets that have a policy; the rest adapts to the chosen policy. */
export function requestModal(policies: Policy[], selected: Policy | undefined): ModalView {
  const select = policies.length > MAX_STATIC_OPTIONS
    ? { type: 'external_select', min_query_length: 0 }
    : { type: 'static_select', option_groups: targetOptionGroups(policies) };
  const durationHint = selected
    ? `Default ${formatDuration(selected.defaultDurationSeconds)}${selected.maxDurationSeconds ? `, at most ${formatDuration(selected.maxDurationSeconds)}` : ''}. Write 30m, 2h, 1h30m…`
    : 'Write 30m, 2h, 1h30m…';
  const blocks: KnownBlock[] = [
    {
      type: 'input', block_id: FIELDS.target, dispatch_action: true, label: plain('What do you need?', 2000),
      element: {
        ...select, action_id: TARGET_ACTION, placeholder: plain('Choose or type a task, role or role group', 150),
        ...(selected ? { initial_option: option(selected) } : {}),
      },
    } as KnownBlock,
  ];
  if (selected) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${describeTargetType(selected.target.type)} · ${selected.approval === 'auto' ? 'approved automatically' : `${selected.approvalsRequired} approval(s) needed`}` }] });
  }
  blocks.push(
    input(FIELDS.duration, 'For how long?', {
      type: 'plain_text_input', max_length: 20,
      ...(selected ? { initial_value: formatDuration(selected.defaultDurationSeconds) } : {}),
    }, { hint: durationHint, optional: true }),
    input(FIELDS.reason, 'Why?', { type: 'plain_text_input', multiline: true, max_length: 1000 }, {
      optional: selected ? !selected.reasonRequired : false, hint: selected?.reasonHint ?? null,
    }),
    input(FIELDS.ticket, 'Ticket', { type: 'plain_text_input', max_length: 100 }, { optional: true, hint: 'e.g. INC-1234' }),
    // Slack's date-time picker shows the reader's own time zone and submits Unix seconds
    // (docs.slack.dev/reference/block-kit/block-elements/datetime-picker-element).
    input(FIELDS.start, 'Starting when? (a scheduled window)', { type: 'datetimepicker' }, {
      optional: true, hint: 'Leave empty for access as soon as it is approved. A window may be approved any time before it starts.',
    }),
  );
  return {
    type: 'modal', callback_id: CALLBACKS.request, title: modalTitle('Request access'),
    submit: modalTitle('Request'), close: modalTitle('Cancel'), blocks,
  };
}

/** Deny (comment asked for) or approve with a comment. */
export function commentModal(kind: 'deny' | 'approveWithComment', requestId: string): ModalView {
  const deny = kind === 'deny';
  return {
    type: 'modal', callback_id: deny ? CALLBACKS.deny : CALLBACKS.approveWithComment, private_metadata: requestId,
    title: modalTitle(deny ? `Deny ${requestId}` : `Approve ${requestId}`),
    submit: modalTitle(deny ? 'Deny' : 'Approve'), close: modalTitle('Cancel'),
    blocks: [input(FIELDS.comment, deny ? 'Why are you denying it? (the requester sees this)' : 'Comment (the requester sees this)', {
      type: 'plain_text_input', multiline: true, max_length: Math.min(1000, MAX_INPUT_LENGTH),
    }, { optional: !deny })],
  };
}

export function extendModal(grantId: string, policy: Policy | undefined): ModalView {
  return {
    type: 'modal', callback_id: CALLBACKS.extend, private_metadata: grantId,
    title: modalTitle('Extend access'), submit: modalTitle('Ask'), close: modalTitle('Cancel'),
    blocks: [
      input(FIELDS.duration, 'For how long from approval?', { type: 'plain_text_input', max_length: 20, initial_value: policy ? formatDuration(policy.defaultDurationSeconds) : '1h' }, {
        hint: policy?.maxDurationSeconds ? `At most ${formatDuration(policy.maxDurationSeconds)}` : 'Write 30m, 2h, 1h30m…',
      }),
      input(FIELDS.reason, 'Why?', { type: 'plain_text_input', multiline: true, max_length: 1000 }, { optional: policy ? !policy.reasonRequired : false, hint: policy?.reasonHint ?? null }),
    ],
  };
}
