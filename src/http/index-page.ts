import type { IncomingMessage, ServerResponse } from 'node:http';
import { packageVersion } from '../version.js';
import { sendJson } from './server.js';

export const OPENAPI_PATH = '/api/v1/openapi.json';

/** What this server serves, for `GET /`: someone (or something) that finds the port learns where to go. */
export interface ServedEndpoints {
  /** `/slack/events`, or why it is not served. */
  slack: string;
  /** `/api/messages`, or why it is not served. */
  teams: string;
}

/** `GET /`: the service, its version and its endpoints. */
export function serviceIndex(served: ServedEndpoints) {
  return (_req: IncomingMessage, res: ServerResponse) => sendJson(res, 200, {
    service: 'Elevate: just-in-time, approved, time-bound and audited privileged access',
    version: packageVersion(),
    endpoints: {
      health: '/healthz', readiness: '/readyz', metrics: '/metrics',
      api: '/api/v1', openapi: OPENAPI_PATH,
      slack: served.slack, teams: served.teams,
    },
  });
}

/** `GET /api/v1`: the REST API's front door, pointing at its OpenAPI document. */
export function apiIndex(_req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, {
    api: 'Elevate REST API', version: packageVersion(), openapi: OPENAPI_PATH,
    authentication: 'Authorization: Bearer <token>; tokens come from `elevate token new` on the server',
  });
}

/** A platform endpoint this server does not serve: 404 with the error shape, saying why and how to enable it. */
export function notServed(message: string) {
  return (_req: IncomingMessage, res: ServerResponse) => sendJson(res, 404, { error: { code: 'not_found', message } });
}
