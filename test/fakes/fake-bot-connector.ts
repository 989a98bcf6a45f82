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

/** What the next matching call(s) answer instead of running: 429 + Retry-After (seconds), 412 or a 5xx. */
export type FakeConnectorFailure = { status: 429; retryAfter: number } | { status: 412 | 500 | 502 | 503 | 504 };

/** One HTTP call as received and answered. `path` is percent-decoded, without the query. */
export interface FakeConnectorCall {
  method: string;
  path: string;
  /** Raw query string including `?` (the SDK adds `?isTargetedActivity=true`), or ''. */
  query: string;
  conversationId?: string;
  activityId?: string;
  body: RecordedJson;
  status: number;
  response: RecordedJson;
  at: number;
}

/** An activity the bot sent, with its latest content. */
export interface FakeConnectorActivity {
  conversationId: string;
  id: string;
  activity: RecordedJson;
  /** How many times PUT replaced it. */
  updates: number;
  replyToId?: string;
  deleted?: boolean;
}

/** A Teams user the fake knows, answered as a TeamsChannelAccount by the members routes. */
export interface FakeTeamsUser {
  /** The Bot Framework id (`29:…`). */
  id: string;
  aadObjectId: string;
  name: string;
  email: string;
  /** Defaults to `email`. */
  userPrincipalName?: string;
  /** The user's Entra tenant, answered as `tenantId` (TeamsChannelAccount). */
  tenantId?: string;
  /** `user` (default), `guest` or `anonymous` (TeamsChannelAccount `userRole`). */
  userRole?: 'user' | 'guest' | 'anonymous';
}

/** A conversation created with `POST /v3/conversations`. */
export interface FakeConversation {
  id: string;
  members: string[];
  isGroup: boolean;
  tenantId?: string;
  channelData?: RecordedJson;
}

export interface FakeBotConnectorOptions {
  /**
   * Largest JSON body accepted for a sent or updated activity; larger answers 413 MessageSizeTooBig.
   * Teams refuses messages over about 28 KB ("Format your bot messages", Teams docs). Default 28 KiB.
   */
  maxActivityBytes?: number;
}

type Reply = { status: number; headers: Record<string, string>; body: RecordedJson };

/** Teams' documented message size limit: about 28 KB. */
const DEFAULT_MAX_ACTIVITY_BYTES = 28 * 1024;
/** Activity ids look like Teams' millisecond timestamps; counting from here keeps them ordered and unique. */
const FIRST_ACTIVITY_ID = 1_700_000_000_000;
const FAILURE_CODES: Record<number, string> = {
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

/**
 * The Bot Framework connector service (the `serviceUrl` Teams gives a bot) on 127.0.0.1, over real HTTP.
 * Point the Teams SDK at it with `serviceUrl: fake.url`. It checks for a bearer token (any token),
 * creates 1:1 conversations, stores sent activities and their updates (PUT of an unknown activity: 404),
 * answers member look-ups for users added with `addUser`, and fails calls on demand (`failNext`).
 * Every call is recorded in `calls`.
 */
export class FakeBotConnector {
  readonly calls: FakeConnectorCall[] = [];
  /** Sent activities per conversation id, in order, each with its latest content. */
  readonly activities = new Map<string, FakeConnectorActivity[]>();
  readonly conversations = new Map<string, FakeConversation>();
  private readonly users: FakeTeamsUser[] = [];
  private readonly failures: Array<{ match: FakeConnectorMatch; failure: FakeConnectorFailure; left: number }> = [];
  private nextActivity = FIRST_ACTIVITY_ID;

  private constructor(
    private readonly server: Server,
    /** Base URL with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
    readonly url: string,
    private readonly maxActivityBytes: number,
  ) {}

  static async start(options: FakeBotConnectorOptions = {}): Promise<FakeBotConnector> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeBotConnector(server, `http://127.0.0.1:${port}/`, options.maxActivityBytes ?? DEFAULT_MAX_ACTIVITY_BYTES);
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

  /** A user the members routes can answer for (by `id`, `aadObjectId` or `userPrincipalName`). */
  addUser(user: FakeTeamsUser): void {
    this.users.push({ ...user, userPrincipalName: user.userPrincipalName ?? user.email });
  }

  /** The next `count` calls matching `match` answer `failure` (with a JSON error body) and change nothing. */
  failNext(match: FakeConnectorMatch, failure: FakeConnectorFailure, count = 1): void {
    this.failures.push({ match, failure, left: count });
  }

  /** Recorded calls matching `match`, in order. */
  callsTo(match: FakeConnectorMatch): FakeConnectorCall[] {
    return this.calls.filter((c) => matches(match, c.method, c.path, c.path));
  }

  /** Activities sent into a conversation, in order (empty when none). */
  activitiesIn(conversationId: string): FakeConnectorActivity[] {
    return this.activities.get(conversationId) ?? [];
  }

  /** The first stored activity, in any conversation, for which `predicate` holds. */
  findActivity(predicate: (entry: FakeConnectorActivity) => boolean): FakeConnectorActivity | undefined {
    for (const list of this.activities.values()) {
      const found = list.find(predicate);
      if (found) return found;
    }
    return undefined;
  }

  /** The conversation id created for a member with `POST /v3/conversations`, if any. */
  conversationFor(memberId: string): string | undefined {
    for (const conversation of this.conversations.values()) {
      if (!conversation.isGroup && conversation.members.includes(memberId)) return conversation.id;
    }
    return undefined;
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

  private authorize(req: IncomingMessage): Reply | undefined {
    const header = req.headers.authorization ?? '';
    if (/^Bearer \S+/.test(header)) return undefined;
    // The connector's answer to a missing or malformed token.
    return json(401, { message: 'Authorization has been denied for this request.' });
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
    if (sub === 'activities') {
      if (method === 'POST') return this.sendActivity(conversationId, body, raw, id);
      if (method === 'PUT' && id) return this.updateActivity(conversationId, id, body, raw);
      if (method === 'DELETE' && id) return this.deleteActivity(conversationId, id);
    }
    if (method === 'GET' && sub === 'members') return id === undefined ? json(200, this.membersOf(conversationId)) : this.member(conversationId, id);
    if (method === 'GET' && sub === 'pagedMembers' && id === undefined) return json(200, { members: this.membersOf(conversationId) });
    return this.notFound(method, parts);
  }

  private notFound(method: string, parts: string[]): Reply {
    return error(404, 'NotFound', `no route for ${method} /${parts.join('/')}`);
  }

  private createConversation(body: RecordedJson, raw: string): Reply {
    if (!isObject(body)) throw new BadRequest('expected a ConversationParameters object');
    const members: unknown = body.members;
    if (!Array.isArray(members) || members.length === 0 || !members.every((m) => isObject(m) && typeof m.id === 'string' && m.id)) {
      throw new BadRequest('members must list at least one { id }');
    }
    const memberIds = members.map((m: { id: string }) => m.id);
    const isGroup = body.isGroup === true;
    const existing = isGroup ? undefined : this.conversationFor(memberIds[0]!);
    const conversationId = existing ?? `a:conv-${memberIds.join(',')}`;
    if (!existing) {
      const tenantId = typeof body.tenantId === 'string' ? body.tenantId : body.channelData?.tenant?.id;
      this.conversations.set(conversationId, { id: conversationId, members: memberIds, isGroup, tenantId, channelData: body.channelData });
    }
    if (body.activity === undefined || body.activity === null) return json(201, { id: conversationId });
    const sent = this.sendActivity(conversationId, body.activity, raw, undefined);
    if (sent.status >= 300) return sent;
    return json(201, { id: conversationId, activityId: sent.body.id });
  }

  private sendActivity(conversationId: string, activity: RecordedJson, raw: string, replyToPath: string | undefined): Reply {
    const invalid = this.checkActivity(activity, raw);
    if (invalid) return invalid;
    const id = String(this.nextActivity++);
    const replyToId = replyToPath ?? (typeof activity.replyToId === 'string' ? activity.replyToId : undefined);
    const entry: FakeConnectorActivity = { conversationId, id, activity, updates: 0, ...(replyToId ? { replyToId } : {}) };
    const list = this.activities.get(conversationId) ?? [];
    list.push(entry);
    this.activities.set(conversationId, list);
    return json(201, { id });
  }

  private updateActivity(conversationId: string, id: string, activity: RecordedJson, raw: string): Reply {
    const entry = this.activitiesIn(conversationId).find((a) => a.id === id && !a.deleted);
    if (!entry) return error(404, 'ActivityNotFound', `activity ${id} not found in conversation ${conversationId}`);
    const invalid = this.checkActivity(activity, raw);
    if (invalid) return invalid;
    entry.activity = activity;
    entry.updates += 1;
    return json(200, { id });
  }

  private deleteActivity(conversationId: string, id: string): Reply {
    const entry = this.activitiesIn(conversationId).find((a) => a.id === id && !a.deleted);
    if (!entry) return error(404, 'ActivityNotFound', `activity ${id} not found in conversation ${conversationId}`);
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

  /** Members of a created conversation; any other conversation (a channel, a group chat) has every known user. */
  private membersOf(conversationId: string): RecordedJson[] {
    const conversation = this.conversations.get(conversationId);
    if (!conversation) return this.users.map(toAccount);
    return conversation.members.map((id) => {
      const user = this.findUser(id);
      return user ? toAccount(user) : { id };
    });
  }

  private member(conversationId: string, memberId: string): Reply {
    const user = this.findUser(memberId);
    const conversation = this.conversations.get(conversationId);
    const inConversation = user && (!conversation || conversation.members.some((m) => this.findUser(m) === user));
    if (!user || !inConversation) {
      return error(404, 'MemberNotFoundInConversation', `member ${memberId} not found in conversation ${conversationId}`);
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
    email: user.email,
    userPrincipalName: user.userPrincipalName ?? user.email,
    userRole: user.userRole ?? 'user',
    ...(user.tenantId ? { tenantId: user.tenantId } : {}),
  };
}
