import * as AC from 'adaptivecards';
import { describe, expect, it } from 'vitest';
import {
  ADAPTIVE_CARD_CONTENT_TYPE, FORM_VERB, TONE_COLOR, cardAttachment, cardInvokeResponse,
  cardSummary, cardToAdaptiveCard, readActionSubmission, readRequestForm, requestFormCard, textCard,
  type AdaptiveCardJson, type FormPolicy,
} from '../../adapters/teams/adaptive-cards.js';
import {
  CARD_BYTE_BUDGET, ELLIPSIS, MAX_CARD_ACTIONS, MAX_FACT_LABEL, MAX_FACT_VALUE, MAX_REFRESH_USERS, MAX_STATUS_TEXT, MAX_TITLE, TEAMS_ACTIVITY_LIMIT_BYTES, clip, escapeCardMarkdown,
  fitMarkdown, jsonBytes, serializedBytes, truncate,
} from '../../adapters/teams/card-text.js';
import { card, type Card, type CardAction, type Tone } from '../../src/core/cards.js';

type Json = Record<string, unknown>;

const INJECTION = '**bold** [click](http://evil) <at>x</at> # heading';
const INJECTIONS = [
  INJECTION,
  '_italic_ ~~strike~~ `code` ```block``` ![img](https://evil.example/x.png)',
  '- item\n+ item\n* item\n1. one\n  2) two\n> quote\n=== \n    indented code',
  'visit www.evil.example or https://evil.example/path?q=1 or mailto:x@evil.example',
  '{{DATE(2024-01-01T00:00:00Z, SHORT)}} \\*already\\* \\\\ <b>html</b> &lt;at&gt;',
  'bidi \u202Eevil\u202C ctrl \u0000\u0007\u001B[31m del \u007F c1 \u0085 crlf\r\nline\u2028sep',
];
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Control characters a card must never carry (tab and line feed are allowed).
// eslint-disable-next-line no-control-regex -- the point of the check
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000D\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/**
 * Parses the card with the Adaptive Cards reference library and asserts no parse event (error or
 * warning), no validation event, and that the library reads back exactly what we wrote: unknown
 * or misspelt properties raise no event, they are silently dropped, so the round trip is what
 * catches them.
 */
function expectValidAdaptiveCard(json: AdaptiveCardJson): void {
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext();
  parsed.parse(json, context);
  const parseEvents = Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i));
  expect(parseEvents, 'parse events').toEqual([]);
  const results = parsed.validateProperties();
  expect(results).toBeInstanceOf(AC.ValidationResults);
  expect(results.validationEvents, 'validation events').toEqual([]);
  expect(parsed.toJSON(), 'round trip through the reference library').toEqual(json);
  expect(json.version).toBe('1.5');
  expect(json.$schema).toBe('http://adaptivecards.io/schemas/adaptive-card.json');
}

function expectWithinBudget(json: AdaptiveCardJson): void {
  const bytes = serializedBytes(json);
  expect(bytes).toBeLessThanOrEqual(CARD_BYTE_BUDGET);
  expect(bytes).toBeLessThan(TEAMS_ACTIVITY_LIMIT_BYTES);
}

/** Every object in the card with the given `type`, in document order (ShowCards included). */
function ofType(value: unknown, type: string, out: Json[] = []): Json[] {
  if (Array.isArray(value)) for (const v of value) ofType(v, type, out);
  else if (value && typeof value === 'object') {
    if ((value as Json).type === type) out.push(value as Json);
    for (const v of Object.values(value)) ofType(v, type, out);
  }
  return out;
}

function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) allStrings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) allStrings(v, out);
  return out;
}

/** The strings Teams renders as markdown: TextBlock text, fact titles and values. */
function markdownTexts(json: AdaptiveCardJson): string[] {
  const texts = ofType(json, 'TextBlock').map((b) => b.text as string);
  for (const set of ofType(json, 'FactSet')) {
    for (const fact of set.facts as Array<{ title: string; value: string }>) texts.push(fact.title, fact.value);
  }
  return texts;
}

/** Asserts that no markdown construct can start in `text`: every markup character is escaped. */
function expectInert(text: string): void {
  const unescaped = text.replace(/\\[!-/:-@[-`{-~]/g, '');
  expect(unescaped, text).not.toMatch(/[\\*_[\]()#+\-!`<>~]/);
  expect(text).not.toMatch(/:\/\/(?!\u200D)/);
  expect(text).not.toMatch(/\bwww\./i);
  expect(text).not.toMatch(/(?:^|\n)[ \t]*\d+\./);
  expect(text).not.toMatch(/(?:^|\n)[ \t]*=/);
  expect(text).not.toMatch(CONTROL);
}

function expectCleanStrings(json: AdaptiveCardJson): void {
  for (const s of allStrings(json)) {
    expect(s).not.toMatch(LONE_SURROGATE);
    expect(s).not.toMatch(CONTROL);
  }
  for (const text of markdownTexts(json)) expectInert(text);
}

/** Every check at once: what each card the serializer produces must pass. */
function expectGoodCard(json: AdaptiveCardJson): void {
  expectValidAdaptiveCard(json);
  expectWithinBudget(json);
  expectCleanStrings(json);
}

const ALL_KINDS: CardAction[] = [
  { verb: 'request.approve', label: 'Approve', value: 'R-1', style: 'primary' },
  { verb: 'request.approveWithComment', label: 'Approve with comment', value: 'R-1' },
  { verb: 'request.deny', label: 'Deny', value: 'R-1', style: 'danger' },
  { verb: 'grant.extend', label: 'Extend', value: 'G-1' },
  { verb: 'grant.relinquish', label: "I'm done", value: 'G-1' },
];

function pendingCard(reason = 'mailbox search for INC-42'): Card {
  return card({
    title: 'Access request R-1',
    summary: 'Ada requests Exchange\\Search-Mailbox',
    facts: [
      { label: 'Requester', value: 'Ada Lovelace' },
      { label: 'Target', value: 'Exchange\\Search-Mailbox (task)' },
      { label: 'Duration', value: '2h' },
      { label: 'Reason', value: reason },
    ],
    status: { tone: 'pending', text: 'Waiting for approval until 2030-01-01T10:00:00Z' },
    actions: ALL_KINDS,
  });
}

const POLICIES: FormPolicy[] = [
  { id: 'P-1', name: 'Exchange\\Search-Mailbox', type: 'task', defaultDuration: '1h', maxDuration: '8h', reasonHint: 'cite the incident' },
  { id: 'P-2', name: 'Exchange\\Organization Management', type: 'roleGroup', defaultDuration: '30m', maxDuration: null, reasonHint: null },
  { id: 'P-3', name: 'Entra\\Global Administrator', type: 'role', defaultDuration: '1h', maxDuration: '4h', reasonHint: 'ticket INC-…' },
];

/** What Teams sends for a click on the ShowCard of `verb`: its Execute data merged with its inputs. */
function submitShowCard(json: AdaptiveCardJson, verb: string, typed: Record<string, string>): { verb: string; data: Json } {
  const show = ofType(json, 'Action.ShowCard').find((s) => ofType(s, 'Action.Execute').some((e) => e.verb === verb));
  expect(show, `ShowCard for ${verb}`).toBeDefined();
  const execute = ofType(show, 'Action.Execute')[0]!;
  const data: Json = { ...(execute.data as Json) };
  for (const input of ofType(show, 'Input.Text')) {
    const field = (input.id as string).split('.').pop()!;
    if (typed[field] !== undefined) data[input.id as string] = typed[field];
  }
  return { verb: execute.verb as string, data };
}

describe('cardToAdaptiveCard', () => {
  it('draws a pending approver card with every kind of action, valid for the reference library', () => {
    const json = cardToAdaptiveCard(pendingCard());
    expectGoodCard(json);
    const body = json.body as Json[];
    expect(body[0]).toMatchObject({ type: 'TextBlock', text: 'Access request R\\-1', weight: 'Bolder', size: 'Medium', wrap: true });
    expect(body[1]).toMatchObject({ type: 'TextBlock', color: 'Warning' });
    expect(body[1]!.text).toMatch(/^⏳ Waiting for approval/);
    expect(ofType(json, 'FactSet')[0]!.facts).toHaveLength(4);
    expect(json.fallbackText).toBe('Ada requests Exchange\\Search-Mailbox');

    const actions = json.actions as Json[];
    expect(actions.map((a) => a.type)).toEqual(['Action.Execute', 'Action.ShowCard', 'Action.ShowCard', 'Action.ShowCard', 'Action.Execute']);
    expect(actions[0]).toEqual({ type: 'Action.Execute', verb: 'request.approve', title: 'Approve', data: { value: 'R-1' }, style: 'positive' });
    expect(actions[4]).toEqual({ type: 'Action.Execute', verb: 'grant.relinquish', title: "I'm done", data: { value: 'G-1' } });
    expect(actions[2]).toMatchObject({ title: 'Deny', style: 'destructive' });

    // Deny: a required multiline comment and a destructive Execute with the same verb.
    const deny = (actions[2]!.card as Json);
    expect(deny.body).toEqual([expect.objectContaining({ type: 'Input.Text', id: 'a2.comment', isMultiline: true, isRequired: true, maxLength: 1000 })]);
    expect(deny.actions).toEqual([{ type: 'Action.Execute', verb: 'request.deny', title: 'Deny', data: { value: 'R-1', form: 'a2' }, style: 'destructive' }]);
    // Extend asks for a duration and a reason.
    const extend = (actions[3]!.card as Json);
    expect((extend.body as Json[]).map((i) => i.id)).toEqual(['a3.duration', 'a3.reason']);
    expect((extend.actions as Json[])[0]).toMatchObject({ verb: 'grant.extend', data: { value: 'G-1', form: 'a3' } });
  });

  it('reads back what a click on each action carries', () => {
    const json = cardToAdaptiveCard(pendingCard());
    expect(readActionSubmission({ value: 'R-1' })).toEqual({ value: 'R-1', comment: null, duration: null, reason: null });
    // Teams sends every input of the card and its parents; only the clicked form's inputs count.
    const deny = submitShowCard(json, 'request.deny', { comment: '  not now  ' });
    expect(deny.verb).toBe('request.deny');
    expect(readActionSubmission({ ...deny.data, 'a1.comment': 'other form' })).toEqual({ value: 'R-1', comment: 'not now', duration: null, reason: null });
    const approve = submitShowCard(json, 'request.approveWithComment', { comment: 'ok' });
    expect(readActionSubmission(approve.data)?.comment).toBe('ok');
    const extend = submitShowCard(json, 'grant.extend', { duration: '2h', reason: 'still on it' });
    expect(readActionSubmission(extend.data)).toEqual({ value: 'G-1', comment: null, duration: '2h', reason: 'still on it' });
    expect(readActionSubmission(null)).toBeNull();
    expect(readActionSubmission({ value: 7 })).toBeNull();
    expect(readActionSubmission({ value: '' })).toBeNull();
  });

  it('draws a decided card without actions, and a read-only copy of a pending one', () => {
    const decided = card({ ...pendingCard(), status: { tone: 'denied', text: 'Denied by Bob: “no ticket”' }, actions: [] });
    const json = cardToAdaptiveCard(decided);
    expectGoodCard(json);
    expect(json).not.toHaveProperty('actions');
    expect((json.body as Json[])[1]).toMatchObject({ color: 'Attention', text: '⛔ Denied by Bob: “no ticket”' });

    const readOnly = cardToAdaptiveCard(pendingCard(), { actions: false });
    expectGoodCard(readOnly);
    expect(readOnly).not.toHaveProperty('actions');
    expect(markdownTexts(readOnly).some((t) => t.includes('not shown'))).toBe(false);
  });

  it('draws links (Approve in browser) as Action.OpenUrl, kept on read-only copies, and leaves out a link that is not http(s)', () => {
    const linked = card({
      ...pendingCard(),
      actions: [
        { verb: 'link.open', label: 'Approve in browser', value: 'R-1', url: 'https://elevate.example.com/requests/R-1', style: 'primary' },
        { verb: 'request.deny', label: 'Deny', value: 'R-1', style: 'danger' },
        { verb: 'link.open', label: 'Evil', value: 'R-1', url: 'javascript:alert(1)' },
      ],
    });
    const json = cardToAdaptiveCard(linked);
    expectGoodCard(json);
    const actions = json.actions as Json[];
    expect(actions[0]).toEqual({ type: 'Action.OpenUrl', title: 'Approve in browser', url: 'https://elevate.example.com/requests/R-1', style: 'positive' });
    expect(actions.map((a) => a.type)).toEqual(['Action.OpenUrl', 'Action.ShowCard']);
    expect(JSON.stringify(json)).not.toContain('javascript:');
    expect(markdownTexts(json).some((t) => t.includes('1 more action not shown'))).toBe(true);

    const readOnly = cardToAdaptiveCard(linked, { actions: false });
    expectGoodCard(readOnly);
    expect((readOnly.actions as Json[]).map((a) => a.type)).toEqual(['Action.OpenUrl']);
  });

  it('colours and marks every tone', () => {
    for (const tone of Object.keys(TONE_COLOR) as Tone[]) {
      const json = cardToAdaptiveCard(card({ title: 't', status: { tone, text: '' } }));
      expectGoodCard(json);
      expect((json.body as Json[])[1]).toMatchObject({ color: TONE_COLOR[tone] });
      expect((json.body as Json[])[1]!.text).toContain(tone);
    }
  });

  it('adds a refresh for at most 60 users, without duplicates, and none for nobody', () => {
    const userIds = Array.from({ length: 100 }, (_, i) => `29:user-${i % 80}`);
    const json = cardToAdaptiveCard(pendingCard(), { refresh: { verb: 'request.view', data: { requestId: 'R-1' }, userIds } });
    expectGoodCard(json);
    const refresh = json.refresh as { action: Json; userIds: string[] };
    expect(refresh.action).toEqual({ type: 'Action.Execute', verb: 'request.view', data: { requestId: 'R-1' } });
    expect(refresh.userIds).toHaveLength(MAX_REFRESH_USERS);
    expect(new Set(refresh.userIds).size).toBe(MAX_REFRESH_USERS);
    expect(refresh.userIds[0]).toBe('29:user-0');

    const nobody = cardToAdaptiveCard(pendingCard(), { refresh: { verb: 'request.view', data: {}, userIds: ['', ' '] } });
    expectGoodCard(nobody);
    expect(nobody).not.toHaveProperty('refresh');
    expect(() => cardToAdaptiveCard(pendingCard(), { refresh: { verb: 'v', data: { blob: 'x'.repeat(5000) }, userIds: ['29:a'] } })).toThrow(RangeError);
    expect(() => cardToAdaptiveCard(pendingCard(), { refresh: { verb: '', data: {}, userIds: ['29:a'] } })).toThrow(RangeError);
  });

  it('makes injected markup inert in every place user text goes', () => {
    const json = cardToAdaptiveCard(pendingCard(INJECTION));
    expectGoodCard(json);
    const reason = (ofType(json, 'FactSet')[0]!.facts as Array<{ value: string }>)[3]!.value;
    expect(reason).toBe('\\*\\*bold\\*\\* \\[click\\]\\(http://\u200Devil\\) \\<at\\>x\\</at\\> \\# heading');

    for (const text of INJECTIONS) {
      const hostile = card({
        title: text, summary: text,
        facts: [{ label: text, value: text }],
        status: { tone: 'info', text },
        actions: [{ verb: 'request.approve', label: text, value: 'R-1' }],
      });
      const out = cardToAdaptiveCard(hostile, { refresh: { verb: 'v', data: { text }, userIds: ['29:a'] } });
      expectValidAdaptiveCard(out);
      expectWithinBudget(out);
      // Markdown places are escaped; plain places (button titles, fallbackText) only cleaned.
      for (const t of markdownTexts(out)) expectInert(t);
      expect((out.actions as Json[])[0]!.title).not.toMatch(CONTROL);
      expect(out.fallbackText).not.toMatch(CONTROL);
    }
  });

  it('keeps an oversized card under the byte budget: 60 facts of 5,000 characters and a 500-character title', () => {
    const facts = Array.from({ length: 60 }, (_, i) => ({ label: `Fact ${i} ${'l'.repeat(200)}`, value: `${i}:${'v'.repeat(4998)}` }));
    const big = card({ title: 'T'.repeat(500), summary: 'S'.repeat(5000), facts, status: { tone: 'warning', text: 'w'.repeat(5000) }, actions: ALL_KINDS });
    const json = cardToAdaptiveCard(big);
    expectGoodCard(json);
    const body = json.body as Json[];
    expect((body[0]!.text as string).length).toBeLessThanOrEqual(MAX_TITLE);
    expect(body[0]!.text).toMatch(/…$/);
    expect((body[1]!.text as string).length).toBeLessThanOrEqual(MAX_STATUS_TEXT);
    const shown = ofType(json, 'FactSet')[0]!.facts as Array<{ title: string; value: string }>;
    expect(shown.length).toBe(60);
    for (const fact of shown) {
      expect(fact.title.length).toBeLessThanOrEqual(MAX_FACT_LABEL);
      expect(fact.value.length).toBeLessThanOrEqual(MAX_FACT_VALUE);
      expect(fact.value).toMatch(/^\d+:v+…$/);
    }
    // Short facts stay whole while long ones are cut.
    const mixed = card({ title: 't', facts: [{ label: 'Short', value: 'kept whole' }, ...facts] });
    const mixedJson = cardToAdaptiveCard(mixed);
    expectGoodCard(mixedJson);
    expect((ofType(mixedJson, 'FactSet')[0]!.facts as Array<{ value: string }>)[0]!.value).toBe('kept whole');
    expect(json.actions).toHaveLength(MAX_CARD_ACTIONS);
  });

  it('leaves out facts that cannot fit even when cut, and says so', () => {
    const facts = Array.from({ length: 2000 }, (_, i) => ({ label: `Label ${i} 𝒳😀`.repeat(4), value: '😀'.repeat(800) }));
    const json = cardToAdaptiveCard(card({ title: 'many', facts }));
    expectGoodCard(json);
    const shown = (ofType(json, 'FactSet')[0]!.facts as unknown[]).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(2000);
    expect(markdownTexts(json)).toContain(`${ELLIPSIS} ${2000 - shown} more facts not shown here`);
    // The budget is used, not wasted.
    expect(serializedBytes(json)).toBeGreaterThan(CARD_BYTE_BUDGET - 500);
  });

  it('leaves out actions past the limit and actions whose value would not fit, and counts them', () => {
    const actions: CardAction[] = [
      { verb: 'request.approve', label: 'A', value: 'x'.repeat(201) },
      { verb: 'request.cancel', label: 'C', value: '' },
      ...Array.from({ length: 7 }, (_, i): CardAction => ({ verb: i % 2 ? 'request.deny' : 'request.approveWithComment', label: `L${i}`, value: `R-${i}` })),
    ];
    const json = cardToAdaptiveCard(card({ title: 't', actions }));
    expectGoodCard(json);
    expect(json.actions).toHaveLength(MAX_CARD_ACTIONS);
    expect(markdownTexts(json)).toContain(`${ELLIPSIS} 4 more actions not shown here`);
    const ids = ofType(json, 'Input.Text').map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('never splits a surrogate pair, an emoji sequence or an escape', () => {
    const flags = '🇫🇷👩‍👩‍👧‍👦𝒳'.repeat(100);
    const json = cardToAdaptiveCard(card({ title: flags, facts: [{ label: flags, value: '*'.repeat(3000) }], status: { tone: 'info', text: flags } }));
    expectGoodCard(json);
    expect((json.body as Json[])[0]!.text).toMatch(/(?:🇫🇷|👩‍👩‍👧‍👦|𝒳)…$/u);
    const value = (ofType(json, 'FactSet')[0]!.facts as Array<{ value: string }>)[0]!.value;
    expect(value).toMatch(/^(?:\\\*)+…$/);
  });

  it('summarises on one plain line', () => {
    expect(cardSummary(card({ title: 'Title', summary: '' }))).toBe('Title');
    expect(cardSummary(card({ title: 'T', summary: 'a\nb  *c*' }))).toBe('a b *c*');
    expect(cardSummary(card({ title: '', summary: '' }))).toBe('—');
  });
});

describe('requestFormCard', () => {
  it('draws the form: a filtered target choice grouped by type, duration, reason with hints, ticket, submit', () => {
    const json = requestFormCard(POLICIES);
    expectGoodCard(json);
    const target = ofType(json, 'Input.ChoiceSet')[0]!;
    expect(target).toMatchObject({ id: 'target', style: 'filtered', isRequired: true });
    expect(target.choices).toEqual([
      { title: 'Task · Exchange\\Search-Mailbox · 1h (max 8h)', value: 'P-1' },
      { title: 'Role · Entra\\Global Administrator · 1h (max 4h)', value: 'P-3' },
      { title: 'Role group · Exchange\\Organization Management · 30m', value: 'P-2' },
    ]);
    const inputs = ofType(json, 'Input.Text');
    expect(inputs.map((i) => i.id)).toEqual(['duration', 'reason', 'ticket']);
    expect(inputs[0]!.placeholder).toMatch(/^e\.g\. 2h, 30m/);
    expect(inputs[1]).toMatchObject({ isMultiline: true, placeholder: 'Why do you need it? cite the incident · ticket INC-…' });
    expect(json.actions).toEqual([{ type: 'Action.Execute', verb: FORM_VERB, title: 'Request', style: 'positive' }]);
    expect(ofType(json, 'TextBlock').some((b) => b.color === 'Attention')).toBe(false);
  });

  it('shows field errors under their fields and keeps the values given', () => {
    const errors = { target: 'choose a target', duration: 'duration 9h is longer than the 8h allowed', reason: `a reason is required ${INJECTION}`, ticket: 'ticket must be one word' };
    const values = { target: 'P-3', duration: '9h', reason: 'line one\nline two', ticket: 'INC 42' };
    const json = requestFormCard(POLICIES, errors, values);
    expectGoodCard(json);
    const body = json.body as Json[];
    for (const field of ['target', 'duration', 'reason', 'ticket'] as const) {
      const at = body.findIndex((b) => b.id === field);
      expect(body[at]!.errorMessage).toBe(errors[field]);
      expect(body[at + 1]).toMatchObject({ type: 'TextBlock', color: 'Attention', text: escapeCardMarkdown(errors[field]) });
      expect(body[at]!.value).toBe(values[field]);
    }
    expect(readRequestForm({ ...values, ticket: '  ', extra: 1 })).toEqual({ target: 'P-3', duration: '9h', reason: 'line one\nline two', ticket: null, startDate: null, startTime: null, mode: null });
  });

  it('forgets a previous target that is no longer offered, and clips kept values to the input limits', () => {
    const json = requestFormCard(POLICIES, {}, { target: 'P-gone', reason: '😀'.repeat(600) });
    expectGoodCard(json);
    expect(ofType(json, 'Input.ChoiceSet')[0]).not.toHaveProperty('value');
    const reason = ofType(json, 'Input.Text').find((i) => i.id === 'reason')!;
    expect((reason.value as string).length).toBeLessThanOrEqual(reason.maxLength as number);
    expect(reason.value).not.toMatch(LONE_SURROGATE);
  });

  it('says so when nothing can be requested', () => {
    const json = requestFormCard([]);
    expectGoodCard(json);
    expect(ofType(json, 'Input.ChoiceSet')).toEqual([]);
    expect(json).not.toHaveProperty('actions');
  });

  it('keeps a form with thousands of targets under the budget and points to the command', () => {
    const many: FormPolicy[] = Array.from({ length: 3000 }, (_, i) => ({
      id: `P-${i}`, name: `Scope${i}\\${'Name'.repeat(30)}`, type: (['task', 'role', 'roleGroup'] as const)[i % 3]!,
      defaultDuration: '1h', maxDuration: '8h', reasonHint: `hint ${i % 5}`,
    }));
    const json = requestFormCard(many, { reason: 'x' });
    expectGoodCard(json);
    const shown = (ofType(json, 'Input.ChoiceSet')[0]!.choices as unknown[]).length;
    expect(shown).toBeGreaterThan(10);
    expect(markdownTexts(json).some((t) => t.startsWith(`${ELLIPSIS} ${3000 - shown} more targets are not listed`))).toBe(true);
    expect(() => requestFormCard([{ ...POLICIES[0]!, id: 'x'.repeat(201) }])).toThrow(RangeError);
  });
});

describe('textCard', () => {
  it('draws text and a monospace block, one TextBlock per line', () => {
    const json = textCard('Usage for 7d:\n\n**not bold**', 'policy      grants\nExchange\\X  3');
    expectGoodCard(json);
    const blocks = ofType(json, 'TextBlock');
    expect(blocks.map((b) => b.text)).toEqual([
      'Usage for 7d:', '\\*\\*not bold\\*\\*', 'policy\u00A0\u00A0\u00A0\u00A0\u00A0\u00A0grants', 'Exchange\\\\X\u00A0\u00A03',
    ]);
    expect(blocks[1]).toMatchObject({ spacing: 'Medium' });
    expect(blocks[2]).toMatchObject({ fontType: 'Monospace', spacing: 'Medium' });
    expect(blocks[3]).toMatchObject({ fontType: 'Monospace', spacing: 'None' });
    expect(json).not.toHaveProperty('actions');
  });

  it('draws empty, hostile and huge replies within the rules', () => {
    expectGoodCard(textCard(''));
    for (const text of INJECTIONS) expectGoodCard(textCard(text, text));
    const huge = textCard(Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(50)}`).join('\n'));
    expectGoodCard(huge);
    expect(markdownTexts(huge).at(-1)).toMatch(/^… \d+ more lines not shown here$/);
  });
});

describe('card text', () => {
  it('truncates to the limit with a visible ellipsis and never splits a pair, a cluster or an escape', () => {
    const samples = ['😀a𝒳b🇫🇷c👩‍👩‍👧‍👦'.repeat(20), escapeCardMarkdown('**__[]()##--'.repeat(20)), 'plain text '.repeat(30)];
    for (const text of samples) {
      for (let max = 1; max <= 80; max += 1) {
        const cut = truncate(text, max);
        expect(cut.length).toBeLessThanOrEqual(max);
        expect(cut.endsWith(ELLIPSIS)).toBe(true);
        expect(cut).not.toMatch(LONE_SURROGATE);
        expect(text.startsWith(cut.slice(0, -1))).toBe(true);
        // An odd run of backslashes before the ellipsis would escape it.
        expect(cut.slice(0, -1)).not.toMatch(/(?<!\\)(?:\\\\)*\\$/);
        const bytes = truncate(text, Math.max(max, 3), jsonBytes);
        expect(jsonBytes(bytes)).toBeLessThanOrEqual(Math.max(max, 3));
      }
    }
    expect(truncate('short', 5)).toBe('short');
    expect(() => truncate('x', 0)).toThrow(RangeError);
    expect(clip('😀😀', 3)).toBe('😀');
    expect(fitMarkdown('', 10)).toBe('—');
  });

  it('cuts exactly where a cut through every grapheme cluster from the start would', () => {
    // The reference: segment everything (truncate only segments a window before the cut).
    const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
    const reference = (text: string, max: number, measure: (s: string) => number) => {
      if (measure(text) <= max) return text;
      const units = text.split(/(\\[!-/:-@[-`{-~])/).flatMap((part, i) => (i % 2 ? [part] : [...segmenter.segment(part)].map((s) => s.segment)));
      let used = 0;
      let out = '';
      for (const unit of units) {
        if (used + measure(unit) > max - measure(ELLIPSIS)) break;
        used += measure(unit);
        out += unit;
      }
      return out.trimEnd() + ELLIPSIS;
    };
    const pieces = ['a', 'Z', ' ', '\\*', '\\\\', 'é', 'e\u0301', '漢', 'ж', '😀', '👍🏽', '❤️', '👩‍👩‍👧', '🇫🇷', '🇩', '한', '\u1100\u1161', 'क्ष', '\u0600a', 'ก\u0E33', '\t', '\n'];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 300; round += 1) {
      const text = Array.from({ length: 20 + Math.floor(random() * 400) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      const max = 3 + Math.floor(random() * 300);
      expect(truncate(text, max)).toBe(reference(text, max, (s) => s.length));
      expect(truncate(text, max, jsonBytes)).toBe(reference(text, max, jsonBytes));
    }
  });

  it('builds the attachment and the invoke response', () => {
    const json = textCard('hi');
    expect(cardAttachment(json)).toEqual({ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: json });
    expect(cardInvokeResponse(json)).toEqual({ statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value: json });
  });
});
