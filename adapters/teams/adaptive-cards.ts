/**
 * Adaptive Card serializer for Microsoft Teams: turns the core's neutral Card into an Adaptive
 * Card (version 1.5, Universal Actions), and draws the request form and plain replies. This file
 * (with card-text.ts) is the only place that knows Teams' card rules and escaping (DESIGN rules 2
 * and 3). Whatever the card holds, the output parses without errors or warnings in the Adaptive
 * Cards reference library and weighs at most CARD_BYTE_BUDGET bytes: text that does not fit is
 * cut with a visible `…`, and facts or actions that do not fit are summed up in a subtle line
 * ("… N more facts not shown here").
 *
 * Clicks arrive as `invoke` activities named `adaptiveCard/action` with
 * `value.action.verb` (the neutral verb) and `value.action.data` (the action's `data` merged with
 * the values of the inputs it submits); read them with readActionSubmission / readRequestForm.
 */
import type { AdaptiveCardActionCardResponse } from '@microsoft/teams.api';
import { isLink, type ActionVerb, type Card, type CardAction, type CardFact, type Tone } from '../../src/core/cards.js';
import {
  CARD_BYTE_BUDGET, ELLIPSIS, MAX_ACTION_TITLE, MAX_ACTION_VALUE, MAX_CARD_ACTIONS, MAX_CHOICE_TITLE, MAX_COMMENT_INPUT,
  MAX_DURATION_INPUT, MAX_ERROR_TEXT, MAX_FACT_LABEL, MAX_FACT_VALUE, MAX_PLACEHOLDER, MAX_REASON_INPUT, MAX_REFRESH_DATA_BYTES,
  MAX_REFRESH_USER_ID, MAX_REFRESH_USERS, MAX_STATUS_TEXT, MAX_SUMMARY, MAX_TEXT_LINE, MAX_TICKET_INPUT, MAX_TITLE, clip,
  cleanText, fitMarkdown, fitPlain, jsonBytes, oneLine, serializedBytes, shareBudget, truncate,
} from './card-text.js';

/** An Adaptive Card as JSON, ready for `cardAttachment` or an invoke response's `value`. */
export type AdaptiveCardJson = Record<string, unknown>;
type Json = Record<string, unknown>;

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
export const ADAPTIVE_CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
/**
 * 1.4 brings Action.Execute and `refresh` (Universal Actions); 1.5 the filtered ChoiceSet
 * (type to filter). Teams desktop, web and mobile render 1.5; nothing here needs 1.6.
 */
export const ADAPTIVE_CARD_VERSION = '1.5';
/** Status colour per tone (Adaptive Card TextBlock colours). */
export const TONE_COLOR: Readonly<Record<Tone, 'Good' | 'Attention' | 'Warning' | 'Accent' | 'Default'>> = {
  pending: 'Warning', approved: 'Good', denied: 'Attention', expired: 'Default',
  cancelled: 'Default', revoked: 'Attention', info: 'Accent', warning: 'Warning',
};

/** Status emoji per tone, as on Slack: the tone must read at a glance, colour or not. */
export const TONE_EMOJI: Readonly<Record<Tone, string>> = {
  pending: '⏳', approved: '✅', denied: '⛔', expired: '⌛', cancelled: '🚫', revoked: '🔒', info: 'ℹ️', warning: '⚠️',
};

/** The verb of the request form's submit button. */
export const FORM_VERB = 'form.request';
export { readActionSubmission, readRequestForm, type ActionSubmission } from './card-submissions.js';
/** Input ids of the request form; their values arrive under these keys in `action.data`. */
export const FORM_FIELDS = { target: 'target', duration: 'duration', reason: 'reason', ticket: 'ticket', startDate: 'startDate', startTime: 'startTime', mode: 'mode' } as const;
/** The form's "Break glass" choice (FORM_FIELDS.mode), and the verb of the warning's button that breaks the glass. */
export const BREAK_GLASS_MODE = 'breakGlass';
export const BREAK_GLASS_CONFIRM_VERB = 'breakGlass.confirm';
export type FormField = keyof typeof FORM_FIELDS;

/** What a verb that needs words asks for, drawn as an Action.ShowCard (the click stays in the card). */
interface InputForm {
  submit: string;
  inputs: (prefix: string) => Json[];
}

const INPUT_FORMS: Partial<Record<ActionVerb, InputForm>> = {
  'request.deny': {
    submit: 'Deny',
    inputs: (p) => [textInput(`${p}.comment`, 'Why are you denying it? (the requester sees this)', MAX_COMMENT_INPUT, {
      isMultiline: true, isRequired: true, errorMessage: 'Say why you deny it.',
    })],
  },
  'request.approveWithComment': {
    submit: 'Approve',
    inputs: (p) => [textInput(`${p}.comment`, 'Comment (the requester sees this)', MAX_COMMENT_INPUT, { isMultiline: true })],
  },
  'breakGlass.flag': {
    submit: 'Flag',
    inputs: (p) => [textInput(`${p}.comment`, 'What is wrong with this break-glass use? (the admins are told)', MAX_COMMENT_INPUT, {
      isMultiline: true, isRequired: true, errorMessage: 'Say what is wrong with it.',
    })],
  },
  'grant.extend': {
    submit: 'Ask to extend',
    inputs: (p) => [
      textInput(`${p}.duration`, 'How much longer, after the current end?', MAX_DURATION_INPUT, {
        placeholder: 'e.g. 2h, 30m', isRequired: true, errorMessage: 'Say for how long, e.g. 2h.',
      }),
      textInput(`${p}.reason`, 'Why?', MAX_REASON_INPUT, { isMultiline: true }),
    ],
  },
};

export interface CardToAdaptiveCardOptions {
  /** Draw the card's actions (default true); false for read-only copies (feed, audit, decided). */
  actions?: boolean;
  /**
   * Ask these users' clients for their own view: Teams sends an `adaptiveCard/action` invoke
   * with this verb and data (trigger `automatic`) when one of them opens the card, and shows the
   * card answered in the invoke response to that user only. `userIds` are Teams user MRIs (the
   * `from.id` of their activities); duplicates and empty ids are dropped, and only the first
   * MAX_REFRESH_USERS are kept (Teams' limit). With no user id left, no `refresh` is added.
   */
  refresh?: { verb: string; data: Record<string, unknown>; userIds: string[] };
  /** A line under the status for the person who clicked (why their click changed nothing), e.g. "Request R-… is already denied". */
  note?: string;
}

/**
 * Serializes a card as an Adaptive Card: a bold title, a coloured status line with the tone's
 * emoji, the facts as a FactSet (labels and values escaped: Teams renders markdown in facts), a
 * subtle line if anything was left out, and the actions. Plain verbs become `Action.Execute`
 * (`verb` = the neutral verb, `data: { value }`); `request.deny`, `request.approveWithComment` and
 * `grant.extend` become an `Action.ShowCard` holding their inputs and an `Action.Execute` with
 * the same verb and `data: { value, form }` (see readActionSubmission). Styles: primary →
 * `positive`, danger → `destructive`. The summary goes to `fallbackText`.
 *
 * Never throws for any card content and never exceeds CARD_BYTE_BUDGET. Actions whose value is
 * longer than MAX_ACTION_VALUE (a cut value would name the wrong request) and actions past
 * MAX_CARD_ACTIONS are left out and counted. Facts share what the rest leaves of the budget: the
 * longest values are cut first; if even cut facts do not fit, the last ones are left out.
 * Throws RangeError only for a programming error in `refresh` (data over
 * MAX_REFRESH_DATA_BYTES, a user id over MAX_REFRESH_USER_ID, an empty verb).
 */
export function cardToAdaptiveCard(card: Card, options: CardToAdaptiveCardOptions = {}): AdaptiveCardJson {
  const refresh = options.refresh ? refreshDefinition(options.refresh) : null;
  // Links change nothing: read-only copies keep them.
  const wanted = options.actions === false ? card.actions.filter(isLink) : card.actions;
  const kept = wanted.filter((a) => a.value !== '' && a.value.length <= MAX_ACTION_VALUE && (!isLink(a) || linkUrl(a) !== null)).slice(0, MAX_CARD_ACTIONS);
  const hiddenActions = wanted.length - kept.length;

  const head: Json[] = [textBlock(fitMarkdown(oneLine(card.title), MAX_TITLE), { weight: 'Bolder', size: 'Medium' })];
  if (card.status) head.push(statusBlock(card.status));
  const note = oneLine(options.note ?? '');
  if (note !== '') head.push(textBlock(`${TONE_EMOJI.info} ${fitMarkdown(note, MAX_STATUS_TEXT - TONE_EMOJI.info.length - 1)}`, { isSubtle: true, spacing: 'Small' }));

  const build = (facts: CardFact[], hiddenFacts: number): AdaptiveCardJson => {
    const body = [...head];
    if (facts.length > 0) body.push({ type: 'FactSet', facts: facts.map((f) => ({ title: f.label, value: f.value })) });
    const note = leftOutNote([[hiddenFacts, 'fact', 'facts'], [hiddenActions, 'action', 'actions']]);
    if (note) body.push(note);
    return envelope(body, kept.map(actionJson), { fallbackText: cardSummary(card), ...(refresh ? { refresh } : {}) });
  };

  // Facts past what the budget could hold even cut to `—: …` are never drawn: skip their work.
  const facts = card.facts.slice(0, MAX_DRAWABLE_FACTS).map((f) => ({
    label: fitMarkdown(oneLine(f.label), MAX_FACT_LABEL),
    value: fitMarkdown(oneLine(f.value), MAX_FACT_VALUE),
  }));
  // Room for the facts: the budget less the card without facts, an empty FactSet's wrapper and
  // the longest note we could add (its counts at most 6 digits each).
  const room = CARD_BYTE_BUDGET - serializedBytes(build([{ label: '', value: '' }], 999_999)) - 1;
  let fitted = fitFacts(facts, room);
  let json = build(fitted, card.facts.length - fitted.length);
  // The accounting above is exact; this only guards against a mistake in it.
  while (serializedBytes(json) > CARD_BYTE_BUDGET && fitted.length > 0) {
    fitted = fitted.slice(0, -1);
    json = build(fitted, card.facts.length - fitted.length);
  }
  return json;
}

/**
 * The card's one-line summary as plain text (the title if the summary is empty), at most
 * MAX_SUMMARY characters: for `fallbackText` and the activity's `summary` (notification preview).
 */
export function cardSummary(card: Card): string {
  return fitPlain(oneLine(card.summary) || oneLine(card.title), MAX_SUMMARY);
}

function statusBlock(status: NonNullable<Card['status']>): Json {
  const emoji = TONE_EMOJI[status.tone];
  const words = oneLine(status.text) || status.tone;
  return textBlock(`${emoji} ${fitMarkdown(words, MAX_STATUS_TEXT - emoji.length - 1)}`, { color: TONE_COLOR[status.tone], spacing: 'Small' });
}

// The smallest a fact can be (`{"title":"—","value":"…"},`), so no card holds more facts than this.
const MAX_DRAWABLE_FACTS = Math.floor(CARD_BYTE_BUDGET / (serializedBytes({ title: '—', value: ELLIPSIS }) + 1));

/** What one fact costs inside the FactSet's array, comma included. */
function factBytes(fact: CardFact): number {
  return serializedBytes({ title: fact.label, value: fact.value }) + 1;
}

/**
 * The longest prefix of facts that fits `room` bytes once values are cut, with the longest
 * values cut first ("water filling" over their byte lengths); short facts stay whole.
 */
function fitFacts(facts: CardFact[], room: number): CardFact[] {
  const costs = facts.map(factBytes);
  if (costs.reduce((sum, n) => sum + n, 0) <= room) return facts;
  // Keep as many facts as fit with each value cut to the bare ellipsis.
  const kept = facts.slice(0, countFitting(facts.map((f) => ({ title: f.label, value: ELLIPSIS })), room));
  const valueBytes = kept.map((f) => jsonBytes(f.value));
  const fixed = kept.reduce((sum, f, i) => sum + costs[i]! - valueBytes[i]!, 0);
  const caps = shareBudget(valueBytes, room - fixed);
  const ellipsisBytes = jsonBytes(ELLIPSIS);
  return kept.map((f, i) => (valueBytes[i]! <= caps[i]! ? f : { label: f.label, value: truncate(f.value, Math.max(caps[i]!, ellipsisBytes), jsonBytes) }));
}

/** A link's address when it is absolute http(s); null otherwise (the action is left out). */
function linkUrl(action: CardAction): string | null {
  const url = action.url ?? '';
  return /^https?:\/\/\S+$/.test(url) && url.length <= MAX_LINK_URL ? url : null;
}

// Browsers and Teams clients handle far longer addresses; a request page's address is short.
const MAX_LINK_URL = 2000;

function actionJson(action: CardAction, index: number): Json {
  const title = fitPlain(oneLine(action.label), MAX_ACTION_TITLE);
  const style = action.style === 'primary' ? { style: 'positive' } : action.style === 'danger' ? { style: 'destructive' } : {};
  // Action.OpenUrl opens the page in the browser; nothing comes back to the bot.
  if (isLink(action)) return { type: 'Action.OpenUrl', title, url: linkUrl(action), ...style };
  const form = INPUT_FORMS[action.verb];
  if (!form) return { type: 'Action.Execute', verb: action.verb, title, data: { value: action.value }, ...style };
  // Input ids must be unique in the whole card, and a card may hold two actions that ask for a
  // comment (deny, approve with comment), so each ShowCard's inputs get their own prefix.
  const prefix = `a${index}`;
  return {
    type: 'Action.ShowCard', title, ...style,
    card: {
      type: 'AdaptiveCard',
      body: form.inputs(prefix),
      actions: [{ type: 'Action.Execute', verb: action.verb, title: form.submit, data: { value: action.value, form: prefix }, ...style }],
    },
  };
}

function refreshDefinition(refresh: NonNullable<CardToAdaptiveCardOptions['refresh']>): Json | null {
  if (refresh.verb.trim() === '') throw new RangeError('refresh verb is empty');
  if (serializedBytes(refresh.data) > MAX_REFRESH_DATA_BYTES) {
    throw new RangeError(`refresh data is over ${MAX_REFRESH_DATA_BYTES} bytes; pass ids, not content`);
  }
  const long = refresh.userIds.find((id) => id.length > MAX_REFRESH_USER_ID);
  if (long !== undefined) throw new RangeError(`refresh user id is over ${MAX_REFRESH_USER_ID} characters: pass Teams user MRIs`);
  const userIds = [...new Set(refresh.userIds.filter((id) => id.trim() !== ''))].slice(0, MAX_REFRESH_USERS);
  if (userIds.length === 0) return null;
  return { action: { type: 'Action.Execute', verb: refresh.verb, data: refresh.data }, userIds };
}

/** "… 3 more facts and 1 action not shown here", or null when nothing was left out. */
function leftOutNote(counts: Array<[count: number, one: string, many: string]>): Json | null {
  const parts = counts.filter(([n]) => n > 0).map(([n, one, many], i) => `${n}${i === 0 ? ' more' : ''} ${n === 1 ? one : many}`);
  return parts.length === 0 ? null : textBlock(`${ELLIPSIS} ${parts.join(' and ')} not shown here`, { isSubtle: true, size: 'Small' });
}

/** How many of `items`, from the first, fit in `room` bytes as elements of a JSON array. */
function countFitting(items: unknown[], room: number): number {
  let used = 0;
  for (let i = 0; i < items.length; i += 1) {
    used += serializedBytes(items[i]) + 1;
    if (used > room) return i;
  }
  return items.length;
}

// ---- Request form --------------------------------------------------------------------------

/** A policy as the request form shows it: display-ready durations, one choice per policy. */
export interface FormPolicy {
  id: string;
  name: string;
  type: 'task' | 'role' | 'roleGroup';
  defaultDuration: string;
  maxDuration: string | null;
  reasonHint: string | null;
  /** The policy allows break-glass (the form then offers the choice; the core checks who may). */
  breakGlass?: boolean;
}

const TYPE_LABELS: Record<FormPolicy['type'], string> = { task: 'Task', role: 'Role', roleGroup: 'Role group' };
const TYPE_ORDER: FormPolicy['type'][] = ['task', 'role', 'roleGroup'];

/**
 * The request form: a filtered ChoiceSet `target` (type to filter; choices grouped by type and
 * titled "Task · Exchange\Search-Mailbox · 1h (max 8h)", value = policy id), Input.Text
 * `duration`, `reason` (multiline, the policies' reason hints as placeholder) and `ticket`, and
 * an Action.Execute with verb FORM_VERB. `errors` are shown as red lines under their field (and
 * as the input's `errorMessage`); `values` are put back in the inputs (a target only if it is
 * still a choice). Choices that would push the card over CARD_BYTE_BUDGET are left out and
 * counted in a line pointing to the `request <target>` command. Without policies the card says
 * so and has no inputs. Throws RangeError if a policy id is longer than MAX_ACTION_VALUE (ids
 * are never cut: a cut id would request something else).
 */
export function requestFormCard(
  policies: FormPolicy[],
  errors: Partial<Record<FormField, string>> = {},
  values: Partial<Record<FormField, string>> = {},
): AdaptiveCardJson {
  const title = textBlock('Request access', { weight: 'Bolder', size: 'Medium' });
  if (policies.length === 0) {
    return envelope([title, textBlock(fitMarkdown('No targets can be requested yet: an admin adds them with the policy new command.', MAX_TEXT_LINE))], []);
  }
  const long = policies.find((p) => p.id.length > MAX_ACTION_VALUE);
  if (long) throw new RangeError(`policy id is over ${MAX_ACTION_VALUE} characters: ${long.id.slice(0, 40)}…`);
  const ordered = TYPE_ORDER.flatMap((type) => policies.filter((p) => p.type === type));
  const choices = ordered.map((p) => ({ title: choiceTitle(p), value: p.id }));
  const hints = [...new Set(policies.map((p) => oneLine(p.reasonHint ?? '')).filter((h) => h !== ''))];
  const target = values.target !== undefined && policies.some((p) => p.id === values.target) ? values.target : undefined;

  const build = (shown: typeof choices): AdaptiveCardJson => {
    const body: Json[] = [title];
    const field = (name: FormField, input: Json) => {
      const given = errors[name];
      const error = given === undefined ? '' : oneLine(given);
      body.push(error === '' ? input : { ...input, errorMessage: fitPlain(error, MAX_ERROR_TEXT) });
      if (error !== '') body.push(textBlock(fitMarkdown(error, MAX_ERROR_TEXT), { color: 'Attention', size: 'Small', spacing: 'None' }));
    };
    field('target', {
      type: 'Input.ChoiceSet', id: FORM_FIELDS.target, label: 'What do you need?', style: 'filtered',
      placeholder: 'Type to find a task, role or role group', isRequired: true, errorMessage: 'Choose what you need.',
      choices: shown, ...(target !== undefined && shown.some((c) => c.value === target) ? { value: target } : {}),
    });
    const hidden = choices.length - shown.length;
    if (hidden > 0) {
      const note = `${ELLIPSIS} ${hidden} more ${hidden === 1 ? 'target is' : 'targets are'} not listed; ask for one by name: request <target>`;
      body.push(textBlock(fitMarkdown(note, MAX_TEXT_LINE), { isSubtle: true, size: 'Small' }));
    }
    field('duration', textInput(FORM_FIELDS.duration, 'For how long?', MAX_DURATION_INPUT, {
      placeholder: 'e.g. 2h, 30m (empty: the default shown with the target)', value: values.duration,
    }));
    field('reason', textInput(FORM_FIELDS.reason, 'Why?', MAX_REASON_INPUT, {
      isMultiline: true, value: values.reason,
      placeholder: fitPlain(hints.length > 0 ? `Why do you need it? ${hints.join(' · ')}` : 'Why do you need it?', MAX_PLACEHOLDER),
    }));
    field('ticket', textInput(FORM_FIELDS.ticket, 'Ticket', MAX_TICKET_INPUT, { placeholder: 'e.g. INC-1234', value: values.ticket }));
    // A scheduled window: Input.Date sends YYYY-MM-DD, Input.Time HH:MM, both in the reader's own
    // time zone, which the adapter reads from the activity (Adaptive Cards "Input.Date", "Input.Time").
    field('startDate', { type: 'Input.Date', id: FORM_FIELDS.startDate, label: 'Starting when? (a scheduled window; empty: as soon as approved)', ...(values.startDate ? { value: values.startDate } : {}) });
    field('startTime', { type: 'Input.Time', id: FORM_FIELDS.startTime, label: 'At what time?', ...(values.startTime ? { value: values.startTime } : {}) });
    if (policies.some((p) => p.breakGlass)) {
      field('mode', {
        type: 'Input.ChoiceSet', id: FORM_FIELDS.mode, label: 'Urgent? (break glass only where the target allows it)', style: 'expanded', value: values.mode ?? 'approval',
        choices: [{ title: 'Ask for approval', value: 'approval' }, { title: 'Break glass: access now, without approval (everyone is alerted)', value: BREAK_GLASS_MODE }],
      });
    }
    return envelope(body, [{ type: 'Action.Execute', verb: FORM_VERB, title: 'Request', style: 'positive' }]);
  };

  // Choices are the only part that grows with the data; keep as many as fit.
  let json = build(choices);
  if (serializedBytes(json) <= CARD_BYTE_BUDGET) return json;
  let count = Math.max(countFitting(choices, CARD_BYTE_BUDGET - serializedBytes(build([]))), 1);
  json = build(choices.slice(0, count));
  while (serializedBytes(json) > CARD_BYTE_BUDGET && count > 1) json = build(choices.slice(0, --count));
  return json;
}

function choiceTitle(policy: FormPolicy): string {
  const max = policy.maxDuration ? ` (max ${oneLine(policy.maxDuration)})` : '';
  return fitPlain(`${TYPE_LABELS[policy.type]} · ${oneLine(policy.name)} · ${oneLine(policy.defaultDuration)}${max}`, MAX_CHOICE_TITLE);
}

// ---- Plain replies -------------------------------------------------------------------------

/**
 * A plain reply: `text` as escaped markdown and, if given, `monospace` below it in a monospaced
 * font (reports, tables). Each line is its own TextBlock, because Teams clients differ in how
 * they render a single `\n` inside one; in monospace lines spaces become no-break spaces so
 * columns stay aligned. Lines past the byte budget are left out and counted.
 */
export function textCard(text: string, monospace?: string): AdaptiveCardJson {
  const lines: Json[] = [];
  let gap = false;
  const add = (source: string, mono: boolean) => {
    for (const line of cleanText(source).split('\n')) {
      if (line.trim() === '') {
        gap = lines.length > 0;
        continue;
      }
      const words = mono ? fitMarkdown(line.replace(/\t/g, '    ').trimEnd(), MAX_TEXT_LINE).replace(/ /g, '\u00A0') : fitMarkdown(line.trim(), MAX_TEXT_LINE);
      lines.push(textBlock(words, { ...(mono ? { fontType: 'Monospace' } : {}), ...(lines.length > 0 ? { spacing: gap ? 'Medium' : 'None' } : {}) }));
      gap = false;
    }
  };
  add(text, false);
  if (monospace !== undefined) {
    gap = lines.length > 0;
    add(monospace, true);
  }
  if (lines.length === 0) lines.push(textBlock('—'));
  const count = countFitting(lines, CARD_BYTE_BUDGET - serializedBytes(envelope([leftOutNote([[999_999, 'line', 'lines']])!], [])));
  const note = leftOutNote([[lines.length - count, 'line', 'lines']]);
  return envelope(note ? [...lines.slice(0, count), note] : lines, []);
}

/**
 * The break-glass warning: what will happen and who will be alerted; its one button (the second
 * click) carries what was asked in `data` and breaks the glass.
 */
export function breakGlassWarningCard(text: string, data: Record<string, string | null>): AdaptiveCardJson {
  return envelope(
    [textBlock(fitMarkdown('⚠️ Break glass?', MAX_TITLE), { weight: 'Bolder', size: 'Medium', color: 'Attention' }), textBlock(fitMarkdown(text, MAX_TEXT_LINE))],
    [{ type: 'Action.Execute', verb: BREAK_GLASS_CONFIRM_VERB, title: 'Break glass now', style: 'destructive', data }],
  );
}

/** The attachment for an activity's `attachments`. */
export function cardAttachment(card: AdaptiveCardJson): { contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; content: AdaptiveCardJson } {
  return { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card };
}

/**
 * The invoke response that shows `card` in place of the clicked one (an `adaptiveCard/action`
 * answer). For a refresh, answer with the asking user's own card: whatever is answered here is
 * shown to that user only, while updating the activity would show it to everyone.
 */
export function cardInvokeResponse(card: AdaptiveCardJson): AdaptiveCardActionCardResponse {
  // The SDK types the card as its own IAdaptiveCard model; ours is the same JSON, built untyped.
  return { statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value: card as unknown as AdaptiveCardActionCardResponse['value'] };
}

// ---- Building blocks -----------------------------------------------------------------------

function envelope(body: Json[], actions: Json[], extra: Json = {}): AdaptiveCardJson {
  return {
    type: 'AdaptiveCard', $schema: ADAPTIVE_CARD_SCHEMA, version: ADAPTIVE_CARD_VERSION, ...extra,
    body, ...(actions.length > 0 ? { actions } : {}),
  };
}

/** A wrapping TextBlock; `text` must already be escaped (fitMarkdown). */
function textBlock(text: string, props: Json = {}): Json {
  return { type: 'TextBlock', text, wrap: true, ...props };
}

type TextInputOptions = { isMultiline?: boolean; isRequired?: boolean; errorMessage?: string; placeholder?: string; value?: string };

/** An Input.Text; a kept `value` is cleaned and clipped to `maxLength` (never given an ellipsis). */
function textInput(id: string, label: string, maxLength: number, options: TextInputOptions = {}): Json {
  const value = options.value === undefined ? '' : clip(cleanText(options.value), maxLength);
  return {
    type: 'Input.Text', id, label, maxLength,
    ...(options.isMultiline ? { isMultiline: true } : {}),
    ...(options.isRequired ? { isRequired: true, errorMessage: options.errorMessage ?? 'Required.' } : {}),
    ...(options.placeholder ? { placeholder: fitPlain(options.placeholder, MAX_PLACEHOLDER) } : {}),
    ...(value !== '' ? { value } : {}),
  };
}
