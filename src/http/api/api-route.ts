import type { ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { Elevate } from '../../core/elevate.js';
import type { ApiToken, Principal, TokenScope } from '../../core/model.js';
import { InvalidInputError } from '../../core/errors.js';
import type { Actor } from '../../core/ports.js';
import { ConfigurationOutcome } from './schemas.js';

/** Who is calling: the token, and the principal it acts as (none for `checker` tokens). */
export interface ApiAuth {
  token: ApiToken;
  principal: Principal | undefined;
}

export interface ApiCall<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  auth: ApiAuth;
  elevate: Elevate;
  /** The token's principal as the core's actor (origin `api`, the token recorded on audit records). */
  actor(): Actor;
}

export type ApiResult =
  | { status: number; body: unknown }
  /** A streamed answer (audit exports): the route writes the body itself. */
  | { status: number; contentType: string; stream: (res: ServerResponse) => Promise<void> };

/**
 * `read`: audited as an `api.read` record for a token's first call of the route each minute, the
 * rest counted in that token's `api.reads` summary. `write`: rate limited per token; the use
 * case audits it. `check`: the enforcement check, counted per token and audited as summaries.
 */
export type RouteKind = 'read' | 'write' | 'check';

export interface ApiResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Default `application/json`. */
  contentTypes?: string[];
}

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Under /api/v1, with `{name}` path parameters. */
  path: string;
  summary: string;
  tag: string;
  scopes: readonly TokenScope[];
  kind: RouteKind;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, ApiResponseSpec>;
  handle(call: ApiCall<unknown, unknown, unknown>): Promise<ApiResult>;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** Declares a route with its handler typed by its schemas. */
export function route<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(definition: Omit<ApiRoute, 'params' | 'query' | 'body' | 'handle'> & {
  params?: P;
  query?: Q;
  body?: B;
  handle(call: ApiCall<Out<P>, Out<Q>, Out<B>>): Promise<ApiResult>;
}): ApiRoute {
  return definition as unknown as ApiRoute;
}

/**
 * Every scope that may read through the API (checkers only check). `requester` tokens act as a
 * person who is neither admin nor auditor: what that person may do in chat (request, cancel,
 * relinquish, extend; decide and revoke where they are an approver), the core deciding.
 */
export const READERS = ['admin', 'auditor', 'requester'] as const satisfies readonly TokenScope[];
export const ADMIN = ['admin'] as const satisfies readonly TokenScope[];
export const REQUESTERS = ['admin', 'requester'] as const satisfies readonly TokenScope[];

export const ok = (body: unknown): ApiResult => ({ status: 200, body });
export const created = (body: unknown): ApiResult => ({ status: 201, body });
/** The answers of a configuration change (policies, groups, PAM). */
export const CONFIGURATION_RESPONSES = {
  200: { description: 'applied', schema: ConfigurationOutcome },
  202: { description: 'protected configuration: a configuration request now waits for another admin', schema: ConfigurationOutcome },
  409: { description: 'conflicts with the current configuration (exists already, not a member, already so…)' },
} satisfies Record<number, ApiResponseSpec>;

/** A protected configuration change waits for another admin: accepted, not done. */
export const configurationResult = (outcome: { status: 'applied' | 'pending' }): ApiResult =>
  ({ status: outcome.status === 'pending' ? 202 : 200, body: outcome });

/** Opaque paging cursor over (time, id) of the last row of a page. */
function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

/** The (time, id) a cursor of this API continues after; InvalidInputError for anything else. */
export function decodeCursor(cursor: string | undefined): { at: string; id: string } | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) return { at: value[0] as string, id: value[1] as string };
  } catch {
    // reported below
  }
  throw new InvalidInputError('cursor is not one this API returned', { field: 'cursor' });
}

/**
 * One page from `rows` fetched with `limit + 1`: the extra row only tells that there is more,
 * and the cursor continues after the last row shown.
 */
export function page<T extends { id: string }>(rows: T[], limit: number, timeOf: (row: T) => string): ApiResult {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return ok({ items, nextCursor: rows.length > limit && last ? encodeCursor(timeOf(last), last.id) : null });
}
