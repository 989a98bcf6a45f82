import type { Card } from '../../src/core/cards.js';
import type { ChatPort, Destination, MessageRef } from '../../src/core/ports.js';
import { DeliveryError } from '../../src/delivery/delivery-error.js';

export interface Sent {
  op: 'post' | 'update';
  destination: string;
  messageId: string;
  card: Card;
  threadOf?: string;
}

/**
 * A ChatPort that records every post and edit and can fail on demand: the next N calls fail
 * with a rate limit (with Retry-After), a server error, or a permanent refusal (as a platform's
 * `not_in_channel` or a Teams 403).
 */
export class RecordingChat implements ChatPort {
  readonly sent: Sent[] = [];
  private failures: Array<DeliveryError | Error> = [];
  private counter = 0;
  /** Latest content of each message, like the platform would show it. */
  readonly messages = new Map<string, { destination: string; card: Card }>();

  constructor(readonly platform = 'slack') {}

  failNext(count: number, kind: 'rate-limit' | 'server-error' | 'permanent', retryAfterMs = 1000): void {
    for (let i = 0; i < count; i++) {
      this.failures.push(kind === 'rate-limit' ? new DeliveryError('ratelimited', { retryAfterMs, status: 429 })
        : kind === 'permanent' ? new DeliveryError('refused: not_in_channel', { permanent: true })
        : new Error('upstream 503'));
    }
  }

  private maybeFail(): void {
    const failure = this.failures.shift();
    if (failure) throw failure;
  }

  async post(destination: Destination, card: Card, options: { threadOf?: MessageRef }): Promise<MessageRef> {
    this.maybeFail();
    const channel = destination.kind === 'user' ? destination.identity : 'feed';
    const messageId = `m${++this.counter}`;
    this.sent.push({ op: 'post', destination: channel, messageId, card, threadOf: options.threadOf?.messageId });
    this.messages.set(messageId, { destination: channel, card });
    return { platform: this.platform, channel, messageId };
  }

  async update(ref: MessageRef, card: Card): Promise<void> {
    this.maybeFail();
    const message = this.messages.get(ref.messageId);
    if (!message) throw new DeliveryError(`unknown message ${ref.messageId}`, { permanent: true });
    this.sent.push({ op: 'update', destination: ref.channel, messageId: ref.messageId, card });
    message.card = card;
  }

  postsTo(destination: string): Sent[] {
    return this.sent.filter((s) => s.op === 'post' && s.destination === destination);
  }
}
