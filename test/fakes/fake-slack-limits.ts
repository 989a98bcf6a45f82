/**
 * Block Kit limits enforced by FakeSlackApi. Numbers are from Slack's Block Kit reference
 * (see PLATFORM-NOTES.md, Slack, "Limits"). Checks return a problem worded like the entries of
 * Slack's `errors` array, e.g. `must be less than 3001 characters [json-pointer:/blocks/0/text/text]`,
 * or `undefined` when the payload is acceptable.
 */

type Obj = Record<string, unknown>;

/** Block types the fake accepts; anything else is what Slack answers `invalid_blocks` for. */
const BLOCK_TYPES = new Set(['section', 'header', 'context', 'actions', 'divider', 'input', 'rich_text', 'image']);

const ELEMENT_TYPES = new Set([
  'button', 'image', 'overflow', 'checkboxes', 'radio_buttons', 'datepicker', 'timepicker', 'datetimepicker',
  'plain_text_input', 'email_text_input', 'url_text_input', 'number_input', 'rich_text_input',
  'static_select', 'external_select', 'users_select', 'conversations_select', 'channels_select',
  'multi_static_select', 'multi_external_select', 'multi_users_select', 'multi_conversations_select',
  'multi_channels_select',
]);

class Problem extends Error {}

function fail(path: string, message: string): never {
  throw new Problem(`${message} [json-pointer:${path}]`);
}

function attempt(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof Problem) return error.message;
    throw error;
  }
}

function obj(value: unknown, path: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be an object');
  return value as Obj;
}

function list(value: unknown, path: string, max: number, min = 0): unknown[] {
  if (!Array.isArray(value)) fail(path, 'must be an array');
  if (value.length > max) fail(path, `no more than ${max} items allowed`);
  if (value.length < min) fail(path, `must provide at least ${min} items`);
  return value;
}

function str(value: unknown, path: string, max: number, min = 0): string {
  if (typeof value !== 'string') fail(path, 'must be a string');
  if (value.length > max) fail(path, `must be less than ${max + 1} characters`);
  if (value.length < min) fail(path, `must be more than ${min - 1} characters`);
  return value;
}

function optStr(value: unknown, path: string, max: number): void {
  if (value !== undefined) str(value, path, max);
}

/** A text object: `{ type: 'plain_text' | 'mrkdwn', text }`, 1..max characters. */
function text(value: unknown, path: string, max: number, plainOnly = false): void {
  const t = obj(value, path);
  const types = plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
  if (typeof t.type !== 'string' || !types.includes(t.type)) fail(`${path}/type`, `must be one of ${types.join(', ')}`);
  str(t.text, `${path}/text`, max, 1);
}

function optText(value: unknown, path: string, max: number, plainOnly = false): void {
  if (value !== undefined) text(value, path, max, plainOnly);
}

function image(e: Obj, path: string): void {
  // Image URL 3,000 and alt text 2,000 characters (Block Kit reference, image block/element).
  if (e.slack_file === undefined) str(e.image_url, `${path}/image_url`, 3000, 1);
  str(e.alt_text, `${path}/alt_text`, 2000, 1);
}

function confirm(value: unknown, path: string): void {
  const c = obj(value, path);
  // Confirmation dialog: title 100, text 300, confirm/deny buttons 30 (Block Kit reference).
  text(c.title, `${path}/title`, 100, true);
  text(c.text, `${path}/text`, 300);
  text(c.confirm, `${path}/confirm`, 30, true);
  text(c.deny, `${path}/deny`, 30, true);
}

function options(value: unknown, path: string, max: number, min = 1): void {
  list(value, path, max, min).forEach((item, i) => {
    const o = obj(item, `${path}/${i}`);
    // Option text 75, value 150, description 75 (Block Kit reference, option object).
    text(o.text, `${path}/${i}/text`, 75);
    str(o.value, `${path}/${i}/value`, 150, 1);
    optText(o.description, `${path}/${i}/description`, 75);
  });
}

function element(value: unknown, path: string): void {
  const e = obj(value, path);
  if (typeof e.type !== 'string' || !ELEMENT_TYPES.has(e.type)) fail(`${path}/type`, 'must be a valid element type');
  // action_id and block_id are capped at 255 characters.
  optStr(e.action_id, `${path}/action_id`, 255);
  if (e.confirm !== undefined) confirm(e.confirm, `${path}/confirm`);
  optText(e.placeholder, `${path}/placeholder`, 150, true);
  if (e.type === 'button') {
    // Button text 75, value 2,000, url 3,000 characters.
    text(e.text, `${path}/text`, 75, true);
    optStr(e.value, `${path}/value`, 2000);
    optStr(e.url, `${path}/url`, 3000);
    if (e.style !== undefined && e.style !== 'primary' && e.style !== 'danger') fail(`${path}/style`, 'must be primary or danger');
  } else if (e.type === 'image') {
    image(e, path);
  } else if (e.type === 'overflow') {
    options(e.options, `${path}/options`, 5, 1);
  } else if (e.type === 'checkboxes' || e.type === 'radio_buttons') {
    options(e.options, `${path}/options`, 10);
  } else if (e.type.endsWith('static_select')) {
    // Static selects carry up to 100 options or option groups.
    if (e.options !== undefined) options(e.options, `${path}/options`, 100);
    if (e.option_groups !== undefined) list(e.option_groups, `${path}/option_groups`, 100, 1);
    if (e.options === undefined && e.option_groups === undefined) fail(path, 'must provide options or option_groups');
  }
}

function block(value: unknown, path: string): void {
  const b = obj(value, path);
  if (typeof b.type !== 'string' || !BLOCK_TYPES.has(b.type)) fail(`${path}/type`, 'must be a valid block type');
  optStr(b.block_id, `${path}/block_id`, 255);
  switch (b.type) {
    case 'section':
      // Section text 3,000; up to 10 fields of 2,000 characters each.
      optText(b.text, `${path}/text`, 3000);
      if (b.fields !== undefined) list(b.fields, `${path}/fields`, 10, 1).forEach((f, i) => text(f, `${path}/fields/${i}`, 2000));
      if (b.text === undefined && b.fields === undefined) fail(path, 'must provide text or fields');
      if (b.accessory !== undefined) element(b.accessory, `${path}/accessory`);
      break;
    case 'header':
      // Header text is plain_text of at most 150 characters.
      text(b.text, `${path}/text`, 150, true);
      break;
    case 'context':
      // Up to 10 elements; text elements share the section's 3,000-character cap.
      list(b.elements, `${path}/elements`, 10, 1).forEach((item, i) => {
        const e = obj(item, `${path}/elements/${i}`);
        if (e.type === 'image') image(e, `${path}/elements/${i}`);
        else text(e, `${path}/elements/${i}`, 3000);
      });
      break;
    case 'actions':
      // An actions block holds up to 25 interactive elements.
      list(b.elements, `${path}/elements`, 25, 1).forEach((e, i) => element(e, `${path}/elements/${i}`));
      break;
    case 'input':
      // Input label and hint: plain_text of at most 2,000 characters.
      text(b.label, `${path}/label`, 2000, true);
      optText(b.hint, `${path}/hint`, 2000, true);
      element(b.element, `${path}/element`);
      break;
    case 'rich_text':
      list(b.elements, `${path}/elements`, Number.MAX_SAFE_INTEGER);
      break;
    case 'image':
      image(b, path);
      optText(b.title, `${path}/title`, 2000, true);
      break;
    default:
      break; // divider has nothing to check
  }
}

function blocksAt(value: unknown, max: number, path: string): unknown[] {
  const blocks = list(value, path, max);
  blocks.forEach((b, i) => block(b, `${path}/${i}`));
  return blocks;
}

/** Checks message blocks: an array of at most `maxBlocks` (50 for messages) valid blocks. */
export function checkBlocks(blocks: unknown, maxBlocks = 50): string | undefined {
  return attempt(() => void blocksAt(blocks, maxBlocks, '/blocks'));
}

/** Checks a modal or home view: 100 blocks, title/submit/close 24 chars, private_metadata 3,000. */
export function checkView(value: unknown): string | undefined {
  return attempt(() => {
    const v = obj(value, '/view');
    if (v.type !== 'modal' && v.type !== 'home') fail('/view/type', 'must be modal or home');
    if (v.type === 'modal') text(v.title, '/view/title', 24, true);
    optText(v.submit, '/view/submit', 24, true);
    optText(v.close, '/view/close', 24, true);
    optStr(v.private_metadata, '/view/private_metadata', 3000);
    optStr(v.callback_id, '/view/callback_id', 255);
    optStr(v.external_id, '/view/external_id', 255);
    const blocks = blocksAt(v.blocks, 100, '/view/blocks');
    const hasInput = blocks.some((b) => (b as Obj).type === 'input');
    // Slack refuses a modal with input blocks but no submit button.
    if (v.type === 'modal' && hasInput && v.submit === undefined) fail('/view/submit', 'is required when the view has input blocks');
  });
}
