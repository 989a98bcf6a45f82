import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/main.js';
import { silentLogger } from '../helpers/engine.js';
import { APP_ID } from '../helpers/teams-harness.js';

describe('Teams authentication', () => {
  it('refuses activities without a Bot Framework token unless the development flag is set', async () => {
    const server = await startServer(loadConfig({
      DATABASE_URL: ':memory:', ELEVATE_SIGNING_KEY: 'k'.repeat(40), PORT: '0', HOST: '127.0.0.1',
      TEAMS_APP_ID: APP_ID, TEAMS_APP_PASSWORD: 'secret', TEAMS_SERVICE_URL: 'http://127.0.0.1:9/',
    }), { logger: silentLogger });
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/api/messages`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'message', text: 'status', from: { id: '29:x', aadObjectId: 'aad-x' }, conversation: { id: 'a:x' }, serviceUrl: 'http://127.0.0.1:9/' }),
      });
      expect(response.status).toBe(401);
      expect(await server.engine.elevate.listRequests({ kind: 'operator', origin: 'cli' })).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('needs the client secret, or the explicit development flag', () => {
    expect(() => loadConfig({ TEAMS_APP_ID: APP_ID })).toThrow(/TEAMS_APP_PASSWORD: Teams needs the bot's client secret/);
    expect(() => loadConfig({ TEAMS_APP_ID: 'not-a-guid', TEAMS_APP_PASSWORD: 'x' })).toThrow(/TEAMS_APP_ID: must be the bot's Microsoft App ID/);
    expect(loadConfig({ TEAMS_APP_ID: APP_ID, TEAMS_ALLOW_UNAUTHENTICATED: 'true' }).TEAMS_ALLOW_UNAUTHENTICATED).toBe('true');
  });
});
