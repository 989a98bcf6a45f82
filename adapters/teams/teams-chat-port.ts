import { toThreadedConversationId, type App } from '@microsoft/teams.apps';
import type { Card } from '../../src/core/cards.js';
import type { ChatPort, Destination, MessageRef } from '../../src/core/ports.js';
import { DeliveryError } from '../../src/delivery/delivery-error.js';
import type { ConversationRefs } from '../../src/store/conversation-refs.js';
import { cardAttachment, cardSummary, cardToAdaptiveCard } from './adaptive-cards.js';

/** Statuses Microsoft asks bots to retry with backoff (Teams throttling docs); others are final. */
const RETRYABLE = new Set([408, 412, 429, 500, 502, 503, 504]);

/** Turns a connector error (the SDK's HTTP client) into a DeliveryError the dispatcher retries. */
export function toDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const e = error as {
    response?: { status?: number; headers?: Record<string, string | undefined>; data?: { error?: { code?: unknown } } }; status?: number; message?: string;
  };
  const status = e.response?.status ?? e.status;
  const retryAfter = Number(e.response?.headers?.['retry-after']);
  if (status === undefined) return new DeliveryError(`Teams unreachable: ${e.message ?? String(error)}`);
  // The connector's error code (BotNotInConversationRoster, ConversationNotFound…) tells an admin what to fix.
  const code = e.response?.data?.error?.code;
  return new DeliveryError(`Teams answered ${status}${typeof code === 'string' ? ` ${code.slice(0, 100)}` : ''}`, {
    status,
    permanent: !RETRYABLE.has(status),
    ...(Number.isFinite(retryAfter) ? { retryAfterMs: retryAfter * 1000 } : {}),
  });
}

export const userRefKey = (identity: string) => `user:${identity}`;

export interface TeamsPortOptions {
  app: App;
  refs: ConversationRefs;
  botId: string;
  tenantId: string | undefined;
  serviceUrl: string;
  /** The configured audit conversation (TEAMS_AUDIT_CONVERSATION), else the one chosen with `audit-here`. */
  auditConversation: string | undefined;
  chosenFeedConversation: () => Promise<string | undefined>;
  /** Teams user ids (`29:…`) of those who may decide a request: they get its buttons in channels. */
  deciderUserIds: (requestId: string) => Promise<string[]>;
}

/** The verb a card's refresh invokes; the adapter answers with the caller's own view. */
export const REFRESH_VERB = 'card.refresh';

/** Channel conversations (`19:…`) are seen by many; 1:1 chats with the bot are personal. */
export function isSharedConversation(conversationId: string): boolean {
  return conversationId.startsWith('19:');
}

/** Team channels (`19:…@thread.tacv2`, older `@thread.skype`) have threads; 1:1 and group chats (`@thread.v2`) do not. */
function isChannel(conversationId: string): boolean {
  return /^19:[^;]*@thread\.(tacv2|skype)(;|$)/.test(conversationId);
}

/**
 * Where a reply under `root` goes. In a channel, the thread's own conversation id
 * (`19:…@thread.tacv2;messageid=<root id>`, the Teams SDK's `toThreadedConversationId`): "Send to
 * conversation" with `replyToId` in the body, which the SDK's activities `reply()` sends, appends a
 * new top-level post instead (Bot Connector API reference, "Send to conversation"). Chats have
 * no threads: the reply is appended there.
 */
function replyConversation(root: MessageRef): string {
  if (!isChannel(root.channel)) return root.channel;
  try {
    return toThreadedConversationId(root.channel, root.messageId);
  } catch (error) {
    // Teams' message ids are numbers; anything else cannot be a thread root and never will be.
    throw new DeliveryError(`cannot reply in the thread of ${root.messageId}: ${error instanceof Error ? error.message : String(error)}`, { permanent: true });
  }
}

/**
 * The ChatPort for Teams: proactive messages in each person's 1:1 chat with the bot (created on
 * first use when the app is installed for them), the audit feed conversation, approvers'
 * channels, replies in threads, and in-place updates of every card.
 */
export class TeamsChatPort implements ChatPort {
  readonly platform = 'teams';

  constructor(private readonly options: TeamsPortOptions) {}

  private async conversationFor(destination: Destination): Promise<string> {
    const { refs, app } = this.options;
    if (destination.kind === 'feed') {
      const feed = this.options.auditConversation ?? (await this.options.chosenFeedConversation());
      if (!feed) throw new DeliveryError('no Teams audit conversation: set TEAMS_AUDIT_CONVERSATION or run audit-here in a team channel', { skip: true });
      return feed;
    }
    if (destination.kind === 'channel') return destination.ref.replace(/^teams:/, '');
    const known = await refs.get(userRefKey(destination.identity));
    if (known) return known.conversationId;
    // Someone who never talked to the bot: create the 1:1 chat (needs the app installed for them).
    const aadObjectId = destination.identity.replace(/^teams:/, '');
    const created = await app.api.conversations.create({
      isGroup: false, bot: { id: this.options.botId }, members: [{ id: aadObjectId, aadObjectId, role: 'user' } as never],
      tenantId: this.options.tenantId, channelData: this.options.tenantId ? { tenant: { id: this.options.tenantId } } : undefined,
    });
    await refs.save({
      key: userRefKey(destination.identity), platform: 'teams', conversationId: created.id, serviceUrl: this.options.serviceUrl,
      tenantId: this.options.tenantId ?? null, platformUserId: null,
    });
    return created.id;
  }

  /**
   * In a channel, a card with decision buttons is posted without them and with a refresh: the
   * approvers' clients ask Elevate for their own view (with buttons), everyone else sees the status.
   */
  private async activity(card: Card, conversationId: string) {
    const requestId = card.actions.find((a) => a.verb.startsWith('request.'))?.value;
    const content = requestId && isSharedConversation(conversationId)
      ? cardToAdaptiveCard(card, { actions: false, refresh: { verb: REFRESH_VERB, data: { value: requestId }, userIds: await this.options.deciderUserIds(requestId) } })
      : cardToAdaptiveCard(card);
    return { type: 'message' as const, summary: cardSummary(card), attachments: [cardAttachment(content)] };
  }

  async post(destination: Destination, card: Card, options: { threadOf?: MessageRef }): Promise<MessageRef> {
    try {
      const conversationId = options.threadOf?.channel ?? (await this.conversationFor(destination));
      const target = options.threadOf ? replyConversation(options.threadOf) : conversationId;
      const sent = await this.options.app.api.conversations.activities(target).create(await this.activity(card, conversationId));
      return { platform: 'teams', channel: conversationId, messageId: sent.id };
    } catch (error) {
      throw toDeliveryError(error);
    }
  }

  async update(ref: MessageRef, card: Card): Promise<void> {
    try {
      await this.options.app.api.conversations.activities(ref.channel).update(ref.messageId, await this.activity(card, ref.channel));
    } catch (error) {
      throw toDeliveryError(error);
    }
  }
}
