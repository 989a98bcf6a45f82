/**
 * A fake Bot Framework connector service (the `serviceUrl` Teams gives a bot), strict where Teams is.
 * It follows:
 * - Bot Framework Connector API reference
 *   (learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference):
 *   "Send to conversation" (`POST /v3/conversations/{id}/activities` appends to the end of the
 *   conversation: a `replyToId` in the body does not thread it), "Reply to activity"
 *   (`POST /v3/conversations/{id}/activities/{activityId}`: a reply to that activity), "Create
 *   conversation" (`POST /v3/conversations` with ConversationParameters: `bot`, `members`, tenant),
 *   "Update activity", "Delete activity", "Get conversation members", "Get conversation member";
 * - Bot Connector authentication ("Authenticate requests from your bot to the Bot Connector
 *   service"): a bearer token with audience `https://api.botframework.com`, else 401;
 * - Teams "Send proactive messages" (learn.microsoft.com/microsoftteams/platform/bots/how-to/
 *   conversations/send-proactive-messages): a 1:1 chat is created with the user and the tenant id,
 *   for a user the app is installed for; bots cannot create group chats;
 * - Teams channel threads: a channel thread's own conversation id is
 *   `19:…@thread.tacv2;messageid=<root id>` (the Teams SDK's `toThreadedConversationId`, whose doc
 *   comment says this is how Teams routes a message to a thread);
 * - Teams "Status codes from bot conversational APIs": 403 BotNotInConversationRoster,
 *   404 ConversationNotFound / ActivityNotFound, 413 MessageSizeTooBig (about 28 KB, "Format your
 *   bot messages"), 429 with Retry-After (throttling).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * JSON as recorded by the fake: tests read bodies and activities freely (`call.body.text`).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test fake's recorded wire data
export type RecordedJson = any;

/** Which calls a failure (or `callsTo`) applies to; omitted fields match everything. */
export interface FakeConnectorMatch {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Substring of the path, raw or percent-decoded (e.g. `/activities`, a conversation id). */
  pathIncludes?: string;
}

/** What the next matching call(s) answer instead of running: 429 + Retry-After (seconds), another 4xx or a 5xx. */
export type FakeConnectorFailure = { status: 429; retryAfter: number } | { status: 400 | 403 | 404 | 412 | 500 | 502 | 503 | 504 };

/** One HTTP call as received and answered. `path` is percent-decoded, without the query. */
export interface FakeConnectorCall {
  method: string;
  path: string;
  /** Raw query string including `?` (the SDK adds `?isTargetedActivity=true`), or ''. */
  query: string;
  /** As addressed, `;messageid=…` included. */
  conversationId?: string;
  activityId?: string;
  body: RecordedJson;
  status: number;
  response: RecordedJson;
  at: number;
}

/** An activity the bot sent, with its latest content, as Teams shows it. */
export interface FakeConnectorActivity {
  /** The conversation it is in (a channel's id without `;messageid=`). */
  conversationId: string;
  id: string;
  activity: RecordedJson;
  /** How many times PUT replaced it. */
  updates: number;
  /**
   * The channel thread it was posted in (its root post's id), when it was sent with "Reply to
   * activity" or to the thread's `;messageid=` conversation id. Never set from a `replyToId` in the
   * body: Teams appends such a post at the top level.
   */
  threadRootId?: string;
  deleted?: boolean;
}

/** A Teams user the fake knows, answered as a TeamsChannelAccount by the members routes. */
export interface FakeTeamsUser {
  /** The Bot Framework id (`29:…`). */
  id: string;
  aadObjectId: string;
  name: string;
  email?: string;
  /** Defaults to `email`. */
  userPrincipalName?: string;
  /** Defaults to the connector's tenant. */
  tenantId?: string;
  /** Whether the app is installed for the user (a 1:1 chat can be created); default true. */
  appInstalled?: boolean;
  /** `user` (default), `guest` or `anonymous` (TeamsChannelAccount `userRole`). */
  userRole?: 'user' | 'guest' | 'anonymous';
}

export type FakeConversationType = 'personal' | 'channel' | 'groupChat';

/** A conversation the bot can be in: a 1:1 chat, a team channel or a group chat. */
export interface FakeConversation {
  id: string;
  type: FakeConversationType;
  /** Bot Framework ids (`29:…`) of its members, or the ids given for users the fake does not know. */
  members: string[];
  tenantId: string;
  /** False for a channel or chat the app is not installed in: sends answer 403. */
  botIsMember: boolean;
  /** Created by the bot with `POST /v3/conversations`. */
  createdByBot: boolean;
  channelData?: RecordedJson;
}

export interface FakeBotConnectorOptions {
  /**
   * Largest JSON body accepted for a sent or updated activity; larger answers 413 MessageSizeTooBig.
   * Teams refuses messages over about 28 KB ("Format your bot messages", Teams docs). Default 28 KiB.
   */
  maxActivityBytes?: number;
  /** The tenant of users and conversations unless they say otherwise. Default `tenant-1`. */
  tenantId?: string;
  /**
   * Enforce Teams' per-bot, per-conversation send limits (Teams "Rate limiting for bots": 7 per
   * second, 8 per 2 s, 60 per 30 s, 1,800 per hour), counted over sliding windows of sends and
   * updates to one conversation (a channel's threads count as the channel); a send past a limit
   * answers 429 with a Retry-After of the seconds until the window has room. Default off.
   */
  throttle?: boolean;
  /** Another region of the same cloud: accepts the tokens `sameCloudAs` issues (one bot token works with every region). */
  sameCloudAs?: FakeBotConnector;
}

/** Teams' per-bot, per-conversation limits ("Rate limiting for bots", Teams docs). */
export const TEAMS_CONVERSATION_LIMITS: ReadonlyArray<{ count: number; windowMs: number }> = [
  { count: 7, windowMs: 1000 }, { count: 8, windowMs: 2000 }, { count: 60, windowMs: 30_000 }, { count: 1800, windowMs: 3_600_000 },
];

type Reply = { status: number; headers: Record<string, string>; body: RecordedJson };

/** Teams' documented message size limit: about 28 KB. */
const DEFAULT_MAX_ACTIVITY_BYTES = 28 * 1024;
/** Activity ids look like Teams' millisecond timestamps; counting from here keeps them ordered and unique. */
const FIRST_ACTIVITY_ID = 1_700_000_000_000;
/** The audience of tokens for the Bot Connector (the scope `https://api.botframework.com/.default`). */
export const BOT_CONNECTOR_AUDIENCE = 'https://api.botframework.com';
/** Tokens it issues live as long as Entra's app tokens (about an hour). */
const TOKEN_LIFETIME_SECONDS = 3600;
const FAILURE_CODES: Record<number, string> = {
  400: 'BadArgument',
  403: 'Forbidden',
  404: 'NotFound',
  412: 'PreconditionFailed',
  429: 'Throttled',
  500: 'InternalServerError',
  502: 'ServiceError',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

const json = (status: number, body: RecordedJson, headers: Record<string, string> = {}): Reply =>
  ({ status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body });
const error = (status: number, code: string, message: string, headers: Record<string, string> = {}): Reply =>
  json(status, { error: { code, message } }, headers);
const isObject = (value: unknown): value is Record<string, RecordedJson> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

class BadRequest extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest(`malformed path segment "${segment}"`);
  }
}

function matches(match: FakeConnectorMatch, method: string, rawPath: string, path: string): boolean {
  if (match.method && match.method !== method) return false;
  if (match.pathIncludes && !rawPath.includes(match.pathIncludes) && !path.includes(match.pathIncludes)) return false;
  return true;
}

/** `19:c@thread.tacv2;messageid=123` → the channel `19:c@thread.tacv2` and the thread root `123`. */
export function splitThreadId(conversationId: string): { base: string; threadRootId?: string } {
  const [base = conversationId, ...rest] = conversationId.split(';');
  const root = rest.map((part) => /^messageid=(.+)$/i.exec(part)?.[1]).find((id) => id !== undefined);
  return root === undefined ? { base } : { base, threadRootId: root };
}

/**
 * The Bot Framework connector service on 127.0.0.1, over real HTTP (see the top of this file for
 * the documentation it follows). Point the Teams SDK at it with `serviceUrl: fake.url` and
 * `token: (scope) => fake.issueToken(scope)`. Tests say which conversations exist (`addConversation`;
 * the bot's 1:1 chats are also created through the API) and who is in them; the fake threads,
 * refuses and answers as Teams does, and fails calls on demand (`failNext`). Every call is
 * recorded in `calls`.
 */
export class FakeBotConnector {
  readonly calls: FakeConnectorCall[] = [];
  /** Sent activities per conversation id (a channel's threads included), in order, each with its latest content. */
  readonly activities = new Map<string, FakeConnectorActivity[]>();
  readonly conversations = new Map<string, FakeConversation>();
  readonly tenantId: string;
  private readonly users: FakeTeamsUser[] = [];
  private readonly failures: Array<{ match: FakeConnectorMatch; failure: FakeConnectorFailure; left: number }> = [];
  /** Times (ms) of the sends and updates accepted per conversation, for `throttle`. */
  private readonly sendTimes = new Map<string, number[]>();
  /** Sends and updates refused by `throttle` with 429. */
  throttled = 0;
  /** Signs the tokens it issues; a token it did not sign is refused. */
  private tokenKey = randomBytes(32);
  private nextActivity = FIRST_ACTIVITY_ID;

  private constructor(
    private readonly server: Server,
    /** Base URL with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
    readonly url: string,
    private readonly maxActivityBytes: number,
    tenantId: string,
    private readonly throttle = false,
  ) {
    this.tenantId = tenantId;
  }

  static async start(options: FakeBotConnectorOptions = {}): Promise<FakeBotConnector> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeBotConnector(server, `http://127.0.0.1:${port}/`, options.maxActivityBytes ?? DEFAULT_MAX_ACTIVITY_BYTES, options.tenantId ?? 'tenant-1', options.throttle);
    if (options.sameCloudAs) fake.tokenKey = options.sameCloudAs.tokenKey;
    server.on('request', (req, res) => {
      fake.handle(req, res).catch(() => res.destroy()); // the client went away mid-request
    });
    return fake;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections(); // fetch and the SDK keep connections alive; don't wait for them
    });
  }

  /**
   * A token as Entra would issue it to the bot for `scope` (its audience is the scope without
   * `/.default`), signed with this fake's key. Only tokens for the Bot Connector's audience, signed
   * here and not expired, are accepted. Use as the Teams SDK's `token` option.
   */
  issueToken(scope = `${BOT_CONNECTOR_AUDIENCE}/.default`, options: { expiresInSeconds?: number } = {}): string {
    const exp = Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? TOKEN_LIFETIME_SECONDS);
    const unsigned = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url({ aud: scope.replace(/\/\.default$/, ''), exp, iss: 'https://fake-entra.test/' })}`;
    return `${unsigned}.${createHmac('sha256', this.tokenKey).update(unsigned).digest('base64url')}`;
  }

  /** A user the members routes can answer for (by `id`, `aadObjectId` or `userPrincipalName`); replaces one with the same id. */
  addUser(user: FakeTeamsUser): void {
    const index = this.users.findIndex((u) => u.id === user.id);
    const stored = { ...user, userPrincipalName: user.userPrincipalName ?? user.email, tenantId: user.tenantId ?? this.tenantId };
    if (index >= 0) this.users[index] = stored;
    else this.users.push(stored);
  }

  /**
   * A conversation that exists in Teams: a user's 1:1 chat with the bot (there when the app is
   * installed for them), a team channel or a group chat. `members` are user ids, Entra object ids
   * or UPNs of added users. `botIsMember: false`: the app is not installed there.
   */
  addConversation(conversation: { id: string; type: FakeConversationType; members?: string[]; tenantId?: string; botIsMember?: boolean }): FakeConversation {
    const stored: FakeConversation = {
      id: conversation.id, type: conversation.type, members: (conversation.members ?? []).map((m) => this.findUser(m)?.id ?? m),
      tenantId: conversation.tenantId ?? this.tenantId, botIsMember: conversation.botIsMember ?? true, createdByBot: false,
    };
    this.conversations.set(stored.id, stored);
    return stored;
  }

  /** The next `count` calls matching `match` answer `failure` (with a JSON error body) and change nothing. */
  failNext(match: FakeConnectorMatch, failure: FakeConnectorFailure, count = 1): void {
    this.failures.push({ match, failure, left: count });
  }

  /** Recorded calls matching `match`, in order. */
  callsTo(match: FakeConnectorMatch): FakeConnectorCall[] {
    return this.calls.filter((c) => matches(match, c.method, c.path, c.path));
  }

  /** Activities sent into a conversation (a channel's threads included; `;messageid=` is ignored), in order. */
  activitiesIn(conversationId: string): FakeConnectorActivity[] {
    return this.activities.get(splitThreadId(conversationId).base) ?? [];
  }

  /** Posts shown at the top level of a conversation (thread roots and unthreaded posts), in order. */
  topLevelIn(conversationId: string): FakeConnectorActivity[] {
    return this.activitiesIn(conversationId).filter((a) => a.threadRootId === undefined && !a.deleted);
  }

  /** The replies in the thread under `rootId`, in order. */
  threadOf(conversationId: string, rootId: string): FakeConnectorActivity[] {
    return this.activitiesIn(conversationId).filter((a) => a.threadRootId === rootId && !a.deleted);
  }

  /** The first stored activity, in any conversation, for which `predicate` holds. */
  findActivity(predicate: (entry: FakeConnectorActivity) => boolean): FakeConnectorActivity | undefined {
    for (const list of this.activities.values()) {
      const found = list.find(predicate);
      if (found) return found;
    }
    return undefined;
  }

  /** The 1:1 chat of a user (by id, Entra object id or UPN) with the bot, added or created, if any. */
  conversationFor(memberKey: string): string | undefined {
    const id = this.findUser(memberKey)?.id ?? memberKey;
    for (const conversation of this.conversations.values()) {
      if (conversation.type === 'personal' && conversation.members.includes(id)) return conversation.id;
    }
    return undefined;
  }

  /** Conversations the bot created with `POST /v3/conversations`, in order. */
  createdConversations(): FakeConversation[] {
    return [...this.conversations.values()].filter((c) => c.createdByBot);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    let body: RecordedJson = raw;
    let parsed = raw.length === 0;
    try {
      body = raw.length > 0 ? (JSON.parse(raw) as RecordedJson) : undefined;
      parsed = true;
    } catch {
      // kept as the raw string; routes that need a body answer 400
    }
    let path = url.pathname;
    let ids: { conversationId?: string; activityId?: string } = {};
    let reply: Reply;
    try {
      const segments = url.pathname.split('/').map(decodeSegment);
      path = segments.join('/');
      if (segments[1] === 'v3' && segments[2] === 'conversations' && segments[3]) {
        ids = { conversationId: segments[3], ...(segments[4] === 'activities' && segments[5] ? { activityId: segments[5] } : {}) };
      }
      reply = this.authorize(req) ?? this.injectedFailure(method, url.pathname, path) ?? (() => {
        if (!parsed) throw new BadRequest('the body is not JSON');
        return this.route(method, segments.slice(1), body, raw);
      })();
    } catch (err) {
      reply = err instanceof BadRequest
        ? error(400, 'BadArgument', err.message)
        : error(500, 'InternalServerError', `fake connector bug: ${String(err)}`);
    }
    this.calls.push({
      method, path, query: url.search, ...ids, body, status: reply.status, response: reply.body, at: Date.now(),
    });
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  }

  /** A token this fake issued for the Bot Connector, not expired; else the connector's 401. */
  private authorize(req: IncomingMessage): Reply | undefined {
    const denied = json(401, { message: 'Authorization has been denied for this request.' });
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [header, payload, signature] = token?.split('.') ?? [];
    if (!header || !payload || !signature) return denied;
    const expected = createHmac('sha256', this.tokenKey).update(`${header}.${payload}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return denied;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { aud?: string; exp?: number };
    if (claims.aud !== BOT_CONNECTOR_AUDIENCE || typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return denied;
    return undefined;
  }

  private injectedFailure(method: string, rawPath: string, path: string): Reply | undefined {
    const index = this.failures.findIndex((f) => matches(f.match, method, rawPath, path));
    if (index < 0) return undefined;
    const entry = this.failures[index]!;
    entry.left -= 1;
    if (entry.left <= 0) this.failures.splice(index, 1);
    const { failure } = entry;
    const code = FAILURE_CODES[failure.status] ?? 'ServiceError';
    if (failure.status === 429) {
      return error(429, code, 'Too many requests', { 'retry-after': String(failure.retryAfter) });
    }
    return error(failure.status, code, `injected failure ${failure.status}`);
  }

  /** `parts` are the decoded path segments after the leading slash: ['v3', 'conversations', …]. */
  private route(method: string, parts: string[], body: RecordedJson, raw: string): Reply {
    const [v3, conversations, conversationId, sub, id, extra] = parts;
    if (v3 !== 'v3' || conversations !== 'conversations' || extra !== undefined) return this.notFound(method, parts);
    if (conversationId === undefined || conversationId === '') {
      return method === 'POST' ? this.createConversation(body, raw) : this.notFound(method, parts);
    }
    const known = this.conversationOf(conversationId);
    if ('status' in known) return known;
    const { conversation, threadRootId } = known;
    if (sub === 'activities') {
      if (!conversation.botIsMember) return error(403, 'BotNotInConversationRoster', `the bot is not part of conversation ${conversation.id}`);
      const throttled = (method === 'POST' || method === 'PUT') ? this.takeSend(conversation.id) : undefined;
      if (throttled) return throttled;
      if (method === 'POST') return this.sendActivity(conversation, body, raw, id ?? threadRootId, id !== undefined);
      if (method === 'PUT' && id) return this.updateActivity(conversation, id, body, raw);
      if (method === 'DELETE' && id) return this.deleteActivity(conversation, id);
    }
    if (method === 'GET' && sub === 'members') return id === undefined ? json(200, this.membersOf(conversation)) : this.member(conversation, id);
    if (method === 'GET' && sub === 'pagedMembers' && id === undefined) return json(200, { members: this.membersOf(conversation) });
    return this.notFound(method, parts);
  }

  /** With `throttle`: counts a send to the conversation, or answers 429 when a limit is reached. */
  private takeSend(conversationId: string): Reply | undefined {
    if (!this.throttle) return undefined;
    const now = Date.now();
    const longest = Math.max(...TEAMS_CONVERSATION_LIMITS.map((l) => l.windowMs));
    const times = (this.sendTimes.get(conversationId) ?? []).filter((t) => t > now - longest);
    let waitMs = 0;
    for (const limit of TEAMS_CONVERSATION_LIMITS) {
      const inWindow = times.filter((t) => t > now - limit.windowMs);
      if (inWindow.length >= limit.count) waitMs = Math.max(waitMs, inWindow[inWindow.length - limit.count]! + limit.windowMs - now);
    }
    this.sendTimes.set(conversationId, times);
    if (waitMs > 0) {
      this.throttled += 1;
      return error(429, 'Throttled', 'Too many requests', { 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) });
    }
    times.push(now);
    return undefined;
  }

  private notFound(method: string, parts: string[]): Reply {
    return error(404, 'NotFound', `no route for ${method} /${parts.join('/')}`);
  }

  /** The conversation an id addresses; a `;messageid=` id addresses a thread of a channel only. */
  private conversationOf(conversationId: string): { conversation: FakeConversation; threadRootId?: string } | Reply {
    const { base, threadRootId } = splitThreadId(conversationId);
    const conversation = this.conversations.get(base);
    if (!conversation || (threadRootId !== undefined && conversation.type !== 'channel')) {
      return error(404, 'ConversationNotFound', `conversation ${conversationId} not found`);
    }
    return { conversation, threadRootId };
  }

  private createConversation(body: RecordedJson, raw: string): Reply {
    if (!isObject(body)) throw new BadRequest('expected a ConversationParameters object');
    if (!isObject(body.bot) || typeof body.bot.id !== 'string' || body.bot.id === '') throw new BadRequest('bot is required: the bot account ({ id })');
    const tenantId: unknown = body.tenantId ?? body.channelData?.tenant?.id;
    if (typeof tenantId !== 'string' || tenantId === '') throw new BadRequest('the tenant id is required (tenantId or channelData.tenant.id)');
    const channelId: unknown = body.channelData?.channel?.id;
    if (typeof channelId === 'string') return this.postInChannel(channelId, body, raw);
    if (body.isGroup === true) throw new BadRequest('bots cannot create group chats');
    const members: unknown = body.members;
    if (!Array.isArray(members) || members.length !== 1 || !isObject(members[0]) || typeof members[0].id !== 'string' || !members[0].id) {
      throw new BadRequest('a 1:1 conversation has exactly one member { id }');
    }
    const user = this.findUser(members[0].id as string);
    if (!user || user.tenantId !== tenantId) return error(404, 'NotFound', `user ${members[0].id as string} not found in tenant ${tenantId}`);
    if (user.appInstalled === false) return error(403, 'Forbidden', `the app is not installed for user ${user.id}`);
    // One 1:1 chat per user and bot: creating it again answers the same conversation.
    const existing = this.conversationFor(user.id);
    const conversation = existing ? this.conversations.get(existing)! : {
      id: `a:conv-${user.id}`, type: 'personal' as const, members: [user.id], tenantId, botIsMember: true, createdByBot: true, channelData: body.channelData,
    };
    this.conversations.set(conversation.id, conversation);
    if (body.activity === undefined || body.activity === null) return json(201, { id: conversation.id });
    const sent = this.sendActivity(conversation, body.activity, raw, undefined, false);
    if (sent.status >= 300) return sent;
    return json(201, { id: conversation.id, activityId: sent.body.id });
  }

  /** "Create conversation" in a channel: a new top-level post, whose thread is the conversation answered. */
  private postInChannel(channelId: string, body: RecordedJson, raw: string): Reply {
    const channel = this.conversations.get(channelId);
    if (!channel || channel.type !== 'channel') return error(404, 'ConversationNotFound', `channel ${channelId} not found`);
    if (!channel.botIsMember) return error(403, 'BotNotInConversationRoster', `the bot is not part of channel ${channelId}`);
    if (!isObject(body.activity)) throw new BadRequest('a new channel post needs its activity');
    const sent = this.sendActivity(channel, body.activity, raw, undefined, false);
    if (sent.status >= 300) return sent;
    return json(201, { id: `${channelId};messageid=${sent.body.id}`, activityId: sent.body.id });
  }

  /**
   * Appends an activity. `parentId` (from the reply-to-activity route, or a thread's `;messageid=`
   * conversation id) puts it in that post's thread in a channel; 1:1 and group chats have no
   * threads, so there it is appended. A `replyToId` in the body is kept as sent and changes nothing.
   */
  private sendActivity(conversation: FakeConversation, activity: RecordedJson, raw: string, parentId: string | undefined, parentFromRoute: boolean): Reply {
    const invalid = this.checkActivity(activity, raw);
    if (invalid) return invalid;
    let threadRootId: string | undefined;
    if (parentId !== undefined) {
      const parent = this.activitiesIn(conversation.id).find((a) => a.id === parentId && !a.deleted);
      if (!parent) {
        return error(404, 'ActivityNotFound', `activity ${parentId} not found in conversation ${conversation.id}${parentFromRoute ? '' : ' (thread root)'}`);
      }
      // Channel threads are one level deep: a reply to a reply goes to the same thread.
      if (conversation.type === 'channel') threadRootId = parent.threadRootId ?? parent.id;
    }
    const id = String(this.nextActivity++);
    const entry: FakeConnectorActivity = { conversationId: conversation.id, id, activity, updates: 0, ...(threadRootId ? { threadRootId } : {}) };
    const list = this.activities.get(conversation.id) ?? [];
    list.push(entry);
    this.activities.set(conversation.id, list);
    return json(201, { id });
  }

  private updateActivity(conversation: FakeConversation, id: string, activity: RecordedJson, raw: string): Reply {
    const entry = this.activitiesIn(conversation.id).find((a) => a.id === id && !a.deleted);
    if (!entry) return error(404, 'ActivityNotFound', `activity ${id} not found in conversation ${conversation.id}`);
    const invalid = this.checkActivity(activity, raw);
    if (invalid) return invalid;
    entry.activity = activity;
    entry.updates += 1;
    return json(200, { id });
  }

  private deleteActivity(conversation: FakeConversation, id: string): Reply {
    const entry = this.activitiesIn(conversation.id).find((a) => a.id === id && !a.deleted);
    if (!entry) return error(404, 'ActivityNotFound', `activity ${id} not found in conversation ${conversation.id}`);
    entry.deleted = true;
    return json(200, {});
  }

  private checkActivity(activity: RecordedJson, raw: string): Reply | undefined {
    if (!isObject(activity) || typeof activity.type !== 'string') throw new BadRequest('expected an activity with a type');
    if (Buffer.byteLength(raw) > this.maxActivityBytes) {
      return error(413, 'MessageSizeTooBig', `message size too large (${Buffer.byteLength(raw)} bytes > ${this.maxActivityBytes})`);
    }
    return undefined;
  }

  /** The members of a conversation, as accounts (ids the fake does not know as users: `{ id }` only). */
  private membersOf(conversation: FakeConversation): RecordedJson[] {
    return conversation.members.map((id) => {
      const user = this.findUser(id);
      return user ? toAccount(user) : { id };
    });
  }

  private member(conversation: FakeConversation, memberId: string): Reply {
    const user = this.findUser(memberId);
    if (!user || !conversation.members.includes(user.id)) {
      return error(404, 'MemberNotFoundInConversation', `member ${memberId} not found in conversation ${conversation.id}`);
    }
    return json(200, toAccount(user));
  }

  private findUser(key: string): FakeTeamsUser | undefined {
    const lower = key.toLowerCase();
    return this.users.find((u) => u.id === key || u.aadObjectId === key || u.userPrincipalName?.toLowerCase() === lower);
  }
}

function toAccount(user: FakeTeamsUser): RecordedJson {
  return {
    id: user.id,
    name: user.name,
    aadObjectId: user.aadObjectId,
    ...(user.email === undefined ? {} : { email: user.email }),
    ...(user.userPrincipalName === undefined ? {} : { userPrincipalName: user.userPrincipalName }),
    userRole: user.userRole ?? 'user',
    tenantId: user.tenantId,
  };
}
