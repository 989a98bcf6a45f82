import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { ApiRoute } from './api-route.js';
import { ErrorBody } from './schemas.js';
import { packageVersion } from '../../version.js';

const ERRORS: Record<number, string> = {
  400: 'invalid input: malformed JSON, unknown or missing fields, values out of range',
  401: 'no token, or an unknown, revoked or expired one',
  403: "the token's scope, or its principal, may not do this",
  404: 'not found, or not visible to the token',
  413: 'the body is larger than 64 KiB',
  415: 'the body is not application/json',
  429: 'too many changes with this token: retry after `Retry-After` seconds',
};

function operation(route: ApiRoute): ZodOpenApiOperationObject {
  type Response = { description: string; content?: Record<string, { schema: unknown }> };
  const responses: Record<string, Response> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const types = spec.contentTypes ?? ['application/json'];
    responses[status] = {
      description: spec.description,
      ...(spec.schema ? { content: Object.fromEntries(types.map((type) => [type, { schema: spec.schema! }])) } : {}),
    };
  }
  const errors = [400, 401, 403, 404, ...(route.body ? [413, 415] : []), ...(route.kind === 'write' ? [429] : [])];
  for (const status of errors) {
    responses[String(status)] ??= { description: ERRORS[status]!, content: { 'application/json': { schema: ErrorBody } } };
  }
  for (const status of Object.keys(responses)) {
    if (Number(status) >= 400 && !responses[status]!.content) responses[status]!.content = { 'application/json': { schema: ErrorBody } };
  }
  return {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/\{(\w+)\}/g, 'By-$1').split(/[/-]/).filter(Boolean).map((p) => p[0]!.toUpperCase() + p.slice(1)).join('')}`,
    summary: route.summary,
    tags: [route.tag],
    description: `Token scopes: ${route.scopes.join(', ')}.`,
    ...(route.params || route.query ? { requestParams: { ...(route.params ? { path: route.params } : {}), ...(route.query ? { query: route.query } : {}) } } : {}),
    // An empty body reads as {}: a body is required when its schema refuses that.
    ...(route.body ? { requestBody: { required: !route.body.safeParse({}).success, content: { 'application/json': { schema: route.body } } } } : {}),
    responses: responses as ZodOpenApiOperationObject['responses'],
  };
}

/** The OpenAPI 3.1 document of the routes, generated from the same zod schemas that validate them. */
export function buildOpenApiDocument(routes: ApiRoute[], prefix: string): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const item = (paths[`${prefix}${route.path}`] ??= {});
    (item as Record<string, ZodOpenApiOperationObject>)[route.method.toLowerCase()] = operation(route);
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Elevate REST API',
      version: packageVersion(),
      description: 'Just-in-time privileged access: policies, requests, grants (authorizations), the audit log, reports and the enforcement check. '
        + 'Authenticate with `Authorization: Bearer <token>` (tokens come from `elevate token new`). Errors are `{ "error": { "code", "message" } }`.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token from `elevate token new`' } } },
    security: [{ bearer: [] }],
    paths,
  });
}
