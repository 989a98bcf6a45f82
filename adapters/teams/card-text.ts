/**
 * Adaptive Card text primitives for Teams: making user text inert in TextBlock markdown, cutting
 * text to Elevate's per-field caps, and measuring what a card costs on the wire. Only the Teams
 * serializer (adaptive-cards.ts) uses these (DESIGN rule 2: escaping and platform limits live in
 * the platform's serializer).
 *
 * Pipeline, always in this order and exactly once per piece of text:
 *   raw user text -> escapeCardMarkdown -> truncate      (markdown places: `fitMarkdown`)
 *   raw user text -> cleanText -> truncate               (plain places: `fitPlain`)
 * Markdown places are TextBlock text and FactSet titles and values (Teams renders markdown in
 * facts too). Plain places are action titles, choice titles, placeholders, input labels and
 * values, `errorMessage` and `fallbackText`: there a backslash would show, so they are only cleaned.
 */
import { cutUnits } from '../chat/text-fitting.js';
import { at, plainTimes, TIME_MARK, wholeSeconds } from '../../src/core/time-text.js';
import { fitWithTimes } from '../chat/time-marks.js';

/** The visible mark left where text was cut. One UTF-16 code unit (3 UTF-8 bytes). */
export const ELLIPSIS = '…';

// ---- Sizes (Elevate's own caps, all below what Teams allows) --------------------------------

/**
 * Teams refuses a bot message larger than about 28 KB, the whole activity included (Teams
 * documentation on bot message formatting; the Bot Connector answers 413 "Message size too
 * large"). Stated for the README and tests; the serializer aims at CARD_BYTE_BUDGET below.
 */
export const TEAMS_ACTIVITY_LIMIT_BYTES = 28 * 1024;
/**
 * What a serialized card may weigh: UTF-8 bytes of `JSON.stringify(card)`. About 3 KB under the
 * activity limit, left for the envelope (conversation, from, recipient and service URL fields,
 * `summary`, `channelData`) that the Teams SDK wraps around the attachment.
 */
export const CARD_BYTE_BUDGET = 25_000;
/** A title is one line; longer ones wrap into a paragraph and push the status out of view. */
export const MAX_TITLE = 200;
/** The one-line summary (notification preview, `fallbackText`); a preview shows far less. */
export const MAX_SUMMARY = 500;
/**
 * The status line quotes the decider's comment (the core allows 1,000 characters) after "Denied
 * by <name> at <time>: "; 1,500 escaped characters fit that with room for the backslashes.
 */
export const MAX_STATUS_TEXT = 1500;
/** A fact label is a word or two; longer ones are cut so the value keeps the room. */
export const MAX_FACT_LABEL = 100;
/** A fact value holds a reason of up to 1,000 characters (the core's limit) once escaped. */
export const MAX_FACT_VALUE = 1500;
/** Button titles: Teams cuts them on screen long before this; the cap only bounds the bytes. */
export const MAX_ACTION_TITLE = 75;
/**
 * An action's value (a request or grant id) comes back on click and must name exactly what was
 * shown, so it is never cut: an action whose value is longer is left out of the card.
 */
export const MAX_ACTION_VALUE = 200;
/** A field error under a form input: one sentence from the core, usually far shorter. */
export const MAX_ERROR_TEXT = 500;
/** A target choice: "Role group · " plus a target name (the core allows 200) and durations. */
export const MAX_CHOICE_TITLE = 250;
/** Placeholders sit inside an empty input; past a line or two nobody reads them. */
export const MAX_PLACEHOLDER = 300;
/** One line of a text card: long lines cost bytes that other lines could use. */
export const MAX_TEXT_LINE = 2000;

/**
 * Top-level actions shown: the reference renderer's default host config (and Teams mobile) show
 * at most 5, and the reference library warns "Maximum number of actions exceeded (5)" beyond.
 */
export const MAX_CARD_ACTIONS = 5;
/** Teams asks for user-specific views automatically for at most 60 users (`refresh.userIds`). */
export const MAX_REFRESH_USERS = 60;
/** A user MRI (`29:…`, `8:orgid:<aad object id>`) is under 100 characters; longer is a bug. */
export const MAX_REFRESH_USER_ID = 128;
/** The refresh `data` is ours (ids, a kind); a couple of KB means something else was put in. */
export const MAX_REFRESH_DATA_BYTES = 2000;
/**
 * The core's limits for comments, reasons and tickets (create-request.ts, decide-request.ts):
 * inputs stop the user at the same length, so a click never carries text the core refuses.
 */
export const MAX_COMMENT_INPUT = 1000;
export const MAX_REASON_INPUT = 1000;
export const MAX_TICKET_INPUT = 100;
/** Durations are short words: 30m, 2h, 1h30m, 1d. */
export const MAX_DURATION_INPUT = 20;

// ---- Cleaning and escaping -----------------------------------------------------------------

// C0 controls except tab and line feed, DEL, C1 controls; bidi embeddings, overrides and
// isolates (U+202A–U+202E, U+2066–U+2069), which can make text read differently from what it
// holds ("Trojan Source"); and lone surrogates, which are not valid UTF-8 and are handled below.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const LINE_BREAK = /\r\n?|[\u2028\u2029]/g;

/**
 * Plain text safe to put anywhere in a card: line breaks become `\n` (CR, CRLF, U+2028/U+2029),
 * control and bidi-control characters are removed, and a lone surrogate becomes U+FFFD (it
 * would otherwise reach Teams as an invalid `\udXXX` JSON escape). Tabs and newlines stay.
 */
export function cleanText(text: string): string {
  // Time marks (src/core/time-text.ts) are the only control characters kept: fitMarkdown draws them.
  const parts = text.split(TIME_MARK);
  if (parts.length === 1) return cleanPart(text);
  return parts.map((part, i) => (i % 2 === 1 ? at(part) : cleanPart(part))).join('');
}

function cleanPart(text: string): string {
  return text.replace(LINE_BREAK, '\n').replace(CONTROL, '').replace(LONE_SURROGATE, '\uFFFD');
}

/** Collapses line breaks and runs of whitespace, for one-line places (titles, facts, buttons). */
export function oneLine(text: string): string {
  return cleanText(text).replace(/\s+/g, ' ').trim();
}

// ASCII punctuation that can start or end markup in Teams' markdown subset or in CommonMark,
// which the Adaptive Cards renderers build on: emphasis (* _), links and images ([ ] ( ) !),
// headings (#), lists (- +), code (`), quotes (>), strikethrough (~), raw HTML and Teams'
// `<at>` mention tags (< >), and the escape character itself. CommonMark turns a backslash
// before any ASCII punctuation into that literal character, so `\*` shows `*`. Escaping `(`
// also disarms Adaptive Card date functions: `{{DATE(2024-01-01T00:00:00Z)}}` needs `DATE(`.
const MARKUP = /[\\*_[\]()#+\-!`<>~]/g;
// Ordered list markers ("1." at a line start; "1)" is covered by `)` above) and setext heading
// underlines ("===") only mean something at the start of a line.
const LINE_START_MARKER = /^([ \t]*)(\d+)\./gm;
const LINE_START_EQUALS = /^([ \t]*)=/gm;
// Teams turns bare URLs into links. A zero-width joiner after `://` (and inside `www.`) is
// invisible, keeps the text readable and stops autolinkers (linkify-it and similar refuse
// format characters in host names), so user text cannot become a link. Copying the text copies
// the joiner too, which is acceptable for display copies (the store keeps the original text).
// Bare domains without a scheme or `www.` may still be linked by an aggressive client; such a
// link shows exactly the address it goes to, which is not a disguise ([x](url) is escaped).
const URL_SCHEME = /:\/\//g;
const WWW = /\b(www)\./gi;
const ZWJ = '\u200D';

/**
 * Makes user text inert inside Adaptive Card markdown (TextBlock text, FactSet titles and
 * values): no bold, italic, links, images, lists, headings, quotes, code, strikethrough, HTML or
 * `<at>` mentions, no autolinked URLs, no control or bidi-control characters. Escaping is done
 * in one pass over cleaned text, so a backslash we add is never escaped again; text that already
 * holds `\*` is taken literally (it shows `\*`), because cards carry plain text, never
 * pre-escaped text. Hence: call it exactly once, on raw text. Not idempotent by design.
 */
export function escapeCardMarkdown(text: string): string {
  return cleanText(text)
    .replace(MARKUP, '\\$&')
    .replace(LINE_START_MARKER, '$1$2\\.')
    .replace(LINE_START_EQUALS, '$1\\=')
    .replace(URL_SCHEME, `://${ZWJ}`)
    .replace(WWW, `$1${ZWJ}.`);
}

// ---- Cutting -------------------------------------------------------------------------------

/** How a piece of text is measured: the total must be the sum over its parts. */
export type Measure = (text: string) => number;

/** UTF-16 code units (JavaScript `length`), the measure of the per-field caps. */
export const codeUnits: Measure = (text) => text.length;

/**
 * UTF-8 bytes the text adds inside a JSON string (quotes not counted): what it costs on the
 * wire. Never less than `text.length`, since every code unit costs at least one byte.
 */
export const jsonBytes: Measure = (text) => Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;

/** UTF-8 bytes of a whole value serialized as JSON, as Teams receives it. */
export function serializedBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

// The escapes escapeCardMarkdown makes: a backslash and one ASCII punctuation character.
const ESCAPE = /\\[!-/:-@[-`{-~]/g;
// How far past `max` we look when splitting into units: longer than any escape (2) and any sane
// grapheme cluster, so the unit straddling `max` is seen whole or, if cut by this window, can
// never fit (it ends past `max`) and is dropped. Valid because every measure counts each code
// unit as at least 1.
const LOOKAHEAD = 64;
// Segmenting is slow (about a microsecond per cluster), so a cut segments only a window before
// the cut, starting at a position that is certainly a unit boundary (Unicode UAX #29): between
// two code points that each are either "simple" (printable ASCII other than the backslash, or a
// letter of a script without prepended, spacing or conjunct marks: no cluster rule joins them
// to a neighbour) or emoji (an Extended_Pictographic code point after it always starts a
// cluster unless a ZWJ precedes it, and an emoji, skin tone or VS16 before it never joins
// forward). Where no such position lies within this many code units (a long run of flags,
// Hangul or Devanagari, say), the cut segments from the start: correct, only slower.
const BOUNDARY_SEARCH = 256;
const SIMPLE_LETTER = /^(?=[\p{Lu}\p{Ll}\p{Lo}])[\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}]$/u;
const EMOJI_BEFORE = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\uFE0F)$/u;
const EMOJI_AFTER = /^\p{Extended_Pictographic}$/u;

function isSimple(char: string): boolean {
  const code = char.charCodeAt(0);
  if (char.length === 1 && code < 0x80) return code >= 0x20 && code !== 0x5c && code !== 0x7f;
  return SIMPLE_LETTER.test(char);
}

/** Whether no unit (escape or grapheme cluster) spans position `p` of `text`. */
function isCertainBoundary(text: string, p: number): boolean {
  const after = String.fromCodePoint(text.codePointAt(p)!);
  const low = text.charCodeAt(p - 1);
  const before = low >= 0xdc00 && low <= 0xdfff && p >= 2 ? text.slice(p - 2, p) : text.charAt(p - 1);
  return (isSimple(before) || EMOJI_BEFORE.test(before)) && (isSimple(after) || EMOJI_AFTER.test(after));
}

/** A position at or before `hi` (and after `hi - BOUNDARY_SEARCH`) that no unit spans, or 0. */
function safeBoundary(text: string, hi: number): number {
  for (let p = hi; p > 0 && p > hi - BOUNDARY_SEARCH; p -= 1) {
    if (isCertainBoundary(text, p)) return p;
  }
  return 0;
}


/** The end of the longest prefix of whole units that measures at most `room`. */
function cutEnd(text: string, room: number, measure: Measure): number {
  // Skip to a safe boundary whose prefix still fits; a measure counts each code unit as at
  // least 1, so the cut lies before `room`, and scaling `hi` by room/cost converges quickly.
  let start = 0;
  let used = 0;
  let hi = Math.min(room, text.length - 1);
  while (hi > 0) {
    const p = safeBoundary(text, hi);
    if (p === 0) break;
    const cost = measure(text.slice(0, p));
    if (cost <= room) {
      start = p;
      used = cost;
      break;
    }
    hi = Math.min(p - 1, Math.floor((p * room) / cost));
  }
  let end = start;
  for (const unit of cutUnits(text.slice(start, Math.max(start, room + LOOKAHEAD)), ESCAPE)) {
    const cost = measure(unit);
    if (used + cost > room) break;
    used += cost;
    end += unit.length;
  }
  return end;
}

/**
 * Returns `text` unchanged if it measures at most `max`, else the longest prefix of whole units
 * (grapheme clusters, so never half a surrogate pair or emoji; `\x` escapes, so never a lone
 * backslash that would escape the ellipsis) that leaves room for `…`, trailing whitespace
 * dropped, followed by `…`. The result never measures more than `max`. `measure` defaults to
 * UTF-16 code units; pass `jsonBytes` to cut to a byte budget (any measure must be additive and
 * count each code unit as at least 1). Throws RangeError if `max` is not an integer at least as
 * large as the ellipsis. Cut escaped text (escape, then truncate), never the other way round.
 */
export function truncate(text: string, max: number, measure: Measure = codeUnits): string {
  const mark = measure(ELLIPSIS);
  if (!Number.isInteger(max) || max < mark) throw new RangeError(`truncate: max must be an integer ≥ ${mark}, got ${max}`);
  if (text.length <= max && measure(text) <= max) return text;
  return text.slice(0, cutEnd(text, max - mark, measure)).trimEnd() + ELLIPSIS;
}

/**
 * The longest prefix of whole units with at most `max` code units, with no ellipsis: for input
 * values given back to the user to edit, where a `…` would become part of the value.
 */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, cutEnd(text, max, codeUnits));
}

export { shareBudget } from '../chat/text-fitting.js';

/**
 * Escapes raw user text for markdown and cuts it to `max` code units (see escapeCardMarkdown,
 * truncate). Only a prefix of the cleaned text is escaped, since escaping never shortens text:
 * huge input costs little more than `max`. Empty results become `—`: an empty TextBlock or fact
 * would look like a bug.
 */
export function fitMarkdown(text: string, max: number): string {
  const fitted = fitWithTimes(text, max, (words, room) => truncate(escapeCardMarkdown(cleanText(words).slice(0, room + LOOKAHEAD)), room), dateTimeFunctions);
  return fitted.trim() === '' ? '—' : fitted;
}

/**
 * A time in the reader's time zone: Adaptive Cards' DATE() and TIME() functions, all capitals,
 * strict RFC 3339 without fractions, else the raw string is shown ("Text features", Date/Time
 * formatting and localization: https://learn.microsoft.com/adaptive-cards/authoring-cards/text-features).
 * The renderers apply them to TextBlock text and to FactSet values (drawn as TextBlocks).
 */
export function dateTimeFunctions(instant: string): string {
  const rfc3339 = wholeSeconds(instant);
  return `{{DATE(${rfc3339}, SHORT)}} {{TIME(${rfc3339})}}`;
}

/** Cleaned (not escaped) text cut to `max` code units, for plain places; empty becomes `—`. */
export function fitPlain(text: string, max: number): string {
  const fitted = truncate(cleanText(plainTimes(text)), max);
  return fitted.trim() === '' ? '—' : fitted;
}
