import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { formatDuration } from '../../src/core/duration.js';
import type { Policy } from '../../src/core/model.js';
import { describeTargetType } from '../../src/core/targets.js';
import { modalTitle, optionText, optionValue } from './block-kit.js';
import { escapeMrkdwn, plain } from './mrkdwn.js';

export const CALLBACKS = {
  request: 'elevate.request',
  deny: 'elevate.deny',
  approveWithComment: 'elevate.approveWithComment',
  extend: 'elevate.extend',
  breakGlass: 'elevate.breakGlass',
  flag: 'elevate.breakGlassFlag',
} as const;

/** Block and action ids of the form fields; field errors from the core are shown on these blocks. */
export const FIELDS = { target: 'target', duration: 'duration', reason: 'reason', ticket: 'ticket', comment: 'comment', start: 'start', mode: 'mode' } as const;
/** The form's "Break glass" choice (FIELDS.mode). */
export const BREAK_GLASS_MODE = 'breakGlass';
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
  // Only where the policy allows it; the core still checks the person is in its break-glass group.
  if (selected?.breakGlassGroupId) {
    const options = [
      { text: plain('Ask for approval', 75), value: 'approval' },
      { text: plain('Break glass: access now, without approval (everyone is alerted)', 75), value: BREAK_GLASS_MODE },
    ];
    blocks.push(input(FIELDS.mode, 'Urgent?', { type: 'radio_buttons', options, initial_option: options[0] }, {
      optional: true, hint: 'Break glass only when it cannot wait: the approvers, the admins and the audit feed are told at once and review it afterwards.',
    }));
  }
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

/** What the break-glass warning carries to its confirmation (private_metadata, 3,000 characters: a reason is at most 1,000). */
export interface BreakGlassAsk { target: string; duration: string | null; reason: string | null; ticket: string | null }

/**
 * The warning a break-glass choice leads to: who will be alerted, how long access lasts at most;
 * its submit button is the second click that breaks the glass.
 */
export function breakGlassConfirmModal(ask: BreakGlassAsk, preview: { target: string; maxSeconds: number; alerted: string; usesLeft: number; perDay: number }): ModalView {
  const text = `*Break glass on ${escapeMrkdwn(preview.target)}?*\nYou get access at once, for at most ${formatDuration(preview.maxSeconds)}, without approval. `
    + `This alerts ${escapeMrkdwn(preview.alerted)} now, and the approvers review it afterwards. Uses left today: ${preview.usesLeft} of ${preview.perDay}.`;
  return {
    type: 'modal', callback_id: CALLBACKS.breakGlass, private_metadata: JSON.stringify(ask).slice(0, 3000),
    title: modalTitle('Break glass'), submit: modalTitle('Break glass now'), close: modalTitle('Cancel'),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } } as KnownBlock],
  };
}

/** A modal that only says something (a refusal on a form without fields, such as the break-glass warning). */
export function noticeModal(title: string, text: string): ModalView {
  return {
    type: 'modal', title: modalTitle(title), close: modalTitle('Close'),
    blocks: [{ type: 'section', text: { type: 'plain_text', text: text.slice(0, 3000) } } as KnownBlock],
  };
}

/** Flag a break-glass use: the comment is required (the admins read it). */
export function flagModal(grantId: string): ModalView {
  return {
    type: 'modal', callback_id: CALLBACKS.flag, private_metadata: grantId,
    title: modalTitle('Flag break-glass'), submit: modalTitle('Flag'), close: modalTitle('Cancel'),
    blocks: [input(FIELDS.comment, 'What is wrong with this use? (the admins are told)', { type: 'plain_text_input', multiline: true, max_length: 1000 })],
  };
}

export function extendModal(grantId: string, policy: Policy | undefined): ModalView {
  return {
    type: 'modal', callback_id: CALLBACKS.extend, private_metadata: grantId,
    title: modalTitle('Extend access'), submit: modalTitle('Ask'), close: modalTitle('Cancel'),
    blocks: [
      input(FIELDS.duration, 'How much longer, after the current end?', { type: 'plain_text_input', max_length: 20, initial_value: '1h' }, {
        hint: `Added to the current end${policy?.maxDurationSeconds ? `, up to ${formatDuration(policy.maxDurationSeconds)} from now in all` : ''}. Write 30m, 2h, 1h30m…`,
      }),
      input(FIELDS.reason, 'Why?', { type: 'plain_text_input', multiline: true, max_length: 1000 }, { optional: policy ? !policy.reasonRequired : false, hint: policy?.reasonHint ?? null }),
    ],
  };
}
