import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, type HttpRouteHandler, type IHttpServerAdapter } from '@microsoft/teams.apps';
import type { Logger } from 'pino';
import type { Elevate } from '../../src/core/elevate.js';
import { InvalidInputError, isElevateError, NotAllowedError } from '../../src/core/errors.js';
import type { Actor } from '../../src/core/ports.js';
import { card, type Card } from '../../src/core/cards.js';
import { formatDuration } from '../../src/core/duration.js';
import type { ConversationRefs } from '../../src/store/conversation-refs.js';
import type { OutboxStore } from '../../src/store/outbox.js';
import { parseChatCommand } from '../chat/command-grammar.js';
import { runChatCommand, type ChatRefs } from '../chat/run-command.js';
import {
  BREAK_GLASS_MODE, cardAttachment, cardInvokeResponse, cardToAdaptiveCard, FORM_VERB, readActionSubmission, readRequestForm, requestFormCard, textCard, type AdaptiveCardJson,
} from './adaptive-cards.js';
import { formStart } from './card-submissions.js';
import { breakGlassAction, breakGlassWarning, BREAK_GLASS_VERBS } from './break-glass-actions.js';
import { breakGlassCardKeys } from '../../src/core/break-glass.js';
import { conversationRefKey, isAllowedServiceUrl, isSharedConversation, REFRESH_VERB, TeamsChatPort, toDeliveryError, userRefKey } from './teams-chat-port.js';
import { TeamsDirectory } from './teams-directory.js';
import { teamsLogger } from './teams-logger.js';
import { homeCard } from '../../src/core/use-cases/home.js';

/** The verb of the home card's refresh (Action.Execute): answered with the person's home as it stands now. */
const HOME_VERB = 'home.refresh';
import { PUBLIC, withOverrides } from '@microsoft/teams.api';
import type { TeamsOrigin } from '../../src/core/installations.js';
import type { PlatformProfile } from '../../src/core/use-cases/identify-principal.js';

export interface TeamsAdapterOptions {
  elevate: Elevate;
  logger: Logger;
  outbox: OutboxStore;
  refs: ConversationRefs;
  appId: string;
  appPassword?: string;
  /** The Entra tenants served (lower-case GUIDs): activities from any other tenant are refused. */
  tenantIds: string[];
  /** Bot Connector addresses replies may go to (an activity's serviceUrl elsewhere is refused). */
  serviceUrlAllow: string[];
  /** Bot Connector base for proactive messages (Teams' public one unless testing). */
  serviceUrl: string;
  auditConversation?: string;
  /** Development only: accept activities without a Bot Framework token. */
  allowUnauthenticated: boolean;
  /** Tests: a token source instead of Entra client credentials (used in place of the client secret). */
  token?: () => string;
  /** Tests: Microsoft Graph's scope (its host is where Graph calls go), e.g. a fake's `http://127.0.0.1:P/.default`. */
  graphScope?: string;
  /**
   * Tests: Bot Framework's OpenID metadata URL; inbound tokens must be signed by a key of its
   * `…/keys` (the SDK's validation), e.g. a local `http://127.0.0.1:P/v1/.well-known/openidconfiguration`.
   * Production: Microsoft's. The checks themselves (signature, issuer, audience, expiry) are the SDK's either way.
   */
  openIdMetadataUrl?: string;
}

export interface TeamsAdapter {
  port: TeamsChatPort;
  directory: TeamsDirectory;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

// Bot Framework activities are small; a larger body is not a Teams activity.
const MAX_BODY_BYTES = 1024 * 1024;

/** Teams mentions arrive as `<at>Name</at>`; principals are written teams:<aad object id>. */
const teamsRefs: ChatRefs = { principal: (t) => t, channel: (t) => t, group: (t) => t };

/** The Teams SDK's HTTP server, plugged into Elevate's own: it hands us the handler it registers. */
class RouteCollector implements IHttpServerAdapter {
  handler: HttpRouteHandler | undefined;
  registerRoute(_method: 'POST', _path: string, handler: HttpRouteHandler): void {
    this.handler = handler;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new InvalidInputError('activity too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function errorText(error: unknown, logger: Logger): string {
  if (isElevateError(error)) return error.message.charAt(0).toUpperCase() + error.message.slice(1);
  logger.error({ err: error }, 'Teams interaction failed');
  return 'Something went wrong on our side; it was logged. Please try again.';
}

type Activity = {
  text?: string; from: { id: string; aadObjectId?: string; name?: string }; serviceUrl?: string;
  conversation: { id: string; conversationType?: string; tenantId?: string }; value?: { action?: { verb?: string; data?: Record<string, unknown> } };
  channelData?: { tenant?: { id?: string } };
};

// Member profiles change rarely; a roster call per click would be throttled (Teams: per-bot limits).
const PROFILE_TTL_MS = 10 * 60_000;
// Teams gives up on the bot's answer to an activity after about 15 s; a throttled reply is sent
// again within this, then through the outbox.
const REPLY_DEADLINE_MS = 10_000;
// A failure without Retry-After (412, 502, 504) is tried again after this.
const REPLY_RETRY_MS = 1000;

type Send = (activity: { type: 'message'; attachments: ReturnType<typeof cardAttachment>[] }) => Promise<unknown>;
type Identified = { actor: Actor; identity: string };

/** A text answer as a neutral card, for the outbox: its first line as the title, the rest below. */
function replyCard(text: string, monospace?: string): Card {
  const [first = '', ...rest] = text.split('\n');
  const more = [rest.join('\n').trim(), monospace ?? ''].filter(Boolean).join('\n\n');
  return card({ title: first.trim() || 'Elevate', summary: first.trim(), status: more ? { tone: 'info', text: more } : null });
}

/**
 * The Microsoft Bot Connector addresses of Teams, public and government clouds (Microsoft 365
 * Agents SDK, TeamsServiceEndpoints). An activity's serviceUrl is where the bot's replies (and
 * its token) go, so any other address is refused; TEAMS_SERVICE_URL_ALLOW adds sovereign clouds.
 */
export const BOT_CONNECTOR_URLS = [
  'https://smba.trafficmanager.net/',
  'https://smba.infra.gcc.teams.microsoft.com/',
  'https://smba.infra.gov.teams.microsoft.us/',
  'https://smba.infra.dod.teams.microsoft.us/',
];

function allowedServiceUrl(serviceUrl: string | undefined, allow: string[]): boolean {
  if (serviceUrl === undefined) return true; // replies then go to the configured TEAMS_SERVICE_URL
  return isAllowedServiceUrl(serviceUrl, allow);
}

/** The tenant(s) an activity names: `channelData.tenant.id` and `conversation.tenantId`; both must be pinned. */
function tenantOrigin(activity: Partial<Activity>): TeamsOrigin {
  return { platform: 'teams', tenantIds: [activity.channelData?.tenant?.id, activity.conversation?.tenantId] };
}

/**
 * Microsoft Teams as a front end, with the Teams SDK: the same command grammar as Slack in
 * personal chats and channel mentions, Adaptive Cards with Action.Execute for decisions, and the
 * Teams ChatPort for proactive cards and updates. Handlers only parse, call one use case, render.
 */
export async function createTeamsAdapter(options: TeamsAdapterOptions): Promise<TeamsAdapter> {
  const { elevate, logger, refs } = options;
  const collector = new RouteCollector();
  const app = new App({
    clientId: options.appId,
    clientSecret: options.token ? undefined : options.appPassword,
    // One tenant: a single-tenant bot registration gets its tokens from that tenant; several: a multi-tenant one.
    tenantId: options.tenantIds.length === 1 ? options.tenantIds[0] : undefined,
    httpServerAdapter: collector,
    dangerouslyAllowUnauthenticatedRequests: options.allowUnauthenticated,
    serviceUrl: options.serviceUrl,
    logger: teamsLogger(logger),
    ...(options.token ? { token: options.token } : {}),
    ...(options.graphScope || options.openIdMetadataUrl
      ? { cloud: withOverrides(PUBLIC, { graphScope: options.graphScope, openIdMetadataUrl: options.openIdMetadataUrl }) } : {}),
  });
  await app.initialize();
  elevate.pinInstallation({ platform: 'teams', tenantIds: options.tenantIds });
  const serviceUrlAllow = [...BOT_CONNECTOR_URLS, options.serviceUrl, ...options.serviceUrlAllow];
  const port = new TeamsChatPort({
    app, refs, botId: options.appId, tenantId: options.tenantIds[0], serviceUrl: options.serviceUrl, serviceUrlAllow, auditConversation: options.auditConversation,
    chosenFeedConversation: () => elevate.feedConversation('teams'),
    deciderUserIds: async (requestId) => {
      const identities = (await elevate.deciderIdentities(requestId)).filter((i) => i.startsWith('teams:'));
      return (await refs.getMany(identities.map(userRefKey))).map((r) => r.platformUserId).filter((id): id is string => id !== null);
    },
  });

  // A person as the conversation's roster describes them (Bot Connector "Get conversation member"):
  // a member of the tenant, their role (guests are refused) and their Entra mail, which links one
  // person's Teams and Slack identities. Not a member (404): unknown. Teams unreachable: null.
  const profiles = new Map<string, { profile: Promise<PlatformProfile | null>; at: number }>();
  const profileOf = (activity: Activity): Promise<PlatformProfile | null> => {
    const key = activity.from.aadObjectId!;
    const hit = profiles.get(key);
    if (hit && Date.now() - hit.at < PROFILE_TTL_MS) return hit.profile;
    // Through the connector the activity came from (allowed at the door): its region knows the roster.
    const profile = port.apiFor(activity.conversation.id, activity.serviceUrl).then((api) => api.conversations.members(activity.conversation.id).getById(activity.from.id)).then(
      (member): PlatformProfile => ({
        displayName: member.name ?? activity.from.name ?? null,
        // The mail attribute only: a UPN is a sign-in name, not proof of a mailbox.
        verifiedEmail: member.email ?? null,
        standing: member.userRole === 'guest' || member.userRole === 'anonymous' ? 'guest' : 'active',
        ...(member.tenantId ? { home: { tenantIds: [member.tenantId] } } : {}),
      }),
      (error: unknown): PlatformProfile | null => {
        const status = (error as { response?: { status?: number } }).response?.status;
        return status === 404 || status === 403 ? { displayName: null, verifiedEmail: null, standing: 'unknown' } : null;
      },
    );
    profiles.set(key, { profile, at: Date.now() });
    void profile.then((found) => { if (found === null) profiles.delete(key); });
    return profile;
  };

  // Each person's 1:1 conversation is stored once per process, not on every message and click.
  const savedRefs = new Set<string>();
  const identify = async (activity: Activity): Promise<{ actor: Actor; identity: string }> => {
    const aad = activity.from.aadObjectId;
    if (!aad) throw new NotAllowedError('Elevate needs a Microsoft Entra user; guests without an account cannot request access');
    const { actor } = await elevate.identify({ identity: `teams:${aad}`, origin: tenantOrigin(activity), profile: await profileOf(activity) });
    const identity = `teams:${aad.toLowerCase()}`;
    const seen = `${identity} ${activity.conversation.id} ${activity.serviceUrl ?? ''}`;
    // Where this conversation's activities come from: later sends to it go there (Teams routes by region).
    const from = `${activity.conversation.id} ${activity.serviceUrl ?? ''}`;
    if (activity.serviceUrl && !savedRefs.has(from)) {
      savedRefs.add(from);
      await refs.save({
        key: conversationRefKey(activity.conversation.id), platform: 'teams', conversationId: activity.conversation.id,
        serviceUrl: activity.serviceUrl, tenantId: tenantOrigin(activity).tenantIds.find(Boolean) ?? null, platformUserId: null,
      });
      port.rememberServiceUrl(activity.conversation.id, activity.serviceUrl);
    }
    if ((activity.conversation.conversationType === 'personal' || !activity.conversation.conversationType) && !savedRefs.has(seen)) {
      savedRefs.add(seen);
      await refs.save({
        key: userRefKey(identity), platform: 'teams', conversationId: activity.conversation.id,
        serviceUrl: activity.serviceUrl ?? options.serviceUrl, tenantId: tenantOrigin(activity).tenantIds.find(Boolean) ?? null, platformUserId: activity.from.id,
      });
    }
    return { actor, identity };
  };

  // The form lists only what this person may request; with none, it says who to ask.
  const formCard = async (actor: Actor, errors?: Record<string, string>, values?: Record<string, string>) => {
    const policies = await elevate.requestablePolicies(actor);
    if (policies.length === 0) return textCard(await elevate.whoToAsk());
    return requestFormCard(policies.map((p) => ({
      id: p.id, name: p.target.name, type: p.target.type, defaultDuration: formatDuration(p.defaultDurationSeconds),
      maxDuration: p.maxDurationSeconds ? formatDuration(p.maxDurationSeconds) : null, reasonHint: p.reasonHint, breakGlass: p.breakGlassGroupId !== null,
    })), errors, values);
  };

  /**
   * A direct answer to a message. Throttled (429) or failing for a while (412, 5xx), it is sent
   * again after Teams' Retry-After while the activity's deadline allows; past it, a person Elevate
   * knows gets it through the outbox instead (as neutral cards, in their chat or the conversation
   * they wrote in), so an answer is never lost nor replaced by an error.
   */
  const answerMessage = async (send: Send, incoming: Activity, who: Identified | undefined, attachments: AdaptiveCardJson[], later: () => Card[]) => {
    const deadline = Date.now() + REPLY_DEADLINE_MS;
    for (;;) {
      try {
        await send({ type: 'message', attachments: attachments.map(cardAttachment) });
        return;
      } catch (error) {
        const failure = toDeliveryError(error);
        if (failure.options.permanent) throw error;
        const wait = failure.options.retryAfterMs ?? REPLY_RETRY_MS;
        if (Date.now() + wait <= deadline) {
          await new Promise((resolve) => setTimeout(resolve, wait));
          continue;
        }
        if (!who) throw error;
        const personal = incoming.conversation.conversationType === 'personal' || !incoming.conversation.conversationType;
        await elevate.deliverReplyLater(who.actor, {
          platform: 'teams', cards: later(), waitSeconds: Math.ceil(wait / 1000),
          destination: personal ? { kind: 'user', identity: who.identity } : { kind: 'channel', ref: `teams:${incoming.conversation.id}` },
        });
        logger.warn({ platform: 'teams', status: failure.options.status, retryInMs: wait }, 'Teams did not take a reply in time; it goes out through the outbox');
        return;
      }
    }
  };

  app.on('message', async ({ activity, send }) => {
    const incoming = activity as unknown as Activity;
    let who: Identified | undefined;
    const answerText = (text: string) => answerMessage(send, incoming, who, [textCard(text)], () => [replyCard(text)]);
    try {
      const text = (incoming.text ?? '').replace(/<at>[^<]*<\/at>/g, '').trim();
      const parsed = parseChatCommand(text);
      who = await identify(incoming);
      const { actor } = who;
      if (parsed.name === 'link' && isSharedConversation(incoming.conversation.id)) {
        // A code shown in a channel could be typed by anyone who sees it.
        await answerText('Link codes are private: send "link" to Elevate in a personal chat.');
        return;
      }
      if (parsed.name === 'audit-here') {
        // A configuration change: admins only, audited, and approved by another admin when protected.
        const outcome = await elevate.changeConfiguration(actor, { kind: 'feed.set', platform: 'teams', conversation: incoming.conversation.id });
        const text = outcome.status === 'applied' ? 'This conversation is now the audit feed.'
          : `Protected configuration: request ${outcome.request.id} is waiting for another admin to approve moving the audit feed here.`;
        await answerText(text);
        return;
      }
      const reply = await runChatCommand(elevate, actor, parsed, teamsRefs);
      if (reply.openRequestForm) {
        await answerMessage(send, incoming, who, [await formCard(actor)], () => [replyCard('Send "request <target> <duration> <reason>", or "request" again to get the form.')]);
        return;
      }
      // The home card asks Teams for its latest state whenever this person opens it (Action.Execute refresh).
      const homeRefresh = { verb: HOME_VERB, data: { value: 'home' }, userIds: [incoming.from.id] };
      const cards = [textCard(reply.text, reply.monospace), ...reply.cards.map((c, i) => cardToAdaptiveCard(c, parsed.name === 'home' && i === 0 ? { refresh: homeRefresh } : {}))];
      await answerMessage(send, incoming, who, cards, () => [replyCard(reply.text, reply.monospace), ...reply.cards]);
    } catch (error) {
      // As a card: message text is markdown in Teams, and error messages quote what the user typed.
      await answerText(errorText(error, logger)).catch((failure: unknown) => logger.error({ err: failure }, 'could not answer a Teams message'));
    }
  });

  const cardAnswer = cardInvokeResponse;
  /** The stored card `key` as it stands now (with `note` under its status), or null when there is none. */
  const latestCard = async (key: string, note?: string) => {
    const stored = await options.outbox.getCard(key);
    return stored ? cardAnswer(cardToAdaptiveCard(stored.card, { note })) : null;
  };
  /** The card a request verb was clicked on: the requester's for Cancel, the approvers' otherwise (ids in their stored case). */
  const requestCardKey = (verb: string, id: string) => `request:${id.trim().toUpperCase()}:${verb === 'request.cancel' ? 'requester' : 'approver'}`;
  /** requestCardKey, when the clicker may see the request (a refusal never shows someone else's card). */
  const visibleRequestCardKey = async (activity: Activity, verb: string, requestId: string) => {
    try {
      const { actor } = await identify(activity);
      await elevate.getRequest(actor, requestId);
      return requestCardKey(verb, requestId);
    } catch {
      return null;
    }
  };
  /** The requester card of the request behind a grant, when the clicker may see the grant. */
  const grantCardKey = async (activity: Activity, grantId: string) => {
    try {
      const { actor } = await identify(activity);
      return `request:${(await elevate.getGrant(actor, grantId)).requestId}:requester`;
    } catch {
      return null;
    }
  };

  app.on('card.action', async ({ activity }) => {
    const incoming = activity as unknown as Activity;
    const verb = incoming.value?.action?.verb ?? '';
    const data = incoming.value?.action?.data ?? {};
    // Buttons send { value }; in-card panels (deny, approve with comment, extend) add their inputs.
    const submitted = readActionSubmission(data) ?? { value: '', comment: null, duration: null, reason: null };
    const answer = (text: string) => ({ statusCode: 200 as const, type: 'application/vnd.microsoft.activity.message' as const, value: text });
    try {
      const { actor } = await identify(incoming);
      const id = submitted.value;
      switch (verb) {
        case 'request.approve': case 'request.approveWithComment': await elevate.approve(actor, { requestId: id, comment: submitted.comment }); break;
        case 'request.deny': await elevate.deny(actor, { requestId: id, comment: submitted.comment }); break;
        case 'request.cancel': await elevate.cancelRequest(actor, id); break;
        case 'grant.relinquish': {
          const grant = await elevate.relinquishGrant(actor, { grantId: id });
          // The clicked card (the request's, a grant notice or a listing) becomes the request's card as it stands now.
          return (await latestCard(`request:${grant.requestId}:requester`)) ?? answer('Done: your access has ended.');
        }
        case HOME_VERB: {
          const home = await elevate.home(actor);
          return cardAnswer(cardToAdaptiveCard(homeCard(home), { refresh: { verb: HOME_VERB, data: { value: 'home' }, userIds: [incoming.from.id] } }));
        }
        case 'review.keep': case 'review.remove': case 'review.keepAll': {
          // The card clicked, as it stands now; the other reviewers' copies follow via the outbox.
          const { cardKey } = verb === 'review.keepAll' ? await elevate.keepAllReviewed(actor, id) : await elevate.decideReview(actor, id, verb === 'review.keep' ? 'keep' : 'remove');
          return (await latestCard(cardKey)) ?? answer('Done.');
        }
        case REFRESH_VERB: {
          // A user-specific view: buttons only for someone who may decide the request now.
          await elevate.getRequest(actor, id); // only someone who may see the request gets its card
          const stored = await options.outbox.getCard(`request:${id.toUpperCase()}:approver`);
          if (!stored) return answer('This request no longer exists.');
          const decidable = (await elevate.listRequests(actor, { decidable: true })).some((r) => r.id === id.toUpperCase());
          return cardAnswer(cardToAdaptiveCard(stored.card, { actions: decidable }));
        }
        case 'grant.extend': {
          const outcome = await elevate.extendGrant(actor, { grantId: id, duration: submitted.duration ?? '', reason: submitted.reason });
          // The extension's own card (what it asks for, its state, Cancel while pending) replaces the clicked one.
          const note = outcome.existing ? `You already asked to extend it: request ${outcome.request.id}.` : undefined;
          return (await latestCard(`request:${outcome.request.id}:requester`, note))
            ?? answer(outcome.grant ? `Extended: ${outcome.request.id}.` : `Extension request ${outcome.request.id} sent to the approvers.`);
        }
        case FORM_VERB: {
          const form = readRequestForm(data);
          const policy = (await elevate.listPolicies()).find((p) => p.id === form.target);
          try {
            if (!policy) throw new InvalidInputError('choose what you need from the list', { field: 'target' });
            if (form.mode === BREAK_GLASS_MODE) {
              if (form.startDate) throw new InvalidInputError('break-glass is access now: leave the start empty', { field: 'start' });
              return await breakGlassWarning(elevate, actor, { target: policy.target.name, duration: form.duration, reason: form.reason, ticket: form.ticket });
            }
            const raw = incoming as unknown as { localTimezone?: unknown; localTimestamp?: unknown };
            const start = formStart(form.startDate, form.startTime, { zone: raw.localTimezone, localTimestamp: raw.localTimestamp });
            const outcome = await elevate.requestAccess(actor, { target: policy.target.name, duration: form.duration, reason: form.reason, ticket: form.ticket, start });
            const r = outcome.request;
            const text = outcome.grant?.status === 'scheduled' ? `Approved automatically: you will have ${r.target.name} from ${outcome.grant.startsAt} until ${outcome.grant.endsAt}.`
              : outcome.grant ? `Approved automatically: you have ${r.target.name} until ${outcome.grant.endsAt}.`
              : outcome.existing ? `You already have request ${r.id} pending for ${r.target.name}.`
              : `Request ${r.id} for ${r.target.name} was sent to its approvers.`;
            return cardAnswer(textCard(text));
          } catch (error) {
            if (!isElevateError(error)) throw error;
            const field = String(error.details.field ?? 'target');
            const shownAt = field === 'start' ? 'startDate' : ['target', 'duration', 'reason', 'ticket'].includes(field) ? field : 'target';
            const card = await formCard(actor, { [shownAt]: errorText(error, logger) },
              { target: form.target ?? '', duration: form.duration ?? '', reason: form.reason ?? '', ticket: form.ticket ?? '', startDate: form.startDate ?? '', startTime: form.startTime ?? '', mode: form.mode ?? 'approval' });
            return cardAnswer(card);
          }
        }
        case 'breakGlass.confirm': case 'grant.revoke': case 'breakGlass.acknowledge': case 'breakGlass.flag':
          return await breakGlassAction(elevate, actor, verb, data as Record<string, unknown>, submitted, latestCard);
        default:
          return answer(`Unknown action ${verb}.`);
      }
      // The card this person clicked, as it stands now; everyone else's copy follows via the outbox.
      return (await latestCard(requestCardKey(verb, submitted.value))) ?? answer('Done.');
    } catch (error) {
      // A click that came too late (decided, cancelled, ended) still shows where things stand now, with why nothing happened.
      if (isElevateError(error) && error.code === 'conflict') {
        const key = BREAK_GLASS_VERBS.includes(verb as never) && verb !== 'breakGlass.confirm' ? breakGlassCardKeys(submitted.value.trim().toUpperCase()).alert
          : verb.startsWith('grant.') ? await grantCardKey(incoming, submitted.value) : await visibleRequestCardKey(incoming, verb, submitted.value);
        const latest = key ? await latestCard(key, errorText(error, logger)) : null;
        if (latest) return latest;
      }
      return answer(errorText(error, logger));
    }
  });

  // Installing the app: remember the person's chat, and welcome them with their home card (kept current by refresh).
  app.on('install.add', async ({ activity, send }) => {
    const incoming = activity as unknown as Activity;
    if (!incoming.from.aadObjectId) return;
    try {
      const { actor } = await identify(incoming);
      const home = cardToAdaptiveCard(homeCard(await elevate.home(actor)), { refresh: { verb: HOME_VERB, data: { value: 'home' }, userIds: [incoming.from.id] } });
      await send({ type: 'message', attachments: [cardAttachment(textCard('Welcome to Elevate: ask for access with "request", see where things stand with "home", and "help" for the rest.')), cardAttachment(home)] });
    } catch (error) {
      logger.warn({ err: error }, 'could not record a Teams installation');
    }
  });

  return {
    port,
    directory: new TeamsDirectory(app),
    async handle(req, res) {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'invalid_input', message: 'the body is not a JSON activity' } }));
        return;
      }
      // Before any handler runs: only the pinned tenants, and replies only to Microsoft's connector.
      const activity = body as Partial<Activity>;
      const refusal = !allowedServiceUrl(activity.serviceUrl, serviceUrlAllow)
        ? { reason: 'serviceUrl', message: 'the activity names a serviceUrl that is not a Microsoft Bot Connector address' }
        : !(await elevate.admitOrigin(`teams:${activity.from?.aadObjectId ?? 'unknown'}`, tenantOrigin(activity)))
          ? { reason: 'tenant', message: 'this organisation is not connected to Elevate' }
          : undefined;
      if (refusal) {
        if (refusal.reason === 'serviceUrl') {
          await elevate.reportRefusal({ identity: null, origin: 'teams', source: `serviceUrl:${String(activity.serviceUrl).slice(0, 200)}` },
            { action: 'teams.activityRefused', subject: String(activity.serviceUrl).slice(0, 200), details: { reason: refusal.message } });
        }
        res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_allowed', message: refusal.message } }));
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string | string[]] => e[1] !== undefined));
      const response = await collector.handler!({ body, headers });
      const text = response.body === undefined ? '' : JSON.stringify(response.body);
      res.writeHead(response.status, { 'content-type': 'application/json' }).end(text);
    },
  };
}
