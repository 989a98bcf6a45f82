import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { URLSearchParams } from 'node:url';
import { checkBlocks, checkView } from './fake-slack-limits.js';

type Json = Record<string, unknown>;
type SlackBlock = Record<string, unknown>;

/** What the next call(s) of a method answer instead of running: 429 + Retry-After, a 5xx, or HTTP 200 `ok: false`. */
export type FakeSlackFailure = { status: 429; retryAfter: number } | { status: 500 | 502 | 503 } | { error: string };

export interface FakeSlackOptions {
  /** Bot token expected in `Authorization: Bearer …`; default `xoxb-test`. */
  token?: string;
  /** chat.postMessage pace per channel; undefined = unlimited. */
  perChannelPerSecond?: number;
  /**
   * Bot scopes the token has, sent as `x-oauth-scopes` on every call made with it, as Slack does;
   * default: the scopes of manifest/slack/manifest.yaml.
   */
  scopes?: string[];
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
}

type StoredUser = Required<Omit<FakeSlackUserInput, 'email'>> & { email?: string };

type Reply = { status: number; headers: Record<string, string>; body: unknown };

const BOT = { userId: 'UBOT', botId: 'BBOT', teamId: 'T0ELEVATE', team: 'Elevate Test', user: 'elevate' };
/** Slack truncates/refuses `text` over 40,000 characters (chat.postMessage docs). */
const MAX_TEXT = 40_000;
/** Sends a channel may burst above its pace (Slack tolerates short bursts). */
const PACE_BURST = 2;
/** Fields WebClient sends as JSON strings inside form bodies. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata']);
/** Public and private channel ids are accepted without setup (the bot has chat:write.public). */
const SHARED_CHANNEL = /^[CG][A-Z0-9]+$/;

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
  /** Every call, in arrival order, including refused ones. */
  readonly calls: FakeSlackCall[] = [];
  /** Posted messages keyed by `${channel}:${ts}`. */
  readonly messages = new Map<string, FakeSlackMessage>();
  /** Open views keyed by view id, as last opened/updated. */
  readonly views = new Map<string, Json>();
  /** chat.postMessage calls refused by the `perChannelPerSecond` pacing. */
  rateLimited = 0;

  private readonly users = new Map<string, StoredUser>();
  private readonly groups = new Map<string, string[]>();
  private readonly channels = new Set<string>();
  private readonly failures = new Map<string, Array<{ failure: FakeSlackFailure; remaining: number }>>();
  /** Per channel: tokens left in its bucket and when they were counted. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private tsSeq = 0;
  private viewSeq = 0;
  private readonly handlers: Record<string, (args: Json) => Json> = {
    'auth.test': () => ({
      ok: true, url: 'https://elevate-test.slack.com/', team: BOT.team, user: BOT.user,
      team_id: BOT.teamId, user_id: BOT.userId, bot_id: BOT.botId, is_enterprise_install: false,
    }),
    'chat.postMessage': (args) => this.postMessage(args),
    'chat.update': (args) => this.updateMessage(args),
    'chat.postEphemeral': (args) => this.postEphemeral(args),
    'views.open': (args) => this.openView(args),
    'views.update': (args) => this.updateView(args),
    'conversations.open': (args) => this.openConversation(args),
    'users.info': (args) => this.lookUp(this.users, args.user, 'user_not_found', (u) => ({ user: userJson(u) })),
    'usergroups.users.list': (args) => this.lookUp(this.groups, args.usergroup, 'no_such_subteam', (u) => ({ users: [...u] })),
  };

  private constructor(
    private readonly server: Server,
    /** Base URL for `slackApiUrl`, e.g. `http://127.0.0.1:1234/api/`. */
    readonly url: string,
    private readonly token: string,
    private readonly minGapMs: number | undefined,
    private readonly scopes: string[] = MANIFEST_SCOPES,
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
    const fake = new FakeSlackApi(server, `http://127.0.0.1:${port}/api/`, options.token ?? 'xoxb-test', minGapMs, options.scopes);
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
      deleted: input.deleted ?? false, isBot: input.isBot ?? false,
    });
    return this;
  }

  addUserGroup(id: string, userIds: string[]): this {
    this.groups.set(id, [...userIds]);
    return this;
  }

  /** Makes any channel id postable (C…/G… ids already are; D… ids otherwise need conversations.open). */
  addChannel(id: string): this {
    this.channels.add(id);
    return this;
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
      reply = url.pathname.startsWith('/api/')
        ? this.dispatch(method, req.headers.authorization, args)
        : { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
    } catch (error) {
      reply = error instanceof ArgumentsError
        ? answer(fail(error.message))
        : { status: 500, headers: { 'content-type': 'text/plain' }, body: `fake bug: ${String(error)}` };
    }
    if (/^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] === this.token) reply.headers['x-oauth-scopes'] = this.scopes.join(',');
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
    const now = performance.now();
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

  private lookUp<T>(map: Map<string, T>, id: unknown, error: string, toJson: (value: T) => Json): Json {
    const value = map.get(str(id));
    return value === undefined ? fail(error) : { ok: true, ...toJson(value) };
  }

  private nextTs(): string {
    this.tsSeq += 1;
    const micros = this.tsSeq * 100; // '1700000000.000100', '1700000000.000200', …: unique, increasing
    return `${1_700_000_000 + Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  private isChannel(channel: string): boolean {
    return this.channels.has(channel) || SHARED_CHANNEL.test(channel);
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
    if (!this.isChannel(channel)) return fail('channel_not_found');
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
    if (!this.isChannel(channel)) return fail('channel_not_found');
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
    if (!this.isChannel(str(args.channel))) return fail('channel_not_found');
    if (!this.users.has(str(args.user))) return fail('user_not_in_channel');
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
      return this.channels.has(channel) ? { ok: true, channel: { id: channel } } : fail('channel_not_found');
    }
    if (ids.length > 1) return fail('invalid_arguments'); // the fake opens 1:1 DMs only
    const user = this.users.get(ids[0] ?? '');
    if (!user) return fail('user_not_found');
    if (user.deleted) return fail('user_disabled');
    const id = `D${user.id}`;
    const already = this.channels.has(id);
    this.channels.add(id);
    return { ok: true, channel: { id }, ...(already ? { no_op: true, already_open: true } : {}) };
  }
}

function viewFailure(problem: string): Json {
  return fail('invalid_arguments', { response_metadata: { messages: [`[ERROR] ${problem}`] } });
}

function userJson(u: StoredUser): Json {
  return {
    id: u.id, team_id: BOT.teamId, name: u.name, real_name: u.realName, deleted: u.deleted, is_bot: u.isBot,
    profile: { ...(u.email === undefined ? {} : { email: u.email }), real_name: u.realName, display_name: u.name },
  };
}

function messageJson(m: FakeSlackMessage): Json {
  return {
    type: 'message', user: BOT.userId, bot_id: BOT.botId, ts: m.ts, text: m.text, blocks: m.blocks,
    ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
  };
}
