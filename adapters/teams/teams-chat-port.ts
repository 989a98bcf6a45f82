import { Client as ApiClient } from '@microsoft/teams.api';
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
/** Where a conversation's activities came from: its serviceUrl (Teams: per region). */
export const conversationRefKey = (conversationId: string) => `conversation:teams:${conversationId}`;

/** Whether `serviceUrl` starts with one of the allowed Bot Connector addresses (case-insensitive). */
export function isAllowedServiceUrl(serviceUrl: string, allow: string[]): boolean {
  return allow.some((prefix) => serviceUrl.toLowerCase().startsWith(prefix.toLowerCase()));
}

// A conversation's serviceUrl changes rarely (a move between regions); read it again after this.
const SERVICE_URL_TTL_MS = 60_000;
// Distinct serviceUrls are a handful of regions; more clients than this means something is wrong.
const MAX_API_CLIENTS = 32;

export interface TeamsPortOptions {
  app: App;
  refs: ConversationRefs;
  botId: string;
  tenantId: string | undefined;
  serviceUrl: string;
  /** Bot Connector addresses Elevate may send to (an activity's serviceUrl elsewhere is never used). */
  serviceUrlAllow: string[];
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

  private readonly clients = new Map<string, ApiClient>();
  private readonly serviceUrls = new Map<string, { url: string | undefined; at: number }>();

  constructor(private readonly options: TeamsPortOptions) {}

  /**
   * The connector to reach a conversation through: the serviceUrl its people's activities came
   * with (Teams routes by region), when it is still allowed; TEAMS_SERVICE_URL for conversations
   * nobody wrote from (Teams "Send proactive messages": the global address is for those never seen).
   */
  async apiFor(conversationId: string, known?: string): Promise<App['api']> {
    let stored = known;
    if (stored === undefined) {
      const cached = this.serviceUrls.get(conversationId);
      if (cached && Date.now() - cached.at < SERVICE_URL_TTL_MS) stored = cached.url;
      else {
        stored = (await this.options.refs.get(conversationRefKey(conversationId)))?.serviceUrl;
        if (this.serviceUrls.size >= 10_000) this.serviceUrls.clear();
        this.serviceUrls.set(conversationId, { url: stored, at: Date.now() });
      }
    }
    const base = this.options.app.api;
    if (!stored || !isAllowedServiceUrl(stored, this.options.serviceUrlAllow)) return base;
    const url = stored.replace(/\/+$/, '');
    if (url === base.serviceUrl.replace(/\/+$/, '')) return base;
    let client = this.clients.get(url);
    if (!client) {
      if (this.clients.size >= MAX_API_CLIENTS) this.clients.clear();
      // The app's own HTTP client: the same bot token, only the address differs.
      client = new ApiClient(url, base.http);
      this.clients.set(url, client);
    }
    return client as App['api'];
  }

  /** Learns where a conversation's activities come from (the adapter calls it for each new conversation). */
  rememberServiceUrl(conversationId: string, serviceUrl: string): void {
    this.serviceUrls.set(conversationId, { url: serviceUrl, at: Date.now() });
  }

  private async conversationFor(destination: Destination): Promise<{ id: string; serviceUrl?: string }> {
    const { refs, app } = this.options;
    if (destination.kind === 'feed') {
      const feed = this.options.auditConversation ?? (await this.options.chosenFeedConversation());
      if (!feed) throw new DeliveryError('no Teams audit conversation: set TEAMS_AUDIT_CONVERSATION or run audit-here in a team channel', { skip: true });
      return { id: feed };
    }
    if (destination.kind === 'channel') return { id: destination.ref.replace(/^teams:/, '') };
    const known = await refs.get(userRefKey(destination.identity));
    if (known) return { id: known.conversationId, serviceUrl: known.serviceUrl };
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
    return { id: created.id, serviceUrl: this.options.serviceUrl };
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
      const conversation = options.threadOf ? { id: options.threadOf.channel } : await this.conversationFor(destination);
      const conversationId = conversation.id;
      const target = options.threadOf ? replyConversation(options.threadOf) : conversationId;
      const api = await this.apiFor(conversationId, conversation.serviceUrl);
      const sent = await api.conversations.activities(target).create(await this.activity(card, conversationId));
      return { platform: 'teams', channel: conversationId, messageId: sent.id };
    } catch (error) {
      throw toDeliveryError(error);
    }
  }

  async update(ref: MessageRef, card: Card): Promise<void> {
    try {
      const api = await this.apiFor(ref.channel);
      await api.conversations.activities(ref.channel).update(ref.messageId, await this.activity(card, ref.channel));
    } catch (error) {
      throw toDeliveryError(error);
    }
  }
}
