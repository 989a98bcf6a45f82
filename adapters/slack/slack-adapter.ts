import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, type AnyMiddlewareArgs, type BlockAction, type ButtonAction, type ViewSubmitAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Elevate } from '../../src/core/elevate.js';
import { InvalidInputError, isElevateError, NotAllowedError } from '../../src/core/errors.js';
import type { Actor, ReplayGuard } from '../../src/core/ports.js';
import { parseChatCommand } from '../chat/command-grammar.js';
import { runChatCommand, type ChatRefs } from '../chat/run-command.js';
import { boltLogger } from './bolt-logger.js';
import { HOME_REQUEST_ACTION, homeView } from './home.js';
import {
  BREAK_GLASS_MODE, breakGlassConfirmModal, CALLBACKS, commentModal, extendModal, FIELDS, flagModal, noticeModal, requestModal, TARGET_ACTION, targetOptionGroups, type BreakGlassAsk,
} from './modals.js';
import type { ModalView } from '@slack/types';

/** A modal submission's answer that replaces the modal with another view (the break-glass warning). */
class NextView {
  constructor(readonly view: ModalView) {}
}
import { errorText, renderReply } from './replies.js';
import { SlackChatPort } from './slack-chat-port.js';
import { SlackPeople } from './slack-people.js';
import { PrivateReplies } from './private-replies.js';
import { checkSlackRequest, isSslCheck, learnInstallation, MAX_SLACK_BODY_BYTES, originOf, parseSlackBody } from './slack-installation.js';
import type { SlackOrigin } from '../../src/core/installations.js';

export interface SlackAdapterOptions {
  elevate: Elevate;
  logger: Logger;
  botToken: string;
  signingSecret: string;
  /** Socket Mode (development behind a firewall) instead of HTTP. */
  appToken?: string;
  /** Web API base, e.g. for GovSlack or a test server; Slack's own when absent. */
  apiUrl?: string;
  auditChannel?: string;
  command: string;
  /** Answer Slack only after the listener finished: deterministic tests (production acks first). */
  processBeforeResponse?: boolean;
  /** Remembers the signatures of requests already handled (shared by every instance). */
  replayGuard: ReplayGuard;
}

export interface SlackAdapter {
  port: SlackChatPort;
  people: SlackPeople;
  /** The HTTP handler for POST /slack/events (undefined in Socket Mode). */
  handle: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  stop(): Promise<void>;
}

/** Slack's mentions in command text: `<@U123|name>` → `slack:U123`, `<#C123|name>` → `slack:C123`. */
export const slackRefs: ChatRefs = {
  principal: (token) => {
    const match = /^<?@?([UW][A-Z0-9]{2,})(\|[^>]*)?>?$/.exec(token.trim());
    return match ? `slack:${match[1]}` : token;
  },
  channel: (token) => {
    const match = /^<?#?([CG][A-Z0-9]{2,})(\|[^>]*)?>?$/.exec(token.trim());
    return match ? `slack:${match[1]}` : token;
  },
  group: (token) => {
    const match = /^<!subteam\^(S[A-Z0-9]{2,})(\|[^>]*)?>$/.exec(token.trim());
    return match ? `slack:${match[1]}` : token;
  },
};

/** Slack sends the &, < and > a person typed as HTML entities (mentions keep real brackets). */
export function unescapeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

// Unacked requests get Slack's retry; answer before Slack's 3 s limit with a clear error instead.
const UNHANDLED_REQUEST_TIMEOUT_MS = 2800;
const NOT_CONNECTED = 'This workspace is not connected to Elevate';

function readRawBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_SLACK_BODY_BYTES) resolve(undefined);
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Slack as a front end: the slash command, the buttons on cards, the modals, and the ChatPort and
 * Directory the rest of Elevate uses. Listeners only parse, call one use case and render.
 */
export async function createSlackAdapter(options: SlackAdapterOptions): Promise<SlackAdapter> {
  const { elevate, logger } = options;
  const receiver = options.appToken ? undefined : new HTTPReceiver({
    signingSecret: options.signingSecret,
    endpoints: '/slack/events',
    processBeforeResponse: options.processBeforeResponse ?? false,
    unhandledRequestTimeoutMillis: UNHANDLED_REQUEST_TIMEOUT_MS,
    logger: boltLogger(logger),
  });
  const app = new App({
    token: options.botToken,
    signingSecret: options.appToken ? undefined : options.signingSecret,
    receiver,
    socketMode: Boolean(options.appToken),
    appToken: options.appToken,
    logger: boltLogger(logger),
    deferInitialization: true,
    // No retries inside the client: deliveries are retried by the outbox, interactions must answer in 3 s.
    clientOptions: { slackApiUrl: options.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true },
  });
  await app.init(); // auth.test: a wrong token stops start-up here, with Slack's reason
  const client: WebClient = app.client;
  // The workspace (or Grid org) and app of the token: every request from anywhere else is refused.
  const installation = await learnInstallation(client);
  elevate.pinInstallation(installation);
  logger.info({ platform: 'slack', team: installation.teamId, enterprise: installation.enterpriseId, app: installation.appId, orgWide: installation.orgWide }, 'slack installation pinned');
  const people = new SlackPeople(client);
  const port = new SlackChatPort(client, people, options.auditChannel);
  const replies = new PrivateReplies(client, logger, options.apiUrl);

  /** The person behind a Slack user id, as the core judges them (strangers are refused there). */
  const actorFor = async (userId: string, origin: SlackOrigin): Promise<Actor> =>
    (await elevate.identify({ identity: `slack:${userId}`, origin, profile: await people.profileOf(userId) })).actor;

  // Requests from another workspace, org or app are answered "not connected" and audited before
  // any listener runs (shared channels bring people of other workspaces to the same buttons).
  app.use(async (args) => {
    const body = args.body as unknown as Record<string, unknown>;
    const origin = originOf(body);
    const user = typeof body.user_id === 'string' ? body.user_id : (body.user as { id?: string } | undefined)?.id ?? (body.event as { user?: string } | undefined)?.user;
    if (await elevate.admitOrigin(`slack:${user ?? 'unknown'}`, origin)) {
      await args.next();
      return;
    }
    const ack = (args as AnyMiddlewareArgs & { ack?: (response?: unknown) => Promise<void> }).ack;
    if (body.command !== undefined) {
      await ack?.({ response_type: 'ephemeral', text: NOT_CONNECTED });
    } else if (body.type === 'view_submission') {
      const blockIds = Object.keys((body.view as { state?: { values?: Record<string, unknown> } } | undefined)?.state?.values ?? {});
      await ack?.(blockIds[0] ? { response_action: 'errors', errors: { [blockIds[0]]: NOT_CONNECTED } } : undefined);
    } else if (body.type === 'block_suggestion') {
      await ack?.({ options: [] });
    } else {
      await ack?.();
      if (user && typeof body.response_url === 'string') await replies.tell(user, NOT_CONNECTED, { responseUrl: body.response_url });
    }
  });

  const tellPrivately = (body: BlockAction, text: string) =>
    replies.tell(body.user.id, text, { responseUrl: body.response_url, channel: body.channel?.id });
  // The form lists only what this person may request (policies open to them); with none, who to ask.
  const openRequestForm = async (triggerId: string, actor: Actor) => {
    const policies = await elevate.requestablePolicies(actor);
    if (policies.length === 0) throw new NotAllowedError(await elevate.whoToAsk());
    await client.views.open({ trigger_id: triggerId, view: requestModal(policies, undefined) });
  };

  app.command(options.command, async ({ command, ack }) => {
    try {
      const parsed = parseChatCommand(unescapeSlackText(command.text));
      if (parsed.name === 'audit-here') {
        await ack({ response_type: 'ephemeral', text: 'On Slack, the audit feed is the channel named by SLACK_AUDIT_CHANNEL in Elevate\'s configuration.' });
        return;
      }
      if (parsed.name === 'request' && parsed.words.length === 0) {
        // The trigger expires about 3 s after Slack sent it: identify and list, then open, nothing else first.
        await openRequestForm(command.trigger_id, await actorFor(command.user_id, originOf(command as unknown as Record<string, unknown>)));
        await ack();
        return;
      }
      const result = await runChatCommand(elevate, await actorFor(command.user_id, originOf(command as unknown as Record<string, unknown>)), parsed, slackRefs);
      await ack({ response_type: 'ephemeral', ...renderReply(result) });
    } catch (error) {
      await ack({ response_type: 'ephemeral', text: errorText(error, logger) });
    }
  });

  // The App Home: opening its Home tab publishes what waits for this person at once (app_home_opened,
  // tab "home"); from then on, every change shown on it publishes it again through the outbox.
  app.event('app_home_opened', async ({ event, body }) => {
    if (event.tab !== 'home') return;
    const home = await elevate.openHome(await actorFor(event.user, originOf(body as unknown as Record<string, unknown>)), `slack:${event.user}`);
    await client.views.publish({ user_id: event.user, view: homeView(home) })
      .catch((error: unknown) => logger.warn({ err: error }, 'home tab publish failed'));
  });
  app.action<BlockAction<ButtonAction>>(HOME_REQUEST_ACTION, async ({ ack, body }) => {
    await ack();
    try {
      await openRequestForm(body.trigger_id, await actorFor(body.user.id, originOf(body as unknown as Record<string, unknown>)));
    } catch (error) {
      await tellPrivately(body, errorText(error, logger));
    }
  });

  /**
   * A button on a card: ack at once, act, and tell only the clicker if it was refused. A click in
   * the Home tab changes what it shows, so the change publishes it again (through the outbox).
   */
  const onButton = (verb: string, act: (actor: Actor, value: string, body: BlockAction) => Promise<unknown>) => {
    app.action<BlockAction<ButtonAction>>(verb, async ({ ack, body, action }) => {
      await ack();
      try {
        await act(await actorFor(body.user.id, originOf(body as unknown as Record<string, unknown>)), action.value ?? '', body);
      } catch (error) {
        await tellPrivately(body, errorText(error, logger));
      }
    });
  };
  // A link button (Approve in browser, Open in browser) opens its page; Slack still sends the click: acknowledge it only.
  app.action('link.open', async ({ ack }) => { await ack(); });
  onButton('request.approve', (actor, id) => elevate.approve(actor, { requestId: id }));
  onButton('request.cancel', (actor, id) => elevate.cancelRequest(actor, id));
  onButton('grant.relinquish', (actor, id) => elevate.relinquishGrant(actor, { grantId: id }));
  // The break-glass card: Revoke and Acknowledge act at once (re-checked by the core); Flag asks for a comment first.
  onButton('grant.revoke', (actor, id) => elevate.revokeGrant(actor, { grantId: id }));
  onButton('breakGlass.acknowledge', (actor, id) => elevate.reviewBreakGlass(actor, { grantId: id, verdict: 'acknowledge' }));
  onButton('breakGlass.flag', (_actor, id, body) => client.views.open({ trigger_id: body.trigger_id, view: flagModal(id) }));
  // Access reviews: the card is edited for every reviewer through the outbox.
  onButton('review.keep', (actor, id) => elevate.decideReview(actor, id, 'keep'));
  onButton('review.remove', (actor, id) => elevate.decideReview(actor, id, 'remove'));
  onButton('review.keepAll', (actor, value) => elevate.keepAllReviewed(actor, value));
  // These ask for more first; the decision is taken (and re-checked) when the modal is submitted.
  onButton('request.deny', (_actor, id, body) => client.views.open({ trigger_id: body.trigger_id, view: commentModal('deny', id) }));
  onButton('request.approveWithComment', (_actor, id, body) => client.views.open({ trigger_id: body.trigger_id, view: commentModal('approveWithComment', id) }));
  onButton('grant.extend', async (actor, id, body) => {
    const grant = (await elevate.listGrants(actor, { mine: true, status: 'active' })).find((g) => g.id === id);
    const policy = grant ? (await elevate.listPolicies()).find((p) => p.id === grant.policyId) : undefined;
    await client.views.open({ trigger_id: body.trigger_id, view: extendModal(id, policy) });
  });

  // Choosing a target in the form prefills its duration and reason hint.
  app.action<BlockAction>(TARGET_ACTION, async ({ ack, body, action }) => {
    await ack();
    const value = 'selected_option' in action ? action.selected_option?.value : undefined;
    const policies = await elevate.requestablePolicies(await actorFor(body.user.id, originOf(body as unknown as Record<string, unknown>)));
    if (!body.view) return;
    await client.views.update({ view_id: body.view.id, hash: body.view.hash, view: requestModal(policies, policies.find((p) => p.id === value)) })
      .catch((error: unknown) => logger.warn({ err: error }, 'request form update failed'));
  });
  app.options(TARGET_ACTION, async ({ ack, options: query, body }) => {
    const actor = await actorFor(body.user.id, originOf(body as unknown as Record<string, unknown>));
    await ack({ option_groups: targetOptionGroups(await elevate.requestablePolicies(actor), query.value) });
  });

  /** A modal's submission: field errors go back onto the form; success closes it, or shows the next view when `act` answers one. */
  const onSubmit = (callbackId: string, act: (actor: Actor, values: Record<string, string | null>, metadata: string) => Promise<unknown>) => {
    app.view<ViewSubmitAction>(callbackId, async ({ ack, body, view }) => {
      const values: Record<string, string | null> = {};
      for (const [blockId, block] of Object.entries(view.state.values)) {
        const element = Object.values(block)[0];
        const dateTime = element?.selected_date_time;
        values[blockId] = element?.selected_option?.value ?? element?.value ?? (typeof dateTime === 'number' ? String(dateTime) : null);
      }
      try {
        const answer = await act(await actorFor(body.user.id, originOf(body as unknown as Record<string, unknown>)), values, view.private_metadata);
        await ack(answer instanceof NextView ? { response_action: 'update', view: answer.view } : undefined);
      } catch (error) {
        const field = isElevateError(error) ? String(error.details.field ?? '') : '';
        const blockId = Object.keys(values).includes(field) ? field : Object.keys(values)[0];
        // A view without fields (the break-glass warning) has nowhere to show an error: it becomes the error.
        if (blockId === undefined) await ack({ response_action: 'update', view: noticeModal('Not done', errorText(error, logger)) });
        else await ack({ response_action: 'errors', errors: { [blockId]: errorText(error, logger) } });
      }
    });
  };
  onSubmit(CALLBACKS.request, async (actor, v) => {
    const policy = (await elevate.listPolicies()).find((p) => p.id === v[FIELDS.target]);
    if (!policy) throw new InvalidInputError('choose what you need from the list', { field: FIELDS.target });
    if (v[FIELDS.mode] === BREAK_GLASS_MODE) {
      if (v[FIELDS.start]) throw new InvalidInputError('break-glass is access now: leave the start empty', { field: FIELDS.start });
      // The first click only shows who will be alerted (refusals land on the form); the warning's button breaks the glass.
      const preview = await elevate.previewBreakGlass(actor, policy.target.name);
      const ask = { target: policy.target.name, duration: v[FIELDS.duration] ?? null, reason: v[FIELDS.reason] ?? null, ticket: v[FIELDS.ticket] ?? null };
      return new NextView(breakGlassConfirmModal(ask, preview));
    }
    return elevate.requestAccess(actor, { target: policy.target.name, duration: v[FIELDS.duration], reason: v[FIELDS.reason], ticket: v[FIELDS.ticket], start: v[FIELDS.start] });
  });
  onSubmit(CALLBACKS.breakGlass, (actor, _v, metadata) => {
    let ask: BreakGlassAsk;
    try {
      ask = JSON.parse(metadata) as BreakGlassAsk;
    } catch {
      throw new InvalidInputError('this break-glass warning cannot be read: open the request form again');
    }
    return elevate.breakGlass(actor, { target: ask.target, duration: ask.duration, reason: ask.reason, ticket: ask.ticket, confirmed: true });
  });
  onSubmit(CALLBACKS.flag, (actor, v, id) => elevate.reviewBreakGlass(actor, { grantId: id, verdict: 'flag', comment: v[FIELDS.comment] }));
  onSubmit(CALLBACKS.deny, (actor, v, id) => elevate.deny(actor, { requestId: id, comment: v[FIELDS.comment] }));
  onSubmit(CALLBACKS.approveWithComment, (actor, v, id) => elevate.approve(actor, { requestId: id, comment: v[FIELDS.comment] }));
  onSubmit(CALLBACKS.extend, (actor, v, id) => elevate.extendGrant(actor, { grantId: id, duration: v[FIELDS.duration] ?? '', reason: v[FIELDS.reason] }));

  if (options.appToken) await app.start();
  return {
    port,
    people,
    handle: receiver ? async (req, res) => {
      const rawBody = await readRawBody(req);
      if (!rawBody) {
        res.writeHead(413).end();
        return;
      }
      if (!isSslCheck(req, rawBody)) {
        const verdict = await checkSlackRequest(req, rawBody, options.signingSecret, options.replayGuard, Date.now());
        if (!verdict.ok) {
          if (verdict.reason !== 'signature') {
            // Signed by Slack, so worth a record: a replay or a request dated outside the window.
            const team = originOf(parseSlackBody(rawBody)).teamId ?? 'unknown';
            await elevate.reportRefusal({ identity: null, origin: 'slack', source: `slack:${team}` },
              { action: 'slack.requestRefused', subject: `slack:${team}`, details: { reason: verdict.reason } }).catch((error: unknown) => logger.warn({ err: error }, 'could not audit a refused Slack request'));
          }
          logger.warn({ reason: verdict.reason }, 'refused a Slack request');
          res.writeHead(verdict.status).end();
          return;
        }
      }
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = rawBody;
      receiver.requestListener(req, res);
    } : undefined,
    stop: async () => {
      if (options.appToken) await app.stop();
    },
  };
}
