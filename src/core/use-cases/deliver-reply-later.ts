import type { Card } from '../cards.js';
import { runChange, type EngineContext } from '../context.js';
import { InvalidInputError, NotAllowedError } from '../errors.js';
import type { Actor, Destination } from '../ports.js';
import { addSeconds } from '../time.js';

// A reply is a command's answer and the few cards it lists; anything bigger is not a reply.
const MAX_REPLY_CARDS = 20;
// Platform conversation ids (Teams `19:…@thread.tacv2;messageid=…`) are well under this.
const MAX_CONVERSATION_REF = 512;
// A platform asking for more than an hour is not throttling a reply any more.
const MAX_WAIT_SECONDS = 3600;

export interface ReplyLater {
  platform: string;
  /** The person's own chat (`user`, one of the actor's identities) or the conversation they wrote in (`channel`). */
  destination: Destination;
  cards: Card[];
  /** Not before this many seconds from now (the platform's Retry-After). */
  waitSeconds?: number;
}

/**
 * A direct reply the platform did not take in time (throttled past the interaction's deadline)
 * goes out later through the outbox, to the person who asked: their own chat, or the conversation
 * they asked in, after the platform's Retry-After. It changes no state, so nothing is audited
 * beyond a refused attempt. Errors: NotAllowedError (not a person, or someone else's chat),
 * InvalidInputError (no cards, too many, a bad conversation or wait).
 */
export async function deliverReplyLater(ctx: EngineContext, actor: Actor, reply: ReplyLater): Promise<void> {
  await runChange(ctx, actor, { action: 'reply.deliverLater', subject: reply.platform.slice(0, 20) }, async (change) => {
    if (actor.kind !== 'principal') throw new NotAllowedError('only a person Elevate knows gets a reply later');
    if (reply.cards.length === 0 || reply.cards.length > MAX_REPLY_CARDS) throw new InvalidInputError(`a reply has 1 to ${MAX_REPLY_CARDS} cards`);
    const wait = reply.waitSeconds ?? 0;
    if (!Number.isFinite(wait) || wait < 0 || wait > MAX_WAIT_SECONDS) throw new InvalidInputError(`a reply waits 0 to ${MAX_WAIT_SECONDS} seconds`);
    const { destination } = reply;
    if (destination.kind === 'user') {
      const [principal] = await change.tx.getPrincipals([actor.principalId]);
      if (!principal?.identities.includes(destination.identity) || !destination.identity.startsWith(`${reply.platform}:`)) {
        throw new NotAllowedError('a reply goes to the chat of the person who asked');
      }
    } else if (destination.kind !== 'channel' || !destination.ref.startsWith(`${reply.platform}:`) || destination.ref.length > MAX_CONVERSATION_REF) {
      throw new InvalidInputError('a reply goes to a conversation of its platform');
    }
    const notBefore = addSeconds(change.now, wait);
    for (const card of reply.cards) change.deliver({ platform: reply.platform, destination, kind: 'message', cardKey: null, card, notBefore });
  });
}
