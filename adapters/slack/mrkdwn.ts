/**
 * Slack text primitives: making user text inert in mrkdwn, and cutting text to Slack's length
 * limits without producing invalid or misleading output. Only the Slack serializer uses these
 * (DESIGN rule 2: escaping and platform limits live in the platform's serializer).
 *
 * Pipeline, always in this order and exactly once per piece of text:
 *   raw user text -> escapeMrkdwn -> truncate            (mrkdwn fields: `fitMrkdwn`)
 *   raw user text -> truncate                            (plain_text fields: `plain`)
 */
import type { PlainTextElement } from '@slack/types';
import { plainTime, plainTimes } from '../../src/core/time-text.js';
import { cutUnits } from '../chat/text-fitting.js';
import { fitWithTimes } from '../chat/time-marks.js';

/** The visible mark left where text was cut. One UTF-16 code unit, so it fits any budget ≥ 1. */
export const ELLIPSIS = '…';

// Slack's formatting markers have no backslash escape (Slack documents escaping only for
// `&`, `<` and `>`). Two workarounds are common; we replace markers with look-alike characters:
// - Zero-width spaces do NOT work: Slack treats U+200B as a word boundary, which is exactly what
//   lets `*bold*` start and end, so inserting it can *enable* formatting (jsx-slack's "exact
//   mode" relies on that).
// - Fullwidth forms are no better: Slack honours `＊`, `＿`, `｀` and a leading `＞` as markers too
//   (CJK input), so they are mapped away as well.
// Look-alikes keep the text readable and the intent obvious; the cost is that copying the
// message yields U+2217 instead of `*` etc., which is acceptable for display-only copies of
// reasons and names (the store keeps the original text).
const REPLACEMENTS: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '*': '\u2217', // ∗ ASTERISK OPERATOR
  '\uFF0A': '\uFE61', // ＊ -> ﹡ SMALL ASTERISK
  '_': '\u02CD', // ˍ MODIFIER LETTER LOW MACRON
  '\uFF3F': '\u2E0F', // ＿ -> ⸏ PARAGRAPHOS
  '~': '\u223C', // ∼ TILDE OPERATOR
  '`': '\u02CB', // ˋ MODIFIER LETTER GRAVE ACCENT
  '\uFF40': '\u02CB', // ｀ -> ˋ
};
const MARKERS = /[&<>*\uFF0A_\uFF3F~`\uFF40]/g;
// A `>` (as `&gt;` once escaped) or fullwidth `＞` at the start of a line starts a block quote.
// A soft hyphen (U+00AD, invisible unless a line breaks there) in front of it stops that.
const LEADING_QUOTE = /(^|\n)([ \t]*)(&gt;|\uFF1E)/g;
// Bare broadcast words: not mentions without `<!…>`, but some clients still highlight or notify
// on them. A zero-width space after the `@` breaks the word without changing how it reads.
const BROADCAST_WORD = /@(channel|here|everyone)\b/gi;

/**
 * Makes user text inert inside a Slack mrkdwn text object: no mentions (`<!channel>`, `<@U…>`,
 * `<#C…>`, `<!subteam^…>`), no disguised links (`<url|text>`), no date tokens, no bold / italic /
 * strike / code / quote, no bare `@here`-style broadcasts. Every character is escaped in one pass,
 * so an entity we produce is never escaped again; text that already contains `&lt;` is taken
 * literally (it becomes `&amp;lt;` and reads `&lt;`), because cards carry plain text, never
 * pre-escaped text. Hence: call it exactly once, on raw text. Not idempotent by design.
 */
export function escapeMrkdwn(text: string): string {
  return text
    .replace(MARKERS, (c) => REPLACEMENTS[c] ?? c)
    .replace(LEADING_QUOTE, '$1$2\u00AD$3')
    .replace(BROADCAST_WORD, '@\u200B$1');
}

// Grapheme clusters, so a cut never splits a surrogate pair, a flag or a ZWJ emoji sequence.
// The only `&…;` sequences escaped text can hold; a cut must keep each one whole.
// Our date tokens (`<!date^…|…>`, see dateToken) are whole units too: user text never holds `<`.
const ENTITY = /&(?:amp|lt|gt);|<!date\^[^>]{1,120}>/g;
// How far past `max` we look when splitting into units: longer than any entity (5) or date token (about 70) and any
// sane grapheme cluster, so the unit that straddles `max` is seen whole or, if cut by this
// window, can never fit (it ends past `max`) and is dropped.
const LOOKAHEAD = 128;


/**
 * Returns `text` unchanged if it has at most `max` UTF-16 code units, else the longest prefix of
 * whole units (grapheme clusters; `&amp;`/`&lt;`/`&gt;` entities) that leaves room for `…`, with
 * trailing whitespace dropped, followed by `…`. The result never exceeds `max`. Lengths are
 * UTF-16 code units (JavaScript `length`), which is never less than the code point count, so it
 * is the safe measure for Slack's limits. Throws RangeError if `max` is not a positive integer.
 * Cut escaped text (escape first, then truncate), never the other way round.
 */
export function truncate(text: string, max: number): string {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`truncate: max must be a positive integer, got ${max}`);
  if (text.length <= max) return text;
  const room = max - ELLIPSIS.length;
  let end = 0;
  for (const unit of cutUnits(text.slice(0, max + LOOKAHEAD), ENTITY)) {
    if (end + unit.length > room) break;
    end += unit.length;
  }
  return text.slice(0, end).trimEnd() + ELLIPSIS;
}

/**
 * Escapes raw user text for mrkdwn and cuts it to `max` (see escapeMrkdwn, truncate). Only a
 * prefix is escaped, since escaping never shortens text: huge input costs no more than `max`.
 */
export function fitMrkdwn(text: string, max: number): string {
  return fitWithTimes(text, max, (words, room) => truncate(escapeMrkdwn(words.slice(0, room + LOOKAHEAD)), room), dateToken);
}

/**
 * A time in the reader's own time zone: `<!date^UNIX^{date_short_pretty} {time}|fallback>`, the
 * fallback (UTC) shown where Slack cannot format it, e.g. notifications ("Formatting text for app
 * surfaces", Date formatting: https://api.slack.com/reference/surfaces/formatting#date-formatting).
 */
export function dateToken(instant: string): string {
  return `<!date^${Math.floor(Date.parse(instant) / 1000)}^{date_short_pretty} {time}|${plainTime(instant)}>`;
}

// plain_text objects must hold at least one character; an empty string is rejected by Slack.
const EMPTY_PLAIN = '—';

/**
 * A plain_text object holding `text` cut to `max` (plain_text is not parsed for mentions, links or
 * formatting, so it needs no escaping; `emoji: true` lets `:shortcodes:` render). Empty or
 * whitespace-only text becomes `—`, since Slack rejects empty text objects.
 */
export function plain(text: string, max: number): PlainTextElement {
  const fitted = truncate(plainTimes(text), max);
  return { type: 'plain_text', text: fitted.trim() === '' ? EMPTY_PLAIN : fitted, emoji: true };
}

/** Collapses line breaks and runs of whitespace, for one-line places (headers, buttons, options). */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
