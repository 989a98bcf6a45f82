/**
 * A fake Slack Web API, strict where Slack is. It follows Slack's method reference
 * (docs.slack.dev/reference/methods/…): `chat.postMessage` (channel_not_found; not_in_channel
 * unless the bot is a member or, in a public channel, the token has `chat:write.public`;
 * thread_not_found, msg_too_long, no_text; invalid_blocks with the Block Kit reference's limits;
 * about one message per second per channel, short bursts allowed, else 429 + Retry-After),
 * `chat.postEphemeral` ("the user should be in the channel": user_not_in_channel; the bot must be
 * in it too, chat:write.public does not help there: node-slack-sdk#977), `chat.update`
 * (message_not_found), `conversations.open`, `views.open` / `views.update` (expired_trigger_id,
 * modal limits), `users.info`, `usergroups.users.list`, `auth.test`, and the Web API's token
 * rules (not_authed, invalid_auth: "Using the Slack Web API", "Token types").
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { URLSearchParams } from 'node:url';
import { checkBlocks, checkView } from './fake-slack-limits.js';

type Json = Record<string, unknown>;
/** Slack: a response_url takes up to 5 messages ("Handling user interaction"). */
const MAX_RESPONSE_URL_USES = 5;
type SlackBlock = Record<string, unknown>;

/** What the next call(s) of a method answer instead of running: 429 + Retry-After, a 5xx, or HTTP 200 `ok: false`. */
export type FakeSlackFailure = { status: 429; retryAfter: number } | { status: 500 | 502 | 503 } | { error: string };

export interface FakeSlackOptions {
  /** Bot token expected in `Authorization: Bearer …`; default `xoxb-test`. */
  token?: string;
  /** The bot token's scopes; default the app manifest's (manifest/slack/manifest.yaml), `chat:write.public` included. */
  scopes?: string[];
  /** chat.postMessage pace per channel; undefined = unlimited. */
  perChannelPerSecond?: number;
  /** The Enterprise Grid org of the bot's workspace (auth.test `enterprise_id`); none by default. */
  enterpriseId?: string;
  /** Installed org-wide on Enterprise Grid (auth.test `is_enterprise_install`). */
  orgWide?: boolean;
  /** The time the pacing counts with, in ms (tests step a fake one); default `performance.now`. */
  now?: () => number;
}

/** What the app posted to an interaction's `response_url` (Slack: "Handling user interaction", response_url). */
export interface FakeSlackResponse {
  /** The path's id (`/response/<id>`). */
  id: string;
  body: Json;
}

/** A channel that exists in the workspace. */
export interface FakeSlackChannelInput {
  id: string;
  /** Private channels are invisible to non-members (channel_not_found). Default: private for G… ids, public otherwise. */
  isPrivate?: boolean;
  /** User ids in the channel; the bot only when listed (`FakeSlackApi.botUserId`). */
  members?: string[];
}

const MANIFEST_SCOPES = ['commands', 'chat:write', 'chat:write.public', 'im:write', 'users:read', 'users:read.email', 'usergroups:read'];

/** One HTTP call as received and answered. `args` has JSON fields (blocks, view…) already parsed. */
export interface FakeSlackCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  status: number;
  response: unknown;
}

/** A message the bot posted, with its latest text and blocks. */
export interface FakeSlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: SlackBlock[];
  threadTs?: string;
  updates: number;
}

export interface FakeSlackUserInput {
  id: string;
  name?: string;
  realName?: string;
  email?: string;
  deleted?: boolean;
  isBot?: boolean;
  /** The user's own workspace (`team_id`): another one for people of a shared channel. Default: the bot's. */
  teamId?: string;
  /** `enterprise_user.enterprise_id` for members of an Enterprise Grid org. */
  enterpriseId?: string;
  /** A guest (`is_restricted`: multi-channel guest). */
  restricted?: boolean;
}

type StoredUser = Required<Omit<FakeSlackUserInput, 'email' | 'enterpriseId'>> & { email?: string; enterpriseId?: string };
type StoredChannel = { id: string; isPrivate: boolean; members: Set<string> };

type Reply = { status: number; headers: Record<string, string>; body: unknown };

const BOT = { userId: 'UBOT', botId: 'BBOT', appId: 'A0ELEVATE', teamId: 'T0ELEVATE', team: 'Elevate Test', user: 'elevate' };
/** Slack truncates/refuses `text` over 40,000 characters (chat.postMessage docs). */
const MAX_TEXT = 40_000;
/** Sends a channel may burst above its pace (Slack tolerates short bursts). */
const PACE_BURST = 2;
/** Fields WebClient sends as JSON strings inside form bodies. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata']);

const answer = (body: Json, status = 200, headers: Record<string, string> = {}): Reply =>
  ({ status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body });
const fail = (error: string, extra: Json = {}): Json => ({ ok: false, error, ...extra });
const str = (value: unknown): string => (typeof value === 'string' ? value : value === undefined ? '' : String(value));
const keyOf = (channel: string, ts: string): string => `${channel}:${ts}`;

class ArgumentsError extends Error {}

function parseField(key: string, value: string): unknown {
  if (!JSON_FIELDS.has(key)) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value; // left as a string: the validators answer invalid_blocks / invalid_arguments
  }
}

function parseArgs(query: URLSearchParams, raw: string, contentType: string): Json {
  const args: Json = {};
  for (const [k, v] of query) args[k] = parseField(k, v);
  if (contentType.startsWith('application/json')) {
    if (raw.trim() === '') return args;
    const parsed = parseField('blocks', raw); // any JSON field name: parse or keep the raw string
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ArgumentsError('invalid_json');
    return Object.assign(args, parsed);
  }
  if (contentType.startsWith('multipart/')) throw new ArgumentsError('invalid_form_data');
  for (const [k, v] of new URLSearchParams(raw)) args[k] = parseField(k, v);
  return args;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A Slack Web API on 127.0.0.1 for adapter tests: real HTTP, bearer-token auth, Block Kit limits,
 * unknown channel/ts errors, per-channel pacing of chat.postMessage and injectable 429/5xx failures.
 * Point a WebClient at it with `slackApiUrl: fake.url`. Every call is recorded in `calls`.
 */
export class FakeSlackApi {
  /** The bot's user id: list it in a channel's members to put the bot in that channel. */
  static readonly botUserId = BOT.userId;
  /** Every call, in arrival order, including refused ones. */
  readonly calls: FakeSlackCall[] = [];
  /** Posted messages keyed by `${channel}:${ts}`. */
  readonly messages = new Map<string, FakeSlackMessage>();
  /** Open views keyed by view id, as last opened/updated. */
  readonly views = new Map<string, Json>();
  /** Each user's published Home tab (views.publish), latest only. */
  readonly homes = new Map<string, Json>();
  /** chat.postMessage calls refused by the `perChannelPerSecond` pacing. */
  rateLimited = 0;
  /** Messages posted to `response_url`s (`http://127.0.0.1:P/response/<id>`), oldest first. */
  readonly responses: FakeSlackResponse[] = [];
  private responseUrlsExpired = false;

  private readonly users = new Map<string, StoredUser>();
  private readonly groups = new Map<string, string[]>();
  private readonly channels = new Map<string, StoredChannel>();
  private readonly failures = new Map<string, Array<{ failure: FakeSlackFailure; remaining: number }>>();
  /** Per channel: tokens left in its bucket and when they were counted. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private tsSeq = 0;
  private viewSeq = 0;
  private readonly handlers: Record<string, (args: Json) => Json> = {
    'auth.test': () => ({
      ok: true, url: 'https://elevate-test.slack.com/', team: BOT.team, user: BOT.user,
      team_id: BOT.teamId, user_id: BOT.userId, bot_id: BOT.botId, is_enterprise_install: this.orgWide,
      ...(this.enterpriseId ? { enterprise_id: this.enterpriseId } : {}),
    }),
    // bots.info (scope users:read): the bot's app id, which every request's api_app_id must name.
    'bots.info': (args) => (str(args.bot) === BOT.botId
      ? { ok: true, bot: { id: BOT.botId, deleted: false, name: BOT.user, app_id: BOT.appId, user_id: BOT.userId, updated: 1_700_000_000 } }
      : fail('bot_not_found')),
    'chat.postMessage': (args) => this.postMessage(args),
    'chat.update': (args) => this.updateMessage(args),
    'chat.postEphemeral': (args) => this.postEphemeral(args),
    'views.open': (args) => this.openView(args),
    'views.update': (args) => this.updateView(args),
    'views.publish': (args) => this.publishView(args),
    'conversations.open': (args) => this.openConversation(args),
    'users.info': (args) => this.lookUp(this.users, args.user, 'user_not_found', (u) => ({ user: userJson(u) })),
    'usergroups.users.list': (args) => this.lookUp(this.groups, args.usergroup, 'no_such_subteam', (u) => ({ users: [...u] })),
  };

  private constructor(
    private readonly server: Server,
    /** Base URL for `slackApiUrl`, e.g. `http://127.0.0.1:1234/api/`. */
    readonly url: string,
    private readonly token: string,
    private readonly scopes: ReadonlySet<string>,
    private readonly minGapMs: number | undefined,
    private readonly now: () => number,
    private readonly enterpriseId: string | undefined = undefined,
    private readonly orgWide = false,
  ) {
    this.addUser({ id: BOT.userId, name: BOT.user, isBot: true });
  }

  /** Listens on an ephemeral port of 127.0.0.1. */
  static async start(options: FakeSlackOptions = {}): Promise<FakeSlackApi> {
    const pace = options.perChannelPerSecond;
    if (pace !== undefined && !(pace > 0)) throw new Error('perChannelPerSecond must be positive');
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const minGapMs = pace === undefined ? undefined : 1000 / pace;
    const fake = new FakeSlackApi(
      server, `http://127.0.0.1:${port}/api/`, options.token ?? 'xoxb-test', new Set(options.scopes ?? MANIFEST_SCOPES), minGapMs,
      options.now ?? (() => performance.now()), options.enterpriseId, options.orgWide ?? false,
    );
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res));
    return fake;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections(); // fetch keeps connections alive; don't wait for them
    });
  }

  addUser(input: FakeSlackUserInput): this {
    const name = input.name ?? input.id.toLowerCase();
    this.users.set(input.id, {
      id: input.id, name, realName: input.realName ?? name, email: input.email,
      deleted: input.deleted ?? false, isBot: input.isBot ?? false, teamId: input.teamId ?? BOT.teamId,
      restricted: input.restricted ?? false, ...(input.enterpriseId ? { enterpriseId: input.enterpriseId } : {}),
    });
    return this;
  }

  addUserGroup(id: string, userIds: string[]): this {
    this.groups.set(id, [...userIds]);
    return this;
  }

  /**
   * A channel of the workspace (replacing one with the same id). Posting needs the bot in it, or,
   * in a public channel, the `chat:write.public` scope; ephemeral messages need the bot and the user in it.
   */
  addChannel(channel: FakeSlackChannelInput): this {
    const isPrivate = channel.isPrivate ?? channel.id.startsWith('G');
    this.channels.set(channel.id, { id: channel.id, isPrivate, members: new Set(channel.members ?? []) });
    return this;
  }

  /** The members of a channel (the bot as `FakeSlackApi.botUserId`), or undefined if there is no such channel. */
  membersOf(channel: string): string[] | undefined {
    const found = this.channels.get(channel);
    return found ? [...found.members] : undefined;
  }

  /** The next `count` calls of `method` (after the auth check) answer `failure` instead of running. */
  failNext(method: string, failure: FakeSlackFailure, count = 1): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), { failure, remaining: count }]);
  }

  callsTo(method: string): FakeSlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Messages (thread replies included) in `channel`, oldest first. */
  messagesIn(channel: string): FakeSlackMessage[] {
    return [...this.messages.values()].filter((m) => m.channel === channel).sort((a, b) => a.ts.localeCompare(b.ts));
  }

  findMessage(predicate: (message: FakeSlackMessage) => boolean): FakeSlackMessage | undefined {
    return [...this.messages.values()].find(predicate);
  }

  /** Forgets recorded calls, the rate-limited count, pending failures and pacing; keeps users, channels, messages, views. */
  reset(): void {
    this.calls.length = 0;
    this.rateLimited = 0;
    this.failures.clear();
    this.buckets.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = url.pathname.startsWith('/api/') ? url.pathname.slice('/api/'.length) : url.pathname;
    let args: Json = {};
    let reply: Reply;
    try {
      args = parseArgs(url.searchParams, await readBody(req), req.headers['content-type'] ?? '');
      const responseId = /^\/response\/([A-Za-z0-9_-]+)$/.exec(url.pathname)?.[1];
      reply = url.pathname.startsWith('/api/')
        ? this.dispatch(method, req.headers.authorization, args)
        : responseId !== undefined && req.method === 'POST'
          ? this.respond(responseId, args)
          : { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
    } catch (error) {
      reply = error instanceof ArgumentsError
        ? answer(fail(error.message))
        : { status: 500, headers: { 'content-type': 'text/plain' }, body: `fake bug: ${String(error)}` };
    }
    if (/^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] === this.token) reply.headers['x-oauth-scopes'] = [...this.scopes].join(',');
    this.calls.push({ method, args, at: Date.now(), status: reply.status, response: reply.body });
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, reply.headers).end(text);
  }

  private dispatch(method: string, authorization: string | undefined, args: Json): Reply {
    const handler = Object.hasOwn(this.handlers, method) ? this.handlers[method] : undefined;
    if (!handler) return answer(fail('unknown_method'));
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) return answer(fail('not_authed'));
    if (token !== this.token) return answer(fail('invalid_auth'));
    const injected = this.takeFailure(method);
    if (injected) return injected;
    if (method !== 'chat.postMessage' || this.minGapMs === undefined) return answer(handler(args));
    const channel = str(args.channel);
    const now = this.now();
    // A token bucket, like Slack's "about one per second per channel, short bursts allowed": it
    // refills at the pace and holds PACE_BURST sends, so a sender at the pace is never refused for
    // a few milliseconds of jitter, and a sender above it soon is.
    const bucket = this.buckets.get(channel) ?? { tokens: PACE_BURST, at: now };
    bucket.tokens = Math.min(PACE_BURST, bucket.tokens + (now - bucket.at) / this.minGapMs);
    bucket.at = now;
    this.buckets.set(channel, bucket);
    if (bucket.tokens < 1) {
      this.rateLimited += 1;
      // Slack answers a too-fast channel with Retry-After: 1 (chat.postMessage rate limits).
      return answer(fail('ratelimited'), 429, { 'retry-after': '1' });
    }
    const body = handler(args);
    if (body.ok === true) bucket.tokens -= 1;
    return answer(body);
  }

  private takeFailure(method: string): Reply | undefined {
    const queue = this.failures.get(method);
    const next = queue?.[0];
    if (!queue || !next) return undefined;
    next.remaining -= 1;
    if (next.remaining <= 0) queue.shift();
    const f = next.failure;
    if ('error' in f) return answer(fail(f.error));
    if (f.status === 429) return answer(fail('ratelimited'), 429, { 'retry-after': String(f.retryAfter) });
    return { status: f.status, headers: { 'content-type': 'text/plain' }, body: `fake upstream error ${f.status}` };
  }

  /**
   * A `response_url` accepts a JSON message (no token: the URL is the secret) and answers 200 `ok`,
   * at most 5 times and within 30 minutes of the interaction ("Handling user interaction":
   * response_url "up to 5 times within 30 minutes"); after that, or once `expireResponseUrls`
   * says so, it answers 404 `expired_url` and shows nothing.
   */
  private respond(id: string, args: Json): Reply {
    const uses = this.responses.filter((r) => r.id === id).length;
    if (this.responseUrlsExpired || uses >= MAX_RESPONSE_URL_USES) {
      return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'expired_url' };
    }
    this.responses.push({ id, body: args });
    return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
  }

  /** From now on every `response_url` answers as an expired one would (404 `expired_url`). */
  expireResponseUrls(): void {
    this.responseUrlsExpired = true;
  }

  /** The base of response URLs this fake serves, e.g. `http://127.0.0.1:1234/response/`. */
  get responseUrlBase(): string {
    return this.url.replace(/api\/$/, 'response/');
  }

  private lookUp<T>(map: Map<string, T>, id: unknown, error: string, toJson: (value: T) => Json): Json {
    const value = map.get(str(id));
    return value === undefined ? fail(error) : { ok: true, ...toJson(value) };
  }

  private nextTs(): string {
    this.tsSeq += 1;
    const micros = this.tsSeq * 100; // '1700000000.000100', '1700000000.000200', …: unique, increasing
    return `${1_700_000_000 + Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  /** The channel if the bot may see it (it exists, and is public or has the bot in it); else Slack's answer. */
  private visibleChannel(id: string): { channel: StoredChannel } | { failure: Json } {
    const channel = this.channels.get(id);
    // Private channels the bot is not in do not exist as far as its token can tell.
    if (!channel || (channel.isPrivate && !channel.members.has(BOT.userId))) return { failure: fail('channel_not_found') };
    return { channel };
  }

  /** Why the bot may not post in a channel (chat.postMessage), or undefined when it may. */
  private cannotPost(id: string): Json | undefined {
    const visible = this.visibleChannel(id);
    if ('failure' in visible) return visible.failure;
    if (visible.channel.members.has(BOT.userId) || this.scopes.has('chat:write.public')) return undefined;
    return fail('not_in_channel');
  }

  /** Text and blocks of a post or update, or the `ok: false` answer Slack gives for them. */
  private content(args: Json): { failure: Json } | { text?: string; blocks?: SlackBlock[] } {
    const text = args.text;
    if (text !== undefined && typeof text !== 'string') return { failure: fail('invalid_arguments') };
    if (text !== undefined && text.length > MAX_TEXT) return { failure: fail('msg_too_long') };
    if (args.blocks !== undefined) {
      const problem = checkBlocks(args.blocks, 50); // 50 blocks per message (Block Kit reference)
      const details = { errors: [problem], response_metadata: { messages: [`[ERROR] ${problem}`] } };
      if (problem) return { failure: fail('invalid_blocks', details) };
    }
    const blocks = args.blocks as SlackBlock[] | undefined;
    if (!text && !blocks?.length && args.attachments === undefined) return { failure: fail('no_text') };
    return { text, blocks };
  }

  private postMessage(args: Json): Json {
    const channel = str(args.channel);
    const refused = this.cannotPost(channel);
    if (refused) return refused;
    const content = this.content(args);
    if ('failure' in content) return content.failure;
    const threadTs = str(args.thread_ts) || undefined;
    if (threadTs !== undefined && !this.messages.has(keyOf(channel, threadTs))) return fail('thread_not_found');
    const ts = this.nextTs();
    const message: FakeSlackMessage = { channel, ts, text: content.text ?? '', blocks: content.blocks ?? [], updates: 0 };
    if (threadTs !== undefined) message.threadTs = threadTs;
    this.messages.set(keyOf(channel, ts), message);
    return { ok: true, channel, ts, message: messageJson(message) };
  }

  private updateMessage(args: Json): Json {
    const channel = str(args.channel);
    const visible = this.visibleChannel(channel);
    if ('failure' in visible) return visible.failure;
    const message = this.messages.get(keyOf(channel, str(args.ts)));
    if (!message) return fail('message_not_found');
    const content = this.content(args);
    if ('failure' in content) return content.failure;
    if (content.text !== undefined) message.text = content.text;
    if (content.blocks !== undefined) message.blocks = content.blocks;
    message.updates += 1;
    return { ok: true, channel, ts: message.ts, text: message.text, message: messageJson(message) };
  }

  private postEphemeral(args: Json): Json {
    const visible = this.visibleChannel(str(args.channel));
    if ('failure' in visible) return visible.failure;
    if (!visible.channel.members.has(BOT.userId)) return fail('not_in_channel');
    if (!visible.channel.members.has(str(args.user))) return fail('user_not_in_channel');
    const content = this.content(args);
    return 'failure' in content ? content.failure : { ok: true, message_ts: this.nextTs() };
  }

  private openView(args: Json): Json {
    const trigger = str(args.trigger_id);
    if (trigger === '') return fail('invalid_arguments');
    if (trigger === 'expired') return fail('expired_trigger_id');
    const problem = checkView(args.view);
    if (problem) return viewFailure(problem);
    const view = args.view as Json;
    const external = view.external_id;
    if (external !== undefined && [...this.views.values()].some((v) => v.external_id === external)) return fail('duplicate_external_id');
    this.viewSeq += 1;
    const stored = this.storeView(`V${String(this.viewSeq).padStart(10, '0')}`, view);
    return { ok: true, view: stored };
  }

  private updateView(args: Json): Json {
    const viewId = str(args.view_id);
    const externalId = str(args.external_id);
    const current = viewId
      ? this.views.get(viewId)
      : [...this.views.values()].find((v) => externalId !== '' && v.external_id === externalId);
    if (!current) return fail('not_found');
    if (args.hash !== undefined && args.hash !== current.hash) return fail('hash_conflict');
    const problem = checkView(args.view);
    if (problem) return viewFailure(problem);
    return { ok: true, view: this.storeView(str(current.id), args.view as Json) };
  }

  /**
   * views.publish (https://api.slack.com/methods/views.publish, Tier 4): a user's Home tab, as
   * `user_id` and a view of type `home` (at most 100 blocks); each publish replaces the last.
   */
  private publishView(args: Json): Json {
    const user = str(args.user_id);
    if (user === '') return fail('invalid_arguments');
    if (!this.users.has(user)) return fail('user_not_found');
    const problem = checkView(args.view);
    if (problem) return viewFailure(problem);
    const view = args.view as Json;
    if (view.type !== 'home') return fail('invalid_arguments');
    this.homes.set(user, view);
    return { ok: true, view: this.storeView(`VHOME${user}`, view) };
  }

  private storeView(id: string, view: Json): Json {
    const stored = { ...view, id, team_id: BOT.teamId, hash: `${this.nextTs()}.hash`, state: { values: {} } };
    this.views.set(id, stored);
    return stored;
  }

  private openConversation(args: Json): Json {
    const ids = str(args.users).split(',').map((s) => s.trim()).filter(Boolean);
    if (ids.length === 0) {
      const channel = str(args.channel);
      if (channel === '') return fail('users_list_not_supplied');
      const visible = this.visibleChannel(channel);
      return 'failure' in visible ? visible.failure : { ok: true, channel: { id: channel } };
    }
    if (ids.length > 1) return fail('invalid_arguments'); // the fake opens 1:1 DMs only
    const user = this.users.get(ids[0] ?? '');
    if (!user) return fail('user_not_found');
    if (user.deleted) return fail('user_disabled');
    const id = `D${user.id}`;
    const already = this.channels.has(id);
    this.channels.set(id, { id, isPrivate: true, members: new Set([BOT.userId, user.id]) });
    return { ok: true, channel: { id }, ...(already ? { no_op: true, already_open: true } : {}) };
  }
}

function viewFailure(problem: string): Json {
  return fail('invalid_arguments', { response_metadata: { messages: [`[ERROR] ${problem}`] } });
}

function userJson(u: StoredUser): Json {
  return {
    id: u.id, team_id: u.teamId, name: u.name, real_name: u.realName, deleted: u.deleted, is_bot: u.isBot,
    is_restricted: u.restricted, is_ultra_restricted: false,
    ...(u.enterpriseId ? { enterprise_user: { id: u.id, enterprise_id: u.enterpriseId, enterprise_name: 'Grid', teams: [u.teamId] } } : {}),
    profile: { ...(u.email === undefined ? {} : { email: u.email }), real_name: u.realName, display_name: u.name },
  };
}

function messageJson(m: FakeSlackMessage): Json {
  return {
    type: 'message', user: BOT.userId, bot_id: BOT.botId, ts: m.ts, text: m.text, blocks: m.blocks,
    ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
  };
}
