/**
 * Block Kit serializer: turns the core's neutral Card into a Slack message, and offers the few
 * text helpers the Slack adapter needs for modals. This file (with mrkdwn.ts) is the only place
 * that knows Slack's limits and escaping (DESIGN rules 2 and 3). Whatever the card holds, the
 * output is a valid message: text that does not fit is cut with a visible `…`, and facts or
 * actions that do not fit are summed up in a context line ("… N more facts not shown").
 */
import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, MrkdwnElement, PlainTextElement, SectionBlock } from '@slack/types';
import { isLink, type Card, type CardAction, type CardFact, type Tone } from '../../src/core/cards.js';
import { ELLIPSIS, fitMrkdwn, oneLine, plain, truncate } from './mrkdwn.js';
import { shareBudget } from '../chat/text-fitting.js';

// ---- Slack limits (Slack Block Kit reference; see /work/shared/PLATFORM-NOTES.md) ----------

/** Slack rejects a message with more than 50 blocks (`invalid_blocks`). */
export const MAX_BLOCKS_PER_MESSAGE = 50;
/** Modals and Home tabs allow up to 100 blocks. */
export const MAX_BLOCKS_PER_MODAL = 100;
/** A section's `text` holds at most 3,000 characters. */
export const MAX_SECTION_TEXT = 3000;
/** A section holds at most 10 `fields`. */
export const MAX_SECTION_FIELDS = 10;
/** Each section field holds at most 2,000 characters. */
export const MAX_FIELD_TEXT = 2000;
/** A header block's plain_text holds at most 150 characters. */
export const MAX_HEADER_TEXT = 150;
/** Button text holds at most 75 characters (clients may already cut it around 30). */
export const MAX_BUTTON_TEXT = 75;
/** A button's `value`, returned in the interaction payload, holds at most 2,000 characters. */
export const MAX_BUTTON_VALUE = 2000;
/** A link button's `url` holds at most 3,000 characters. */
export const MAX_BUTTON_URL = 3000;
/** `action_id` is at most 255 characters and must be unique within its block. */
export const MAX_ACTION_ID = 255;
/** `block_id` is at most 255 characters and must be unique within the message or view. */
export const MAX_BLOCK_ID = 255;
/** An actions block holds at most 25 elements. */
export const MAX_ACTIONS_ELEMENTS = 25;
/** A context block holds at most 10 elements. */
export const MAX_CONTEXT_ELEMENTS = 10;
/** A static select offers at most 100 options. */
export const MAX_SELECT_OPTIONS = 100;
/** An option's text holds at most 75 characters. */
export const MAX_OPTION_TEXT = 75;
/** An option's `value`, returned on submit, holds at most 150 characters. */
export const MAX_OPTION_VALUE = 150;
/** A modal's title, submit and close texts hold at most 24 characters each. */
export const MAX_MODAL_TITLE = 24;
/** A view's `private_metadata` holds at most 3,000 characters. */
export const MAX_PRIVATE_METADATA = 3000;

// ---- House limits (our choices, not Slack's documented numbers) -----------------------------

/**
 * The top-level `text` is the notification and screen-reader fallback. Slack would accept up to
 * 40,000 characters, but a notification shows one line; we keep it to a section's 3,000.
 */
export const MAX_FALLBACK_TEXT = 3000;
/**
 * Total characters of header, status and fact fields per message. Slack also refuses messages
 * whose blocks are "too long" (`msg_blocks_too_long`) at an undocumented size well below
 * 50 × 3,000 (reports put it near 13,000 characters, slackapi/bolt-js#2509), so facts share what
 * the header and status leave of this budget: the longest are cut first, short facts stay whole.
 */
export const MESSAGE_TEXT_BUDGET = 12_000;
/** A fact label is a word or two; longer ones are cut so the value keeps the room. */
export const MAX_FACT_LABEL = 100;

/** Status emoji per tone: the tone must read at a glance, even in a notification preview. */
export const TONE_EMOJI: Readonly<Record<Tone, string>> = {
  pending: '⏳',
  approved: '✅',
  denied: '⛔',
  expired: '⌛',
  cancelled: '🚫',
  revoked: '🔒',
  info: 'ℹ️',
  warning: '⚠️',
};

/** The default first part of every block id; see CardToBlocksOptions.idPrefix. */
export const DEFAULT_ID_PREFIX = 'elevate';
// Leaves room under MAX_BLOCK_ID for the longest suffix we add (":actions:" plus an index).
const MAX_ID_PREFIX = 200;

/**
 * Stable block ids (`elevate:header`, `elevate:status`, `elevate:facts:0`, `elevate:more`,
 * `elevate:actions:0`), so listeners and tests can find each part. Throws RangeError if the
 * prefix is longer than 200 characters (ids are never cut: cut ids could collide).
 */
export function blockIds(prefix: string = DEFAULT_ID_PREFIX) {
  if (prefix.length > MAX_ID_PREFIX) throw new RangeError(`block id prefix is longer than ${MAX_ID_PREFIX} characters`);
  return {
    header: `${prefix}:header`,
    status: `${prefix}:status`,
    facts: (index: number) => `${prefix}:facts:${index}`,
    more: `${prefix}:more`,
    actions: (index: number) => `${prefix}:actions:${index}`,
  };
}
type BlockIds = ReturnType<typeof blockIds>;

export interface CardToBlocksOptions {
  /** Draw the card's actions as buttons (default true); false for read-only copies (feed, audit), which keep only links. */
  actions?: boolean;
  /**
   * First part of every block id (default `elevate`). Block ids must be unique within a message,
   * so a caller stacking several cards in one message gives each its own prefix (`elevate:0`…).
   */
  idPrefix?: string;
}

/**
 * Serializes a card as a Slack message. `text` is the escaped summary (the title if the summary
 * is empty), at most MAX_FALLBACK_TEXT; `blocks` are: a header (title), a status section when the
 * card has a status, facts as section fields (10 per section), a context line if anything was
 * left out, and actions blocks whose buttons carry `action_id` = verb and `value` = action value.
 * Never throws for any card content and never exceeds a Slack limit. A button whose value would
 * not fit MAX_BUTTON_VALUE is left out (a cut value would name the wrong request) and counted in
 * the context line. A verb repeated in one card goes to a further actions block, because
 * `action_id`s must be unique within a block. Throws RangeError only for an over-long idPrefix.
 */
export function cardToBlocks(card: Card, options: CardToBlocksOptions = {}): { text: string; blocks: KnownBlock[] } {
  const ids = blockIds(options.idPrefix);
  const summary = card.summary.trim() === '' ? card.title : card.summary;
  const text = fitMrkdwn(summary, MAX_FALLBACK_TEXT);

  const header = headerBlock(card.title, ids);
  const status = card.status ? statusBlock(card.status, ids) : null;
  const head: KnownBlock[] = status ? [header, status] : [header];

  const wanted = options.actions === false ? card.actions.filter(isLink) : card.actions;
  const usable = wanted.filter((action) => action.value.length <= MAX_BUTTON_VALUE && (!isLink(action) || linkUrl(action) !== null));
  const actionGroups = groupActions(usable);
  const factChunks = Math.ceil(card.facts.length / MAX_SECTION_FIELDS);

  // Decide how many fact sections and actions blocks fit; keep one block for the context line
  // whenever something is left out. Actions win over facts (they are why approvers get the card),
  // but at least one fact section stays when there are facts.
  let room = MAX_BLOCKS_PER_MESSAGE - head.length;
  let keptGroups = actionGroups.length;
  let keptChunks = factChunks;
  if (keptGroups + keptChunks > room || usable.length < wanted.length) {
    room -= 1;
    keptGroups = Math.min(actionGroups.length, room - Math.min(factChunks, 1));
    keptChunks = Math.min(factChunks, room - keptGroups);
  }
  const keptFacts = card.facts.slice(0, keptChunks * MAX_SECTION_FIELDS);
  const hiddenFacts = card.facts.length - keptFacts.length;
  const hiddenActions = wanted.length - actionGroups.slice(0, keptGroups).reduce((n, group) => n + group.length, 0);

  const headText = header.text.text.length + (status?.text?.text.length ?? 0);
  const blocks: KnownBlock[] = [...head, ...factSections(keptFacts, ids, MESSAGE_TEXT_BUDGET - headText)];
  const note = moreNote(hiddenFacts, hiddenActions, ids);
  if (note) blocks.push(note);
  actionGroups.slice(0, keptGroups).forEach((group, index) => blocks.push(actionsBlock(group, ids.actions(index))));
  return { text, blocks };
}

function headerBlock(title: string, ids: BlockIds): HeaderBlock {
  return { type: 'header', block_id: ids.header, text: plain(oneLine(title), MAX_HEADER_TEXT) };
}

function statusBlock(status: NonNullable<Card['status']>, ids: BlockIds): SectionBlock {
  const emoji = TONE_EMOJI[status.tone];
  const words = status.text.trim() === '' ? status.tone : status.text;
  const line = `${emoji} ${fitMrkdwn(words, MAX_SECTION_TEXT - emoji.length - 1)}`;
  return { type: 'section', block_id: ids.status, text: mrkdwn(line) };
}

/** `*Label*\nvalue` fields, 10 per section, sharing `budget` characters (longest cut first). */
function factSections(facts: CardFact[], ids: BlockIds, budget: number): SectionBlock[] {
  const labels = facts.map((fact) => `*${fitMrkdwn(oneLine(fact.label) || '—', MAX_FACT_LABEL)}*\n`);
  const values = facts.map((fact, i) => fitMrkdwn(fact.value.trim() === '' ? '—' : fact.value, MAX_FIELD_TEXT - labels[i]!.length));
  const caps = shareBudget(values.map((value, i) => labels[i]!.length + value.length), budget);
  const fields = values.map((value, i) => {
    const label = labels[i]!;
    const room = caps[i]! - label.length;
    // A value always keeps at least one visible character, even if that is only the ellipsis.
    return mrkdwn(label + (value.length <= room ? value : truncate(value, Math.max(room, ELLIPSIS.length))));
  });
  const sections: SectionBlock[] = [];
  for (let i = 0; i < fields.length; i += MAX_SECTION_FIELDS) {
    sections.push({ type: 'section', block_id: ids.facts(sections.length), fields: fields.slice(i, i + MAX_SECTION_FIELDS) });
  }
  return sections;
}

/** Puts each action in the first group that has room and does not hold its verb yet. */
function groupActions(actions: CardAction[]): CardAction[][] {
  const groups: CardAction[][] = [];
  for (const action of actions) {
    const group = groups.find((g) => g.length < MAX_ACTIONS_ELEMENTS && !g.some((a) => a.verb === action.verb));
    if (group) group.push(action);
    else groups.push([action]);
  }
  return groups;
}

function actionsBlock(actions: CardAction[], blockId: string): ActionsBlock {
  return { type: 'actions', block_id: blockId, elements: actions.map(button) };
}

/**
 * A button; no confirm dialog even when dangerous, since deny opens a modal for the reason. A
 * link (`link.open`) opens its `url` in the browser; Slack still sends the click, which the
 * adapter only acknowledges.
 */
function button(action: CardAction): Button {
  const url = isLink(action) ? linkUrl(action) : null;
  return {
    type: 'button',
    action_id: action.verb,
    text: plain(oneLine(action.label), MAX_BUTTON_TEXT),
    value: action.value,
    ...(url ? { url } : {}),
    ...(action.style ? { style: action.style } : {}),
  };
}

/** A link's address when Slack can take it (absolute http(s), at most MAX_BUTTON_URL); null otherwise. */
function linkUrl(action: CardAction): string | null {
  const url = action.url ?? '';
  return /^https?:\/\/\S+$/.test(url) && url.length <= MAX_BUTTON_URL ? url : null;
}

function moreNote(facts: number, actions: number, ids: BlockIds): ContextBlock | null {
  const parts: string[] = [];
  if (facts > 0) parts.push(`${facts} more ${facts === 1 ? 'fact' : 'facts'}`);
  if (actions > 0) parts.push(`${actions} ${actions === 1 ? 'action' : 'actions'}`);
  if (parts.length === 0) return null;
  const line = `${ELLIPSIS} ${parts.join(' and ')} not shown here`;
  return { type: 'context', block_id: ids.more, elements: [mrkdwn(line)] };
}

function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text };
}

// ---- Modal helpers -------------------------------------------------------------------------

/** An option's plain_text (a target or group name) on one line, cut to MAX_OPTION_TEXT with `…`. */
export function optionText(text: string): PlainTextElement {
  return plain(oneLine(text), MAX_OPTION_TEXT);
}

/**
 * An option value, returned unchanged. Values come back on submit and must name exactly what was
 * chosen, so a value that does not fit MAX_OPTION_VALUE is never cut: it throws RangeError (a
 * programming error: pass an id, not a description).
 */
export function optionValue(text: string): string {
  if (text.length > MAX_OPTION_VALUE) {
    throw new RangeError(`Slack option value is ${text.length} characters; at most ${MAX_OPTION_VALUE} fit. Use an id.`);
  }
  return text;
}

/** A modal's title, submit or close plain_text on one line, cut to MAX_MODAL_TITLE with `…`. */
export function modalTitle(text: string): PlainTextElement {
  return plain(oneLine(text), MAX_MODAL_TITLE);
}

// The text primitives, re-exported so the Slack adapter has one module to import from.
export { escapeMrkdwn, fitMrkdwn, plain, truncate } from './mrkdwn.js';
