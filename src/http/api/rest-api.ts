import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Elevate } from '../../core/elevate.js';
import { isElevateError, type ErrorCode } from '../../core/errors.js';
import type { ApiUse } from '../../core/use-cases/record-api-uses.js';
import type { Authentication } from '../../core/use-cases/authenticate-api-token.js';
import { tokenIdOfSecret } from '../../core/api-tokens.js';
import { sendJson } from '../server.js';
import type { ApiAuth, ApiRoute } from './api-route.js';
import { buildOpenApiDocument } from './openapi.js';
import { RateLimiter } from './rate-limiter.js';
import { auditRoutes } from './routes/audit.js';
import { configRoutes } from './routes/config.js';
import { authorizationRoutes } from './routes/authorizations.js';
import { checkRoutes } from './routes/check.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { groupRoutes } from './routes/groups.js';
import { pamRoutes } from './routes/pam.js';
import { policyRoutes } from './routes/policies.js';
import { principalRoutes } from './routes/principals.js';
import { reportRoutes } from './routes/reports.js';
import { requestRoutes } from './routes/requests.js';
import { breakGlassRoutes } from './routes/break-glass.js';

export const API_PREFIX = '/api/v1';

export const API_ROUTES: ApiRoute[] = [
  ...checkRoutes, ...requestRoutes, ...authorizationRoutes, ...policyRoutes, ...groupRoutes, ...principalRoutes, ...auditRoutes, ...reportRoutes, ...pamRoutes,
  ...deliveryRoutes, ...configRoutes, ...breakGlassRoutes,
];

// JSON bodies of this API are small (a policy is the largest); refuse more before parsing.
const MAX_BODY_BYTES = 64 * 1024;
// A revoked or expired token stops working on every instance within this long.
const AUTH_CACHE_MS = 1000;
const AUTH_CACHE_MAX = 10_000;
// Checks, repeated reads and refusals past their burst are counted and audited as one summary
// per token (or address) this often: a record per call would let traffic, or an attacker, grow
// the audit log without bound.
const SUMMARY_INTERVAL_MS = 60_000;
// Distinct summary keys kept between flushes; past it, further ones are counted under one key.
const MAX_SUMMARY_KEYS = 10_000;
const OVERFLOW_KEY = '*others*';

const STATUS_OF: Record<ErrorCode, number> = {
  invalid_input: 400, not_allowed: 403, not_found: 404, conflict: 409, not_supported: 409,
};

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export interface RestApiOptions {
  elevate: Elevate;
  logger: Logger;
  /** Writes per token per minute (token bucket; bursts of `writeBurst`). */
  writesPerMinute: number;
  writeBurst: number;
}

interface CompiledRoute {
  route: ApiRoute;
  segments: string[];
}

/**
 * The REST API under /api/v1: bearer tokens, scopes, validation with the routes' zod schemas,
 * one error shape, per-token write limits, and an audit record for every use. Routes live in
 * ./routes, one file per resource, and the OpenAPI document is generated from the same table.
 */
export class RestApi {
  private readonly routes: CompiledRoute[];
  private readonly authCache = new Map<string, { auth: Authentication; untilMs: number }>();
  private readonly writeLimiter: RateLimiter;
  // Refusals are audited one by one up to this rate per verified token, or per client address
  // before a token is verified (a made-up token id must not buy a fresh allowance); past it they
  // are counted into an `api.refusals` summary.
  private readonly refusalLimiter = new RateLimiter({ perMinute: 60, burst: 20 });
  private readonly checkCounts = new Map<string, { principalId: string | null; allowed: number; denied: number }>();
  private readonly readCounts = new Map<string, { principalId: string | null; routes: Record<string, Record<string, number>> }>();
  private readonly refusalCounts = new Map<string, { tokenId: string | null; principalId: string | null; address: string; reasons: Record<string, number> }>();
  private readonly summaryTimer: NodeJS.Timeout;
  private openApi: unknown;

  constructor(private readonly options: RestApiOptions) {
    this.routes = API_ROUTES.map((route) => ({ route, segments: route.path.split('/').slice(1) }));
    this.writeLimiter = new RateLimiter({ perMinute: options.writesPerMinute, burst: options.writeBurst });
    this.summaryTimer = setInterval(() => void this.flushSummaries(), SUMMARY_INTERVAL_MS);
    this.summaryTimer.unref();
  }

  /**
   * Writes the pending summaries (also at shutdown): checks, reads past each route's first of the
   * minute, and refusals past their burst. The minute's counting starts again afterwards.
   */
  async flushSummaries(): Promise<void> {
    const checks = [...this.checkCounts];
    const reads = [...this.readCounts];
    const refusals = [...this.refusalCounts];
    this.checkCounts.clear();
    this.readCounts.clear();
    this.refusalCounts.clear();
    const uses: ApiUse[] = [
      ...checks.map(([tokenId, counts]): ApiUse => ({
        action: 'api.checks', subject: `token:${tokenId}`, tokenId, principalId: counts.principalId,
        details: { allowed: counts.allowed, denied: counts.denied },
      })),
      ...reads.filter(([, counts]) => Object.keys(counts.routes).length > 0).map(([tokenId, counts]): ApiUse => ({
        action: 'api.reads', subject: `token:${tokenId}`, tokenId: tokenId === OVERFLOW_KEY ? null : tokenId, principalId: counts.principalId,
        details: { calls: sum(Object.values(counts.routes).flatMap((statuses) => Object.values(statuses))), routes: counts.routes },
      })),
      ...refusals.map(([, counts]): ApiUse => ({
        action: 'api.refusals', subject: counts.tokenId ? `token:${counts.tokenId}` : `address:${counts.address}`, tokenId: counts.tokenId, principalId: counts.principalId,
        details: { refused: sum(Object.values(counts.reasons)), reasons: counts.reasons, address: counts.address },
      })),
    ];
    if (uses.length === 0) return;
    try {
      await this.options.elevate.recordApiUses(uses);
    } catch (error) {
      // Check counts are kept for the next flush rather than lost (counted meanwhile, they add up).
      for (const [tokenId, counts] of checks) {
        const now = this.checkCounts.get(tokenId);
        this.checkCounts.set(tokenId, now ? { ...now, allowed: now.allowed + counts.allowed, denied: now.denied + counts.denied } : counts);
      }
      this.options.logger.error({ err: error, reads: reads.length, refusals: refusals.length }, 'could not audit API summaries; check counts are kept for the next flush');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.summaryTimer);
    await this.flushSummaries();
  }

  handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.slice(API_PREFIX.length) || '/';
    try {
      if (req.method === 'GET' && path === '/openapi.json') {
        this.openApi ??= buildOpenApiDocument(API_ROUTES, API_PREFIX);
        sendJson(res, 200, this.openApi);
        return;
      }
      const method = req.method ?? 'GET';
      const auth = await this.authenticate(req, `${method} ${API_PREFIX}${path}`);
      try {
        const { route, params } = this.match(method, path);
        if (!route.scopes.includes(auth.token.scope)) {
          throw new ApiError(403, 'insufficient_scope', `this ${auth.token.scope} token may not ${route.summary.charAt(0).toLowerCase()}${route.summary.slice(1)} (scopes allowed: ${route.scopes.join(', ')})`);
        }
        if (route.kind === 'write') {
          const wait = this.writeLimiter.take(auth.token.id);
          if (wait > 0) throw new ApiError(429, 'rate_limited', `too many changes with this token: retry in ${wait} s`, { 'retry-after': String(wait) });
        }
        const input = {
          params: parse(route.params, params, 'path'),
          query: parse(route.query, queryObject(url), 'query'),
          body: route.body ? parse(route.body, await readJsonBody(req), 'body') : undefined,
        };
        await this.run(route, auth, input, res);
      } catch (error) {
        // Refused before the core saw it (scope, limit, malformed input, no such route): audited here.
        if (error instanceof ApiError) await this.auditRefusal(req, `${method} ${API_PREFIX}${path}`, error.code, auth);
        throw error;
      }
    } catch (error) {
      this.sendError(res, error);
    }
  };

  private async run(route: ApiRoute, auth: ApiAuth, input: { params: unknown; query: unknown; body: unknown }, res: ServerResponse): Promise<void> {
    const principalId = auth.token.principalId;
    const actor = () => {
      if (!principalId) throw new ApiError(403, 'insufficient_scope', 'this token acts as nobody: it may only check');
      return { kind: 'principal' as const, principalId, origin: 'api' as const, tokenId: auth.token.id, identity: `token:${auth.token.id}` };
    };
    let status = 500;
    try {
      const result = await route.handle({ ...input, auth, elevate: this.options.elevate, actor });
      status = result.status;
      if (route.kind === 'check') this.countCheck(auth, (result as { body: { allowed: boolean } }).body.allowed);
      if (route.kind === 'read') await this.auditRead(route, auth, input, status);
      if ('stream' in result) {
        res.writeHead(result.status, { 'content-type': result.contentType });
        await result.stream(res);
        res.end();
      } else {
        sendJson(res, result.status, result.body);
      }
    } catch (error) {
      status = statusOf(error);
      if (route.kind === 'read') await this.auditRead(route, auth, input, status);
      throw error;
    }
  }

  private countCheck(auth: ApiAuth, allowed: boolean): void {
    const counts = this.checkCounts.get(auth.token.id) ?? { principalId: auth.token.principalId, allowed: 0, denied: 0 };
    if (allowed) counts.allowed += 1;
    else counts.denied += 1;
    this.checkCounts.set(auth.token.id, counts);
  }

  /** A token's first read of a route each minute is recorded with its parameters; the rest are counted. */
  private async auditRead(route: ApiRoute, auth: ApiAuth, input: { params: unknown; query: unknown }, status: number): Promise<void> {
    const subject = `${route.method} ${API_PREFIX}${route.path}`;
    let counts = this.readCounts.get(auth.token.id);
    if (counts?.routes[subject] || (!counts && this.readCounts.size >= MAX_SUMMARY_KEYS)) {
      counts ??= this.overflowEntry(this.readCounts, () => ({ principalId: null, routes: {} }));
      const statuses = counts.routes[subject] ??= {};
      statuses[status] = (statuses[status] ?? 0) + 1;
      return;
    }
    if (!counts) this.readCounts.set(auth.token.id, counts = { principalId: auth.token.principalId, routes: {} });
    counts.routes[subject] = {};
    await this.options.elevate.recordApiUses([{
      action: 'api.read', subject, tokenId: auth.token.id, principalId: auth.token.principalId,
      details: { status, ...(input.params ? { params: input.params } : {}), ...(input.query ? { query: input.query } : {}) },
    }]);
  }

  private match(method: string, path: string): { route: ApiRoute; params: Record<string, string> } {
    const parts = path.split('/').slice(1);
    let pathMatched = false;
    for (const { route, segments } of this.routes) {
      if (segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const matches = segments.every((segment, i) => {
        if (segment.startsWith('{')) {
          try {
            params[segment.slice(1, -1)] = decodeURIComponent(parts[i]!);
          } catch {
            return false;
          }
          return parts[i] !== '';
        }
        return segment === parts[i];
      });
      if (!matches) continue;
      if (route.method === method) return { route, params };
      pathMatched = true;
    }
    if (pathMatched) throw new ApiError(405, 'method_not_allowed', `${method} is not supported on ${API_PREFIX}${path}`);
    throw new ApiError(404, 'not_found', `no API route ${method} ${API_PREFIX}${path} (see ${API_PREFIX}/openapi.json)`);
  }

  private async authenticate(req: IncomingMessage, subject: string): Promise<ApiAuth> {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      await this.auditRefusal(req, subject, 'missing');
      throw new ApiError(401, 'unauthenticated', 'send a token: Authorization: Bearer <token> (create one with `elevate token new`)', { 'www-authenticate': 'Bearer' });
    }
    const secret = match[1]!;
    const tokenId = tokenIdOfSecret(secret);
    if (!tokenId) {
      await this.auditRefusal(req, subject, 'malformed');
      throw new ApiError(401, 'unauthenticated', 'the token is not an Elevate token', { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    // Keyed by the secret itself (well-formed, so short): it is in this process's memory for the
    // request anyway, and hashing it on every check would cost more than the check.
    const now = Date.now();
    let cached = this.authCache.get(secret);
    if (!cached || cached.untilMs <= now) {
      this.authCache.delete(secret);
      if (this.authCache.size >= AUTH_CACHE_MAX) this.authCache.delete(this.authCache.keys().next().value!);
      cached = { auth: await this.options.elevate.authenticateApiToken(secret), untilMs: now + AUTH_CACHE_MS };
      this.authCache.set(secret, cached);
    }
    const auth = cached.auth;
    if (auth.ok) return { token: auth.token, principal: auth.principal };
    await this.auditRefusal(req, subject, auth.refusal, undefined, auth.tokenId);
    if (auth.refusal === 'not_entitled') throw new ApiError(403, 'not_entitled', auth.message ?? 'the token no longer fits its principal');
    throw new ApiError(401, 'unauthenticated', `the token is ${auth.refusal}`, { 'www-authenticate': 'Bearer error="invalid_token"' });
  }

  /**
   * Audits a refused call, up to a rate per verified token (or per client address before one is
   * verified): beyond it a flood is answered and counted into a summary, never one record each.
   */
  private async auditRefusal(req: IncomingMessage, subject: string, reason: string, auth?: ApiAuth, claimedToken?: string): Promise<void> {
    const address = req.socket.remoteAddress ?? 'unknown';
    const key = auth ? `token:${auth.token.id}` : `address:${address}`;
    if (this.refusalLimiter.take(key) > 0) {
      const counts = this.refusalCounts.get(key)
        ?? (this.refusalCounts.size >= MAX_SUMMARY_KEYS
          ? this.overflowEntry(this.refusalCounts, () => ({ tokenId: null, principalId: null, address: 'many', reasons: {} }))
          : this.refusalCounts.set(key, { tokenId: auth?.token.id ?? null, principalId: auth?.token.principalId ?? null, address, reasons: {} }).get(key)!);
      counts.reasons[reason] = (counts.reasons[reason] ?? 0) + 1;
      return;
    }
    await this.options.elevate.recordApiUses([{
      action: 'api.refused', subject, tokenId: auth?.token.id ?? null, principalId: auth?.token.principalId ?? null,
      details: { reason, address, ...(claimedToken ? { claimedToken } : {}) },
    }]);
  }

  /** The one entry that counts everything past MAX_SUMMARY_KEYS distinct keys in a minute. */
  private overflowEntry<T>(map: Map<string, T>, make: () => T): T {
    let entry = map.get(OVERFLOW_KEY);
    if (!entry) map.set(OVERFLOW_KEY, entry = make());
    return entry;
  }

  private sendError(res: ServerResponse, error: unknown): void {
    if (res.headersSent) {
      this.options.logger.error({ err: error }, 'API answer failed after it started');
      res.destroy();
      return;
    }
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
      // The rest of an oversized body is not read: close rather than leave it in the connection.
      if (error.status === 413) res.setHeader('connection', 'close');
      sendJson(res, error.status, { error: { code: error.code, message: error.message } });
      return;
    }
    if (isElevateError(error)) {
      sendJson(res, STATUS_OF[error.code], { error: { code: error.code, message: error.message, ...(Object.keys(error.details).length ? { details: error.details } : {}) } });
      return;
    }
    this.options.logger.error({ err: error }, 'API request failed');
    sendJson(res, 500, { error: { code: 'internal', message: 'internal error: the server log has the details' } });
  }
}

function statusOf(error: unknown): number {
  if (error instanceof ApiError) return error.status;
  return isElevateError(error) ? STATUS_OF[error.code] : 500;
}

function parse(schema: z.ZodType | undefined, value: unknown, where: 'path' | 'query' | 'body'): unknown {
  if (!schema) {
    if (where === 'query' && value && Object.keys(value).length > 0) {
      throw new ApiError(400, 'invalid_input', `this route takes no query parameters (got ${Object.keys(value).join(', ')})`);
    }
    return undefined;
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.join('.');
    return `${field ? `${field}: ` : ''}${issue.message}`;
  });
  throw new ApiError(400, 'invalid_input', `invalid ${where}: ${problems.join('; ')}`);
}

function queryObject(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (name in query) throw new ApiError(400, 'invalid_input', `query parameter ${name} is given twice`);
    query[name] = value;
  }
  return query;
}

/** Reads a JSON body, refusing oversized, non-JSON and malformed ones before anything parses them. */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  if (size === 0) return {};
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError(415, 'unsupported_media_type', 'send the body as application/json');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError(400, 'invalid_json', 'the body is not valid JSON');
  }
}

function tooLarge(): ApiError {
  return new ApiError(413, 'payload_too_large', `the body is larger than ${MAX_BODY_BYTES / 1024} KiB`);
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
