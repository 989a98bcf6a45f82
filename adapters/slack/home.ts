/**
 * The Slack App Home tab (`views.publish` with a `home` view): what waits for the person's
 * decision (Approve / Deny), their pending requests (Cancel), their active grants (Extend,
 * I'm done) and a Request access button that opens the form. Cards are the same neutral cards
 * as in DMs, drawn by cardToBlocks; a Home view holds at most 100 blocks, so cards that would
 * not fit are counted in a line instead.
 */
import type { KnownBlock } from '@slack/types';
import type { Card } from '../../src/core/cards.js';
import type { Home } from '../../src/core/use-cases/home.js';
import { cardToBlocks, MAX_BLOCKS_PER_MODAL } from './block-kit.js';
import { fitMrkdwn, plain } from './mrkdwn.js';

/** The action id of the Home tab's Request access button. */
export const HOME_REQUEST_ACTION = 'home.request';

export interface HomeView {
  type: 'home';
  blocks: KnownBlock[];
}

/** The Home tab of `home`; never more than Slack's 100 blocks. */
export function homeView(home: Home): HomeView {
  const blocks: KnownBlock[] = [
    { type: 'header', block_id: 'home:title', text: plain('Elevate: your access', 150) },
    {
      type: 'actions', block_id: 'home:actions',
      elements: [{ type: 'button', action_id: HOME_REQUEST_ACTION, style: 'primary', text: plain('Request access', 75), value: 'home' }],
    },
  ];
  const sections: Array<[string, Card[], number, string]> = [
    ['Waiting for your decision', home.approvals, home.counts.approvals, 'Nothing is waiting for your decision.'],
    ['Your pending requests', home.requests, home.counts.requests, 'No pending requests.'],
    ['Your active access', home.grants, home.counts.grants, 'No active access.'],
  ];
  // Each section keeps room for its heading and a closing line; cards are added while they fit.
  const reserve = sections.length * 3;
  sections.forEach(([title, cards, total, none], s) => {
    blocks.push({ type: 'divider', block_id: `home:${s}:divider` });
    blocks.push({ type: 'section', block_id: `home:${s}:title`, text: { type: 'mrkdwn', text: `*${fitMrkdwn(title, 200)}* (${total})` } });
    if (total === 0) {
      blocks.push({ type: 'context', block_id: `home:${s}:none`, elements: [{ type: 'mrkdwn', text: fitMrkdwn(none, 200) }] });
      return;
    }
    let shown = 0;
    for (const [i, card] of cards.entries()) {
      const drawn = cardToBlocks(card, { idPrefix: `home:${s}:${i}` }).blocks;
      if (blocks.length + drawn.length > MAX_BLOCKS_PER_MODAL - reserve + s * 3) break;
      blocks.push(...drawn);
      shown += 1;
    }
    if (shown < total) {
      const more = total - shown;
      blocks.push({ type: 'context', block_id: `home:${s}:more`, elements: [{ type: 'mrkdwn', text: `… ${more} more not shown here: /elevate ${s === 0 ? 'pending' : 'status'} lists them all` }] });
    }
  });
  return { type: 'home', blocks: blocks.slice(0, MAX_BLOCKS_PER_MODAL) };
}
