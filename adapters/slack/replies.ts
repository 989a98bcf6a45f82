import { randomUUID } from 'node:crypto';
import type { KnownBlock } from '@slack/types';
import type { Logger } from 'pino';
import { isElevateError } from '../../src/core/errors.js';
import type { ChatReply } from '../chat/run-command.js';
import { cardToBlocks, MAX_BLOCKS_PER_MESSAGE, MAX_SECTION_TEXT } from './block-kit.js';
import { fitMrkdwn, truncate } from './mrkdwn.js';

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** A command's answer as one Slack message (cards stacked, within Slack's 50 blocks). */
export function renderReply(reply: ChatReply): SlackMessage {
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: fitMrkdwn(reply.text, MAX_SECTION_TEXT) } }];
  if (reply.monospace) {
    // Code blocks still need &, < and > escaped; 6 characters go to the fences.
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${truncate(reply.monospace.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'), MAX_SECTION_TEXT - 6)}\`\`\`` } });
  }
  let shown = 0;
  for (const [index, card] of reply.cards.entries()) {
    // Block ids must be unique within a message.
    const rendered = cardToBlocks(card, { idPrefix: `elevate:${index}` }).blocks;
    if (blocks.length + rendered.length + 2 > MAX_BLOCKS_PER_MESSAGE) break;
    blocks.push({ type: 'divider' }, ...rendered);
    shown += 1;
  }
  if (shown < reply.cards.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `… and ${reply.cards.length - shown} more` }] });
  }
  return { text: fitMrkdwn(reply.text, MAX_SECTION_TEXT), blocks };
}

/**
 * The one place Slack turns an error into words for the user: Elevate's own errors say what to
 * do; anything else is logged with a reference and never shown (no stack traces in chat).
 */
export function errorText(error: unknown, logger: Logger): string {
  if (isElevateError(error)) return error.message.charAt(0).toUpperCase() + error.message.slice(1);
  const reference = randomUUID().slice(0, 8);
  logger.error({ err: error, reference }, 'Slack interaction failed');
  return `Something went wrong on our side; it was logged with reference ${reference}. Please try again.`;
}
