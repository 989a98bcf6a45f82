import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { escapeMrkdwn } from './mrkdwn.js';

// A response_url answers within about 3 s when Slack is healthy; the user is waiting.
const RESPONSE_URL_TIMEOUT_MS = 3000;
const SLACK_HOOKS = 'https://hooks.slack.com/';

/**
 * Tells one person something only they see, after they clicked or submitted something: first the
 * interaction's `response_url` (ephemeral by default; works in any conversation, even one the bot
 * is not in), then `chat.postEphemeral` in the conversation, then a direct message.
 * https://docs.slack.dev/interactivity/handling-user-interaction#message_responses
 *
 * A `response_url` comes inside the (signed) payload; it is only followed to Slack's own host, or
 * to the Web API's host when SLACK_API_URL points elsewhere (GovSlack, tests).
 */
export class PrivateReplies {
  private readonly allowedPrefixes: string[];

  constructor(private readonly client: WebClient, private readonly logger: Logger, apiUrl?: string) {
    this.allowedPrefixes = [SLACK_HOOKS, ...(apiUrl ? [new URL(apiUrl).origin + '/'] : [])];
  }

  /** `plainText` is shown as written (mrkdwn-escaped here). */
  async tell(user: string, plainText: string, where: { responseUrl?: string; channel?: string }): Promise<void> {
    const text = escapeMrkdwn(plainText);
    if (where.responseUrl && this.allowedPrefixes.some((prefix) => where.responseUrl!.startsWith(prefix))) {
      try {
        const response = await fetch(where.responseUrl, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
          signal: AbortSignal.timeout(RESPONSE_URL_TIMEOUT_MS),
        });
        if (response.ok) return;
        this.logger.warn({ status: response.status }, 'response_url refused the reply; trying an ephemeral message');
      } catch (error) {
        this.logger.warn({ err: error }, 'response_url failed; trying an ephemeral message');
      }
    }
    if (where.channel) {
      try {
        await this.client.chat.postEphemeral({ channel: where.channel, user, text });
        return;
      } catch (error) {
        this.logger.warn({ err: error }, 'ephemeral reply failed; sending a direct message');
      }
    }
    try {
      const opened = await this.client.conversations.open({ users: user });
      if (opened.channel?.id) await this.client.chat.postMessage({ channel: opened.channel.id, text });
    } catch (error) {
      this.logger.error({ err: error, user }, 'could not tell the user privately');
    }
  }
}
