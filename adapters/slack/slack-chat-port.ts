import type { WebClient } from '@slack/web-api';
import { ErrorCode } from '@slack/web-api';
import type { Card } from '../../src/core/cards.js';
import type { ChatPort, Destination, MessageRef } from '../../src/core/ports.js';
import { DeliveryError } from '../../src/delivery/delivery-error.js';
import type { Home } from '../../src/core/use-cases/home.js';
import { cardToBlocks } from './block-kit.js';
import { homeView } from './home.js';
import type { SlackPeople } from './slack-people.js';

/** Slack answers that retrying cannot fix. */
const PERMANENT = new Set([
  'channel_not_found', 'user_not_found', 'user_disabled', 'account_inactive', 'message_not_found', 'cant_update_message',
  'invalid_blocks', 'msg_too_long', 'not_in_channel', 'is_archived', 'thread_not_found', 'invalid_auth', 'not_authed',
  'missing_scope', 'restricted_action', 'no_permission',
]);

/** Turns a WebClient error into a DeliveryError the dispatcher knows how to retry. */
export function toDeliveryError(error: unknown): DeliveryError {
  const e = error as { code?: string; retryAfter?: number; data?: { error?: string }; statusCode?: number; message?: string };
  if (e.code === ErrorCode.RateLimitedError) {
    return new DeliveryError('Slack rate limit', { retryAfterMs: (e.retryAfter ?? 1) * 1000, status: 429 });
  }
  if (e.code === ErrorCode.PlatformError) {
    const reason = e.data?.error ?? 'unknown';
    return new DeliveryError(`Slack refused: ${reason}`, { permanent: PERMANENT.has(reason) });
  }
  return new DeliveryError(`Slack unreachable: ${e.message ?? String(error)}`, { status: e.statusCode });
}

/**
 * The ChatPort for Slack: DMs (opened once per user and remembered), the audit feed channel,
 * thread replies, and edits with chat.update. Deactivated users and bots are not messaged.
 * Pacing: the dispatcher spaces sends per channel (chat.postMessage's 1 per second per channel).
 * Tier 3 methods (conversations.open, chat.update: "50+ per minute, bursts tolerated") have no
 * client-side budget: a fixed 50-a-minute budget would hold approvers' cards back for minutes in a
 * burst Slack itself accepts; when Slack does refuse, its 429 and Retry-After are honoured for that
 * one delivery by the outbox, and other channels go on.
 */
export class SlackChatPort implements ChatPort {
  readonly platform = 'slack';
  private readonly dmChannels = new Map<string, Promise<string>>();

  constructor(
    private readonly client: WebClient,
    private readonly people: SlackPeople,
    private readonly auditChannel: string | undefined,
  ) {}

  private async channelFor(destination: Destination): Promise<string> {
    if (destination.kind === 'feed') {
      if (!this.auditChannel) throw new DeliveryError('SLACK_AUDIT_CHANNEL is not set', { permanent: true });
      return this.auditChannel;
    }
    if (destination.kind === 'channel') return destination.ref.replace(/^slack:/, '');
    const userId = destination.identity.replace(/^slack:/, '');
    const user = await this.people.user(userId).catch((error: unknown) => { throw toDeliveryError(error); });
    if (user.deleted || user.isBot) throw new DeliveryError(`Slack user ${userId} is deactivated or a bot`, { skip: true });
    let channel = this.dmChannels.get(userId);
    if (!channel) {
      channel = this.client.conversations.open({ users: userId }).then((answer) => answer.channel!.id!);
      this.dmChannels.set(userId, channel);
      channel.catch(() => this.dmChannels.delete(userId));
    }
    return channel;
  }

  async post(destination: Destination, card: Card, options: { threadOf?: MessageRef }): Promise<MessageRef> {
    try {
      const channel = options.threadOf?.channel ?? (await this.channelFor(destination));
      const { text, blocks } = cardToBlocks(card);
      const answer = await this.client.chat.postMessage({ channel, text, blocks, thread_ts: options.threadOf?.messageId, unfurl_links: false, unfurl_media: false });
      return { platform: 'slack', channel: answer.channel ?? channel, messageId: answer.ts! };
    } catch (error) {
      throw error instanceof DeliveryError ? error : toDeliveryError(error);
    }
  }

  async update(ref: MessageRef, card: Card): Promise<void> {
    try {
      const { text, blocks } = cardToBlocks(card);
      await this.client.chat.update({ channel: ref.channel, ts: ref.messageId, text, blocks });
    } catch (error) {
      throw toDeliveryError(error);
    }
  }

  /**
   * The person's App Home tab (views.publish, Tier 4: 100+ a minute). The outbox queues at most
   * one waiting publish per person and paces each person's like a conversation.
   */
  async publishHome(identity: string, home: Home): Promise<void> {
    try {
      await this.client.views.publish({ user_id: identity.replace(/^slack:/, ''), view: homeView(home) });
    } catch (error) {
      throw toDeliveryError(error);
    }
  }
}
