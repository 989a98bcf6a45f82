import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../helpers/api-harness.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('what a newcomer finds on the port', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness();
  });
  afterAll(() => api.stop());

  it('GET / says what is served and where the OpenAPI document is', async () => {
    const answer = await fetch(`${api.base}/`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({
      service: expect.stringMatching(/^Elevate/), version,
      endpoints: {
        health: '/healthz', readiness: '/readyz', metrics: '/metrics', api: '/api/v1', openapi: '/api/v1/openapi.json',
        slack: 'not served: Slack is not configured (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)',
        teams: 'not served: Teams is not configured (set TEAMS_APP_ID and TEAMS_APP_PASSWORD)',
      },
    });
  });

  it('GET /api/v1 points at the OpenAPI document, without a token', async () => {
    for (const path of ['/api/v1', '/api/v1/']) {
      const answer = await fetch(`${api.base}${path}`);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toMatchObject({ api: 'Elevate REST API', version, openapi: '/api/v1/openapi.json' });
    }
  });

  it('a disabled platform\'s endpoint says so, in the error shape', async () => {
    const slack = await fetch(`${api.base}/slack/events`, { method: 'POST', body: 'token=x' });
    expect(slack.status).toBe(404);
    expect(await slack.json()).toEqual({ error: { code: 'not_found', message: 'Slack is not configured on this server: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET' } });
    const teams = await fetch(`${api.base}/api/messages`, { method: 'POST', body: '{}' });
    expect(teams.status).toBe(404);
    expect(await teams.json()).toEqual({ error: { code: 'not_found', message: 'Teams is not configured on this server: set TEAMS_APP_ID and TEAMS_APP_PASSWORD' } });
  });

  it('the OpenAPI document carries the package version and marks required bodies required', async () => {
    const doc = await (await fetch(`${api.base}/api/v1/openapi.json`)).json() as {
      info: { version: string };
      paths: Record<string, Record<string, { requestBody?: { required: boolean } }>>;
    };
    expect(doc.info.version).toBe(version);
    const required = (path: string, method: string) => doc.paths[`/api/v1${path}`]![method]!.requestBody?.required;
    expect(required('/policies', 'post')).toBe(true);
    expect(required('/requests', 'post')).toBe(true);
    expect(required('/groups', 'post')).toBe(true);
    expect(required('/groups/{name}/members', 'post')).toBe(true);
    expect(required('/authorizations/{id}/extend', 'post')).toBe(true);
    // Bodies whose fields are all optional may be left out.
    expect(required('/requests/{id}/approve', 'post')).toBe(false);
    expect(required('/pam/disable', 'post')).toBe(false);
  });
});
