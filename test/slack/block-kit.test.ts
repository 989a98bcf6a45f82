import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import {
  MAX_ACTION_ID, MAX_ACTIONS_ELEMENTS, MAX_BLOCK_ID, MAX_BLOCKS_PER_MESSAGE, MAX_BUTTON_TEXT, MAX_BUTTON_VALUE, MAX_FALLBACK_TEXT,
  MAX_FIELD_TEXT, MAX_HEADER_TEXT, MAX_MODAL_TITLE, MAX_OPTION_TEXT, MAX_OPTION_VALUE, MAX_SECTION_FIELDS, MAX_SECTION_TEXT,
  MESSAGE_TEXT_BUDGET, cardToBlocks, modalTitle, optionText, optionValue,
} from '../../adapters/slack/block-kit.js';
import { escapeMrkdwn, fitMrkdwn, plain, truncate } from '../../adapters/slack/mrkdwn.js';
import { card, type Card, type CardAction } from '../../src/core/cards.js';

const INJECTIONS = [
  '<!channel>',
  '<!here|here>',
  '<@U999>',
  '<#C123>',
  '<!subteam^S123>',
  '<https://evil.example|click here>',
  '<!date^1392734382^{date}|x>',
  '*bold* _italic_ ~strike~ `code` ```block```',
  '＊wide＊ ＿wide＿ ｀wide｀',
  '@here @channel @EVERYONE',
  '&lt;!channel&gt; &amp; &',
  '> quoted\n  > indented quote\n＞ wide quote\n>>> rest',
];

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What Slack could read as markup, a mention or a broadcast in text we escaped. */
function expectInert(text: string): void {
  expect(text).not.toMatch(/[<>*_~`＊＿｀]/);
  // Every `&` starts one of the three entities Slack decodes.
  expect(text.replace(/&(?:amp|lt|gt);/g, '')).not.toContain('&');
  expect(text).not.toMatch(/@(?:here|channel|everyone)/i);
  // No line starts a block quote.
  expect(text).not.toMatch(/(?:^|\n)[ \t]*(?:&gt;|＞)/);
}

/** Splits a `*Label*\nvalue` field into its parts, asserting that the wrapper is our own. */
function fieldParts(text: string): { label: string; value: string } {
  const match = /^\*([^*\n]+)\*\n([\s\S]*)$/.exec(text);
  expect(match, `field ${JSON.stringify(text.slice(0, 40))}`).not.toBeNull();
  return { label: match![1]!, value: match![2]! };
}

function byType<T extends KnownBlock['type']>(blocks: KnownBlock[], type: T): Array<Extract<KnownBlock, { type: T }>> {
  return blocks.filter((b): b is Extract<KnownBlock, { type: T }> => b.type === type);
}

function mrkdwnTexts(blocks: KnownBlock[]): string[] {
  const texts: string[] = [];
  for (const block of blocks) {
    if (block.type === 'section') {
      if (block.text) texts.push(block.text.text);
      for (const field of block.fields ?? []) texts.push(field.text);
    }
    if (block.type === 'context') for (const el of block.elements) if ('text' in el) texts.push(el.text);
  }
  return texts;
}

/** Every string anywhere in the message, for checks that apply to all of them. */
function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) allStrings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) allStrings(v, out);
  return out;
}

/** Asserts every Slack limit the serializer promises, whatever the card. */
function expectWithinSlackLimits(message: { text: string; blocks: KnownBlock[] }): void {
  const { text, blocks } = message;
  expect(blocks.length).toBeLessThanOrEqual(MAX_BLOCKS_PER_MESSAGE);
  expect(text.length).toBeGreaterThan(0);
  expect(text.length).toBeLessThanOrEqual(MAX_FALLBACK_TEXT);
  const blockIds = blocks.map((b) => b.block_id);
  expect(new Set(blockIds).size).toBe(blocks.length);
  for (const id of blockIds) {
    expect(id).toBeTypeOf('string');
    expect(id!.length).toBeLessThanOrEqual(MAX_BLOCK_ID);
  }
  for (const block of blocks) {
    switch (block.type) {
      case 'header':
        expect(block.text.type).toBe('plain_text');
        expect(block.text.text.length).toBeGreaterThan(0);
        expect(block.text.text.length).toBeLessThanOrEqual(MAX_HEADER_TEXT);
        break;
      case 'section':
        if (block.text) {
          expect(block.text.text.length).toBeGreaterThan(0);
          expect(block.text.text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
        }
        expect((block.fields ?? []).length).toBeLessThanOrEqual(MAX_SECTION_FIELDS);
        for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(MAX_FIELD_TEXT);
        expect(block.text ?? block.fields).toBeDefined();
        break;
      case 'actions': {
        expect(block.elements.length).toBeGreaterThan(0);
        expect(block.elements.length).toBeLessThanOrEqual(MAX_ACTIONS_ELEMENTS);
        const actionIds = block.elements.map((e) => (e as Button).action_id);
        expect(new Set(actionIds).size).toBe(actionIds.length);
        for (const element of block.elements) {
          const b = element as Button;
          expect(b.type).toBe('button');
          expect(b.action_id!.length).toBeLessThanOrEqual(MAX_ACTION_ID);
          expect(b.text.text.length).toBeGreaterThan(0);
          expect(b.text.text.length).toBeLessThanOrEqual(MAX_BUTTON_TEXT);
          expect(b.value!.length).toBeLessThanOrEqual(MAX_BUTTON_VALUE);
          expect(b.confirm).toBeUndefined();
        }
        break;
      }
      case 'context':
        expect(block.elements.length).toBeGreaterThan(0);
        for (const el of block.elements) if ('text' in el) expect(el.text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
        break;
      default:
        throw new Error(`unexpected block type ${block.type}`);
    }
  }
  for (const s of allStrings(message)) expect(s).not.toMatch(LONE_SURROGATE);
}

function approvalCard(): Card {
  return card({
    title: 'Access request req_42',
    summary: 'Ada Lovelace requests Exchange\\Search-Mailbox',
    facts: [
      { label: 'Requester', value: 'Ada Lovelace' },
      { label: 'Target', value: 'Exchange\\Search-Mailbox (task)' },
      { label: 'Duration', value: '2h' },
      { label: 'Reason', value: 'Legal hold for case 7' },
      { label: 'Approvals', value: '0 of 2 — waiting for 2 more from Security Approvers' },
    ],
    status: { tone: 'pending', text: 'Waiting for approval until 2025-01-02T10:00:00Z' },
    actions: [
      { verb: 'request.approve', label: 'Approve', value: 'req_42', style: 'primary' },
      { verb: 'request.approveWithComment', label: 'Approve with comment', value: 'req_42' },
      { verb: 'request.deny', label: 'Deny', value: 'req_42', style: 'danger' },
    ],
  });
}

describe('escapeMrkdwn', () => {
  it.each(INJECTIONS)('makes %j inert', (attack) => {
    expectInert(escapeMrkdwn(attack));
  });

  it('neutralises mentions and links by escaping &, < and >', () => {
    expect(escapeMrkdwn('<!channel>')).toBe('&lt;!channel&gt;');
    expect(escapeMrkdwn('<@U999>')).toBe('&lt;@U999&gt;');
    expect(escapeMrkdwn('<https://evil|click here>')).toBe('&lt;https://evil|click here&gt;');
  });

  it('keeps text readable: look-alike characters, invisible breaks', () => {
    expect(escapeMrkdwn('*bold* _it_ ~s~ `c`')).toBe('∗bold∗ ˍitˍ ∼s∼ ˋcˋ');
    expect(escapeMrkdwn('ping @here now')).toBe('ping @\u200Bhere now');
    expect(escapeMrkdwn('a\n> b')).toBe('a\n\u00AD&gt; b');
    expect(escapeMrkdwn('Plain words, 100% fine.')).toBe('Plain words, 100% fine.');
  });

  it('escapes in one pass: each & once, and pre-escaped-looking text stays literal', () => {
    expect(escapeMrkdwn('R&D')).toBe('R&amp;D');
    expect(escapeMrkdwn('<')).toBe('&lt;');
    // Cards carry plain text: "&lt;" typed by a person must read "&lt;", not "<".
    expect(escapeMrkdwn('&lt;!channel&gt;')).toBe('&amp;lt;!channel&amp;gt;');
    expect(escapeMrkdwn('&amp;')).toBe('&amp;amp;');
  });
});

describe('truncate', () => {
  it('returns short text unchanged and cuts long text with a visible ellipsis', () => {
    expect(truncate('hello', 5)).toBe('hello');
    expect(truncate('hello world', 8)).toBe('hello w…');
    expect(truncate('hello world', 7)).toBe('hello…'); // no space before the ellipsis
    expect(truncate('hello world', 8).length).toBeLessThanOrEqual(8);
    expect(truncate('abc', 1)).toBe('…');
  });

  it('never splits a surrogate pair or a ZWJ emoji sequence', () => {
    for (let max = 1; max <= 40; max += 1) {
      const cut = truncate('😀'.repeat(30), max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut).not.toMatch(LONE_SURROGATE);
      expect(cut.endsWith('…')).toBe(true);
    }
    const family = '👩‍👩‍👧‍👦';
    for (let max = 1; max < family.length * 3; max += 1) {
      const cut = truncate(family.repeat(3), max);
      expect(cut.endsWith('…')).toBe(true);
      expect(cut.slice(0, -1).split(family).join('')).toBe('');
    }
  });

  it('never cuts an escape entity in half', () => {
    const escaped = escapeMrkdwn('&<>'.repeat(50));
    for (let max = 1; max <= 40; max += 1) {
      const cut = truncate(escaped, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut.slice(0, -1).replace(/&(?:amp|lt|gt);/g, '')).toBe('');
    }
  });

  it('refuses a non-positive limit', () => {
    expect(() => truncate('x', 0)).toThrow(RangeError);
  });

  it('fitMrkdwn escapes before it cuts', () => {
    expect(fitMrkdwn('<<<<<', 10)).toBe('&lt;&lt;…');
    expect(fitMrkdwn('<<<<<', 8)).toBe('&lt;…');
  });

  it('plain gives a plain_text object that is never empty', () => {
    expect(plain('x'.repeat(30), 10)).toEqual({ type: 'plain_text', text: `${'x'.repeat(9)}…`, emoji: true });
    expect(plain('   ', 10).text).toBe('—');
  });
});

describe('cardToBlocks on a normal approval card', () => {
  const message = cardToBlocks(approvalCard());

  it('draws header, status, facts and buttons', () => {
    expect(message.text).toBe('Ada Lovelace requests Exchange\\Search-Mailbox');
    expect(message.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions']);

    const header = message.blocks[0] as HeaderBlock;
    expect(header).toEqual({ type: 'header', block_id: 'elevate:header', text: { type: 'plain_text', text: 'Access request req_42', emoji: true } });

    const status = message.blocks[1] as SectionBlock;
    expect(status.block_id).toBe('elevate:status');
    expect(status.text).toEqual({ type: 'mrkdwn', text: '⏳ Waiting for approval until 2025-01-02T10:00:00Z' });

    const facts = message.blocks[2] as SectionBlock;
    expect(facts.block_id).toBe('elevate:facts:0');
    expect(facts.fields!.map((f) => f.text)).toEqual([
      '*Requester*\nAda Lovelace',
      '*Target*\nExchange\\Search-Mailbox (task)',
      '*Duration*\n2h',
      '*Reason*\nLegal hold for case 7',
      '*Approvals*\n0 of 2 — waiting for 2 more from Security Approvers',
    ]);
    expect(facts.fields!.every((f) => f.type === 'mrkdwn')).toBe(true);

    const actions = message.blocks[3] as ActionsBlock;
    expect(actions.block_id).toBe('elevate:actions:0');
    expect(actions.elements).toEqual([
      { type: 'button', action_id: 'request.approve', text: { type: 'plain_text', text: 'Approve', emoji: true }, value: 'req_42', style: 'primary' },
      { type: 'button', action_id: 'request.approveWithComment', text: { type: 'plain_text', text: 'Approve with comment', emoji: true }, value: 'req_42' },
      { type: 'button', action_id: 'request.deny', text: { type: 'plain_text', text: 'Deny', emoji: true }, value: 'req_42', style: 'danger' },
    ]);
    expectWithinSlackLimits(message);
  });

  it('leaves the buttons out when asked, and status out when there is none', () => {
    const readOnly = cardToBlocks({ ...approvalCard(), status: null }, { actions: false });
    expect(readOnly.blocks.map((b) => b.type)).toEqual(['header', 'section']);
    expect(readOnly.blocks[1]!.block_id).toBe('elevate:facts:0');
  });

  it('draws links (Approve in browser) as url buttons, kept on read-only copies, and leaves out a link that is not http(s)', () => {
    const linked: Card = {
      ...approvalCard(),
      actions: [
        { verb: 'link.open', label: 'Approve in browser', value: 'req_42', url: 'https://elevate.example.com/requests/req_42', style: 'primary' },
        { verb: 'request.deny', label: 'Deny', value: 'req_42', style: 'danger' },
        { verb: 'link.open', label: 'Evil', value: 'req_42', url: 'javascript:alert(1)' },
      ],
    };
    const message = cardToBlocks(linked);
    expectWithinSlackLimits(message);
    const buttons = byType(message.blocks, 'actions').flatMap((b) => b.elements);
    expect(buttons[0]).toEqual({
      type: 'button', action_id: 'link.open', text: { type: 'plain_text', text: 'Approve in browser', emoji: true }, value: 'req_42',
      url: 'https://elevate.example.com/requests/req_42', style: 'primary',
    });
    expect(buttons.map((b) => (b as { action_id?: string }).action_id)).toEqual(['link.open', 'request.deny']);
    expect(JSON.stringify(message)).not.toContain('javascript:');

    const readOnly = cardToBlocks(linked, { actions: false });
    expect(byType(readOnly.blocks, 'actions').flatMap((b) => b.elements).map((b) => (b as { url?: string }).url)).toEqual(['https://elevate.example.com/requests/req_42']);
  });

  it('shows an emoji per tone', () => {
    const emoji = { pending: '⏳', approved: '✅', denied: '⛔', expired: '⌛', cancelled: '🚫', revoked: '🔒', info: 'ℹ️', warning: '⚠️' } as const;
    for (const [tone, mark] of Object.entries(emoji)) {
      const { blocks } = cardToBlocks(card({ title: 't', status: { tone: tone as keyof typeof emoji, text: 'x' } }));
      expect((blocks[1] as SectionBlock).text!.text).toBe(`${mark} x`);
    }
  });

  it('prefixes block ids so several cards can share one message', () => {
    const { blocks } = cardToBlocks(approvalCard(), { idPrefix: 'elevate:1' });
    expect(blocks.map((b) => b.block_id)).toEqual(['elevate:1:header', 'elevate:1:status', 'elevate:1:facts:0', 'elevate:1:actions:0']);
  });

  it('falls back to the title when the summary is empty', () => {
    expect(cardToBlocks(card({ title: 'A *b*', summary: ' ' })).text).toBe('A ∗b∗');
  });
});

describe('cardToBlocks with hostile text', () => {
  const hostile = INJECTIONS.join('\n');
  const message = cardToBlocks(card({
    title: `Request ${hostile}`,
    summary: `Summary ${hostile}`,
    facts: [
      { label: 'Reason', value: hostile },
      { label: `*Label* ${hostile}`, value: 'x' },
      ...INJECTIONS.map((attack) => ({ label: 'Reason', value: attack })),
    ],
    status: { tone: 'denied', text: `Denied: ${hostile}` },
    actions: [{ verb: 'request.deny', label: `<!channel> *Deny*`, value: 'req_1', style: 'danger' }],
  }));

  it('escapes every piece of user text in mrkdwn', () => {
    expectInert(message.text);
    for (const text of mrkdwnTexts(message.blocks)) {
      if (/^\*[^*\n]+\*\n/.test(text)) {
        const { label, value } = fieldParts(text);
        expectInert(label);
        expectInert(value);
      } else {
        expectInert(text.replace(/^⛔ /, ''));
      }
    }
    expectWithinSlackLimits(message);
  });

  it('shows what was typed, readably', () => {
    const fields = byType(message.blocks, 'section').flatMap((s) => s.fields ?? []);
    const reasons = fields.slice(2).map((f) => fieldParts(f.text).value);
    expect(reasons[0]).toBe('&lt;!channel&gt;');
    expect(reasons[2]).toBe('&lt;@U999&gt;');
    expect(reasons[5]).toBe('&lt;https://evil.example|click here&gt;');
    expect(reasons[9]).toBe('@\u200Bhere @\u200Bchannel @\u200BEVERYONE');
    expect(reasons[10]).toBe('&amp;lt;!channel&amp;gt; &amp;amp; &amp;');
  });

  it('leaves plain_text unescaped (Slack does not parse it) but on one line', () => {
    const header = message.blocks[0] as HeaderBlock;
    expect(header.text.text).toContain('<!channel>');
    expect(header.text.text).not.toContain('\n');
    const deny = (message.blocks.at(-1) as ActionsBlock).elements[0] as Button;
    expect(deny.text.text).toBe('<!channel> *Deny*');
  });
});

describe('cardToBlocks on an oversized card', () => {
  const longLabel = (i: number) => `Action ${i} `.padEnd(200, 'x');
  const verbs: CardAction['verb'][] = ['request.approve', 'request.approveWithComment', 'request.deny', 'request.cancel', 'grant.extend', 'grant.relinquish'];
  const oversized = card({
    title: 'T'.repeat(500),
    summary: 'S'.repeat(5000),
    facts: Array.from({ length: 60 }, (_, i) => ({
      label: `Fact ${i}`,
      // Mixed content: emoji (surrogate pairs), entities, and plain letters at odd offsets.
      value: i % 3 === 0 ? '😀'.repeat(2500) : i % 3 === 1 ? '&<>'.repeat(1667) : `${'v'.repeat(i)}${'w'.repeat(5000 - i)}`,
    })),
    status: { tone: 'warning', text: 'Z'.repeat(5000) },
    actions: Array.from({ length: 10 }, (_, i) => ({ verb: verbs[i % verbs.length]!, label: longLabel(i), value: `req_${i}` })),
  });
  const message = cardToBlocks(oversized);

  it('respects every Slack limit', () => {
    expectWithinSlackLimits(message);
  });

  it('cuts visibly with an ellipsis', () => {
    expect(message.text.endsWith('…')).toBe(true);
    const header = message.blocks[0] as HeaderBlock;
    expect(header.text.text).toHaveLength(MAX_HEADER_TEXT);
    expect(header.text.text.endsWith('…')).toBe(true);
    expect((message.blocks[1] as SectionBlock).text!.text.endsWith('…')).toBe(true);
    const fields = byType(message.blocks, 'section').flatMap((s) => s.fields ?? []);
    expect(fields).toHaveLength(60);
    for (const field of fields) expect(fieldParts(field.text).value.endsWith('…')).toBe(true);
    const buttons = byType(message.blocks, 'actions').flatMap((a) => a.elements as Button[]);
    expect(buttons).toHaveLength(10);
    for (const b of buttons) {
      expect(b.text.text.endsWith('…')).toBe(true);
      expect(b.text.text).toHaveLength(MAX_BUTTON_TEXT);
    }
  });

  it('keeps long facts within a shared budget and never cuts an entity', () => {
    const fields = byType(message.blocks, 'section').flatMap((s) => s.fields ?? []) as MrkdwnElement[];
    const head = (message.blocks[0] as HeaderBlock).text.text.length + (message.blocks[1] as SectionBlock).text!.text.length;
    const total = fields.reduce((n, f) => n + f.text.length, head);
    expect(total).toBeLessThanOrEqual(MESSAGE_TEXT_BUDGET);
    for (const f of fields) expect(fieldParts(f.text).value.slice(0, -1).replace(/&(?:amp|lt|gt);/g, '')).not.toContain('&');
  });

  it('puts a repeated verb in another actions block (action ids are unique per block)', () => {
    const actions = byType(message.blocks, 'actions');
    expect(actions.map((a) => a.elements.length)).toEqual([6, 4]);
    expect(actions.map((a) => a.block_id)).toEqual(['elevate:actions:0', 'elevate:actions:1']);
  });

  it('sums up facts and actions that do not fit in 50 blocks', () => {
    const many = cardToBlocks(card({
      title: 'Many',
      facts: Array.from({ length: 600 }, (_, i) => ({ label: `F${i}`, value: `v${i}` })),
      status: { tone: 'info', text: 'lots' },
      actions: [
        ...Array.from({ length: 30 }, (_, i) => ({ verb: 'grant.extend' as const, label: `Extend ${i}`, value: `g${i}` })),
        { verb: 'request.approve', label: 'Too long to round-trip', value: 'x'.repeat(MAX_BUTTON_VALUE + 1) },
      ],
    }));
    expectWithinSlackLimits(many);
    expect(many.blocks).toHaveLength(MAX_BLOCKS_PER_MESSAGE);
    const actions = byType(many.blocks, 'actions');
    expect(actions).toHaveLength(30);
    const sections = byType(many.blocks, 'section').filter((s) => s.fields);
    expect(sections).toHaveLength(MAX_BLOCKS_PER_MESSAGE - 2 - 1 - 30);
    const shown = sections.length * MAX_SECTION_FIELDS;
    const note = byType(many.blocks, 'context')[0] as ContextBlock;
    expect(note.block_id).toBe('elevate:more');
    expect((note.elements[0] as MrkdwnElement).text).toBe(`… ${600 - shown} more facts and 1 action not shown here`);
  });
});

describe('modal helpers', () => {
  it('cut option text and modal titles to their limits, on one line', () => {
    expect(optionText('Exchange\\Search-Mailbox')).toEqual({ type: 'plain_text', text: 'Exchange\\Search-Mailbox', emoji: true });
    const option = optionText(`a\n${'b'.repeat(200)}`).text;
    expect(option).toHaveLength(MAX_OPTION_TEXT);
    expect(option.startsWith('a b')).toBe(true);
    expect(option.endsWith('…')).toBe(true);
    const title = modalTitle('Deny req_0123456789abcdefghij').text;
    expect(title).toHaveLength(MAX_MODAL_TITLE);
    expect(title.endsWith('…')).toBe(true);
    expect(modalTitle('Request access').text).toBe('Request access');
  });

  it('keeps option values exact or refuses them', () => {
    expect(optionValue('pol_1')).toBe('pol_1');
    expect(optionValue('v'.repeat(MAX_OPTION_VALUE))).toHaveLength(MAX_OPTION_VALUE);
    expect(() => optionValue('v'.repeat(MAX_OPTION_VALUE + 1))).toThrow(RangeError);
  });
});
