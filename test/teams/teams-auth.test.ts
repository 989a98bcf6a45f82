import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { FakeBotConnector } from '../fakes/fake-bot-connector.js';
import { silentLogger } from '../helpers/engine.js';
import { APP_ID, TENANT } from '../helpers/teams-harness.js';

/** Bot Framework's token issuer (the Teams SDK's public cloud `tokenIssuer`): the only one accepted. */
const ISSUER = 'https://api.botframework.com';
const KID = 'local-signing-key';

/**
 * Bot Framework's OpenID metadata on 127.0.0.1, as login.botframework.com serves it
 * ("Authenticate requests from the Bot Connector service to your bot": the metadata document names
 * the issuer and the `jwks_uri` whose keys sign the connector's tokens). Records what is fetched.
 */
class LocalOpenIdMetadata {
  readonly fetched: string[] = [];
  private constructor(private readonly server: Server, readonly metadataUrl: string) {}

  static async start(publicKey: KeyObject): Promise<LocalOpenIdMetadata> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/.well-known`;
    const metadata = new LocalOpenIdMetadata(server, `${base}/openidconfiguration`);
    const documents: Record<string, unknown> = {
      '/v1/.well-known/openidconfiguration': {
        issuer: ISSUER, authorization_endpoint: 'https://invalid.botframework.com', jwks_uri: `${base}/keys`,
        id_token_signing_alg_values_supported: ['RS256'], token_endpoint_auth_methods_supported: ['private_key_jwt'],
      },
      '/v1/.well-known/keys': { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KID, use: 'sig', alg: 'RS256' }] },
    };
    server.on('request', (req, res) => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      metadata.fetched.push(path);
      const document = documents[path];
      res.writeHead(document ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(document ?? { error: 'not found' }));
    });
    return metadata;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT signed with RS256 by `key` (or unsigned with `alg: none`). */
function jwt(claims: Record<string, unknown>, key: KeyObject | 'none', kid = KID): string {
  if (key === 'none') return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT', kid })}.${part(claims)}`;
  return `${unsigned}.${sign('sha256', Buffer.from(unsigned), key).toString('base64url')}`;
}

// Production's inbound validation (TEAMS_APP_PASSWORD set, no development flag): the Teams SDK
// checks the signature against Bot Framework's keys, the issuer, the audience (our app id), the
// expiry and the service URL. Here its keys come from a local OpenID metadata server: no network.
describe('Teams inbound authentication, with the real token validation', () => {
  const trusted = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let openId: LocalOpenIdMetadata;
  let connector: FakeBotConnector;
  let server: RunningServer;
  let activities = 0;

  const now = () => Math.floor(Date.now() / 1000);
  const validClaims = () => ({ iss: ISSUER, aud: APP_ID, nbf: now() - 60, exp: now() + 3600, serviceurl: connector.url });

  /** A `help` message from Ursula in her 1:1 chat, with `authorization` (none when undefined). */
  async function send(authorization: string | undefined) {
    const response = await fetch(`http://127.0.0.1:${server.port}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      body: JSON.stringify({
        type: 'message', id: `act-${++activities}`, text: 'help', channelId: 'msteams', serviceUrl: connector.url, timestamp: new Date().toISOString(),
        from: { id: '29:ursula', aadObjectId: 'aad-ursula', name: 'Ursula' }, recipient: { id: `28:${APP_ID}`, name: 'Elevate' },
        conversation: { id: 'a:personal-ursula', conversationType: 'personal', tenantId: TENANT }, channelData: { tenant: { id: TENANT } },
      }),
    });
    return response.status;
  }
  const replies = () => connector.activitiesIn('a:personal-ursula').length;

  beforeAll(async () => {
    openId = await LocalOpenIdMetadata.start(trusted.publicKey);
    connector = await FakeBotConnector.start({ tenantId: TENANT });
    connector.addUser({ id: '29:ursula', aadObjectId: 'aad-ursula', name: 'Ursula' });
    connector.addConversation({ id: 'a:personal-ursula', type: 'personal', members: ['29:ursula'] });
    server = await startServer(loadConfig({
      DATABASE_URL: ':memory:', ELEVATE_SIGNING_KEY: 'k'.repeat(40), PORT: '0', HOST: '127.0.0.1',
      TEAMS_APP_ID: APP_ID, TEAMS_APP_PASSWORD: 'secret', TEAMS_TENANT_ID: TENANT, TEAMS_SERVICE_URL: connector.url,
    }), { logger: silentLogger, teamsToken: (scope?: string) => connector.issueToken(scope), teamsOpenIdMetadataUrl: openId.metadataUrl });
  });
  afterAll(async () => {
    await server.stop();
    await connector.close();
    await openId.close();
  });

  it('accepts an activity signed by a Bot Framework key, for this bot, unexpired, and answers it', async () => {
    expect(await send(`Bearer ${jwt(validClaims(), trusted.privateKey)}`)).toBe(200);
    expect(replies()).toBe(1);
    // The keys were fetched from the metadata's keys document: the production path, pointed here.
    expect(openId.fetched).toContain('/v1/.well-known/keys');
  });

  it.each([
    ['no token', () => undefined],
    ['not a bearer token', () => 'Basic dXJzdWxhOnB3'],
    ['forged: signed by another key under the trusted key id', () => `Bearer ${jwt(validClaims(), stranger.privateKey)}`],
    ['signed by a key the metadata does not list', () => `Bearer ${jwt(validClaims(), stranger.privateKey, 'unknown-key')}`],
    ['unsigned (alg none)', () => `Bearer ${jwt(validClaims(), 'none')}`],
    ['for another audience', () => `Bearer ${jwt({ ...validClaims(), aud: '11111111-2222-4333-8444-555555555555' }, trusted.privateKey)}`],
    ['expired an hour ago (past the five-minute clock tolerance)', () => `Bearer ${jwt({ ...validClaims(), nbf: now() - 7200, exp: now() - 3600 }, trusted.privateKey)}`],
    ['from an unknown issuer', () => `Bearer ${jwt({ ...validClaims(), iss: 'https://sts.windows.net/attacker-tenant/' }, trusted.privateKey)}`],
    ['for another service URL than the activity names', () => `Bearer ${jwt({ ...validClaims(), serviceurl: 'https://smba.example.invalid/' }, trusted.privateKey)}`],
  ])('refuses an activity with a token %s: 401, nothing done', async (_name, authorization) => {
    const before = replies();
    expect(await send(authorization())).toBe(401);
    expect(replies()).toBe(before);
    // The same activity with a good token is answered: the refusal was about the token.
    expect(await send(`Bearer ${jwt(validClaims(), trusted.privateKey)}`)).toBe(200);
    expect(replies()).toBe(before + 1);
  });

  it('needs the client secret, or the explicit development flag, and the tenants it serves', () => {
    expect(() => loadConfig({ TEAMS_APP_ID: APP_ID, TEAMS_TENANT_ID: TENANT })).toThrow(/TEAMS_APP_PASSWORD: Teams needs the bot's client secret/);
    expect(() => loadConfig({ TEAMS_APP_ID: 'not-a-guid', TEAMS_APP_PASSWORD: 'x', TEAMS_TENANT_ID: TENANT })).toThrow(/TEAMS_APP_ID: must be the bot's Microsoft App ID/);
    expect(loadConfig({ TEAMS_APP_ID: APP_ID, TEAMS_ALLOW_UNAUTHENTICATED: 'true', TEAMS_TENANT_ID: TENANT }).TEAMS_ALLOW_UNAUTHENTICATED).toBe('true');
    expect(() => loadConfig({ TEAMS_APP_ID: APP_ID, TEAMS_APP_PASSWORD: 'x' })).toThrow(/TEAMS_TENANT_ID: name the Entra tenant/);
    expect(() => loadConfig({ TEAMS_APP_ID: APP_ID, TEAMS_APP_PASSWORD: 'x', TEAMS_TENANT_ID: 'contoso' })).toThrow(/TEAMS_TENANT_ID.*GUID/);
    expect(loadConfig({ TEAMS_APP_ID: APP_ID, TEAMS_APP_PASSWORD: 'x', TEAMS_TENANT_ID: `${TENANT.toUpperCase()}, 11111111-1111-4111-8111-111111111111` }).TEAMS_TENANT_ID)
      .toEqual([TENANT, '11111111-1111-4111-8111-111111111111']);
  });

  it('refuses to start in development mode with a client secret: a forged activity could send the bot token anywhere', () => {
    expect(() => loadConfig({ TEAMS_APP_ID: APP_ID, TEAMS_APP_PASSWORD: 'secret', TEAMS_ALLOW_UNAUTHENTICATED: 'true', TEAMS_TENANT_ID: TENANT }))
      .toThrow(/TEAMS_ALLOW_UNAUTHENTICATED=true is for development without credentials/);
  });
});
