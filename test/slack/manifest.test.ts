import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { USAGE } from '../../adapters/chat/command-grammar.js';
import { slackRefs } from '../../adapters/slack/slack-adapter.js';
import { loadConfig } from '../../src/config.js';
import { SLACK_SCOPES } from '../../src/doctor/checks/slack.js';

/** The Slack app manifest (manifest/slack/manifest.yaml) checked against the code it configures. */

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const read = (path: string) => readFileSync(root(path), 'utf8');

interface SlashCommand { command: string; url: string; description: string; usage_hint: string; should_escape: boolean }
interface Manifest {
  _metadata: { major_version: number; minor_version: number };
  display_information: { name: string; description: string; long_description: string; background_color: string };
  features: {
    app_home: { home_tab_enabled: boolean; messages_tab_enabled: boolean; messages_tab_read_only_enabled: boolean };
    bot_user: { display_name: string; always_online: boolean };
    slash_commands: SlashCommand[];
  };
  oauth_config: { scopes: { bot: string[]; user?: string[] } };
  settings: {
    interactivity: { is_enabled: boolean; request_url: string; message_menu_options_url: string };
    org_deploy_enabled: boolean;
    socket_mode_enabled: boolean;
    token_rotation_enabled: boolean;
  };
}

const manifest = parse(read('manifest/slack/manifest.yaml')) as Manifest;

/** Every bot scope Elevate needs, and why. The manifest must ask for exactly these. */
const EXPECTED_SCOPES: Record<string, string> = {
  commands: 'the /elevate slash command',
  'chat:write': 'chat.postMessage, chat.update, chat.postEphemeral: cards, DMs and private replies',
  'chat:write.public': 'posting to the audit channel and approvers channels without joining them',
  'im:write': 'conversations.open: the DM channel with each approver and requester',
  'users:read': 'users.info: display names, deactivated users and bots',
  'users:read.email': 'users.info profile.email: the verified address used for identity linking',
  'usergroups:read': 'usergroups.users.list: Slack user groups as approver groups',
};

/** Each Web API method Elevate calls and the bot scopes it needs (Slack's method reference). */
const METHOD_SCOPES: Record<string, string[]> = {
  'auth.test': [], // Bolt, at start-up (app.init), and the adapter: the workspace to pin
  'bots.info': ['users:read'], // the app id every request must name
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'views.open': [],
  'views.update': [],
  // The Home tab (https://api.slack.com/methods/views.publish): no scope, the app_home feature.
  'views.publish': [],
  'conversations.open': ['im:write'],
  'users.info': ['users:read', 'users:read.email'],
  'usergroups.users.list': ['usergroups:read'],
};

/** Web API methods called as `client.<family>.<method>(` in the Slack adapter's sources. */
function methodsCalledByAdapter(): string[] {
  const found = new Set<string>();
  for (const file of readdirSync(root('adapters/slack')).filter((f) => f.endsWith('.ts'))) {
    for (const match of read(`adapters/slack/${file}`).matchAll(/\bclient\.((?:[a-z]+\.)+[a-zA-Z]+)\(/g)) found.add(match[1]!);
  }
  return [...found].sort();
}

/** The path the adapter serves, read from its source, and the route main.ts mounts. */
function servedPaths(): { adapter: string; server: string } {
  const adapter = /endpoints:\s*'([^']+)'/.exec(read('adapters/slack/slack-adapter.ts'))?.[1];
  const server = /http\.route\('POST',\s*'([^']+)',\s*slack\.handle\)/.exec(read('src/main.ts'))?.[1];
  if (!adapter || !server) throw new Error('cannot find the Slack endpoint in slack-adapter.ts or main.ts');
  return { adapter, server };
}

const command = manifest.features.slash_commands[0]!;

describe('Slack manifest', () => {
  it('uses the current manifest format', () => {
    expect(manifest._metadata).toEqual({ major_version: 1, minor_version: 1 });
  });

  it('asks for exactly the bot scopes the code needs, and no user scopes', () => {
    const scopes = manifest.oauth_config.scopes.bot;
    expect(new Set(scopes).size).toBe(scopes.length);
    expect([...scopes].sort()).toEqual(Object.keys(EXPECTED_SCOPES).sort());
    // elevate doctor checks a token for exactly these.
    expect(Object.keys(SLACK_SCOPES).sort()).toEqual(Object.keys(EXPECTED_SCOPES).sort());
    expect(manifest.oauth_config.scopes.user ?? []).toEqual([]);
  });

  it('covers every Web API method the Slack adapter calls', () => {
    const called = methodsCalledByAdapter();
    expect(called.length).toBeGreaterThan(0);
    // A new method must be added to METHOD_SCOPES (and its scope to the manifest) before it ships.
    expect(called.filter((method) => !(method in METHOD_SCOPES))).toEqual([]);
    const needed = new Set([...called, 'auth.test'].flatMap((method) => METHOD_SCOPES[method]!));
    for (const scope of needed) expect(Object.keys(EXPECTED_SCOPES)).toContain(scope);
  });

  it('declares the one slash command, the same as the SLACK_COMMAND default', () => {
    expect(manifest.features.slash_commands).toHaveLength(1);
    expect(command.command).toBe(loadConfig({}).SLACK_COMMAND);
  });

  it('points every URL at the path the adapter serves, over HTTPS', () => {
    const { adapter, server } = servedPaths();
    expect(server).toBe(adapter);
    const urls = [command.url, manifest.settings.interactivity.request_url, manifest.settings.interactivity.message_menu_options_url];
    for (const url of urls) {
      expect(url).toMatch(/^https:\/\//);
      expect(new URL(url).pathname).toBe(adapter);
      expect(url.endsWith('/slack/events')).toBe(true);
    }
    expect(new Set(urls).size).toBe(1);
  });

  it('enables interactivity and HTTP delivery (Socket Mode is a development switch)', () => {
    expect(manifest.settings).toMatchObject({
      interactivity: { is_enabled: true },
      org_deploy_enabled: false,
      socket_mode_enabled: false,
      token_rotation_enabled: false,
    });
  });

  it('escapes mentions, so Slack sends the ids Elevate parses', () => {
    expect(command.should_escape).toBe(true);
    // What Slack sends with escaping on, for `@ursula` and `#sec-approvals`:
    expect(slackRefs.principal('<@U0123ABCD|ursula>')).toBe('slack:U0123ABCD');
    expect(slackRefs.channel('<#C0123ABCD|sec-approvals>')).toBe('slack:C0123ABCD');
  });

  it('has a bot user that can DM people', () => {
    expect(manifest.features.bot_user).toEqual({ display_name: 'elevate', always_online: true });
    expect(manifest.features.app_home).toMatchObject({ messages_tab_enabled: true, messages_tab_read_only_enabled: false });
  });

  it('offers only subcommands the grammar knows, and all of them, in the usage hint', () => {
    const named = command.usage_hint.split(' | ').map((part) => part.split(' ')[0]!);
    expect([...named].sort()).toEqual(Object.keys(USAGE).sort());
  });

  it("stays within Slack's text limits", () => {
    const info = manifest.display_information;
    expect(info.name).toBe('Elevate');
    expect(info.name.length).toBeLessThanOrEqual(35);
    expect(info.description.length).toBeGreaterThan(0);
    expect(info.description.length).toBeLessThanOrEqual(139);
    expect(info.long_description.length).toBeLessThanOrEqual(4000);
    expect(info.background_color).toMatch(/^#[0-9a-fA-F]{6}$/);
    expect(manifest.features.bot_user.display_name).toMatch(/^[a-z0-9._-]{1,80}$/);
    expect(command.command.length).toBeLessThanOrEqual(32);
    expect(command.description.length).toBeGreaterThan(0);
    expect(command.description.length).toBeLessThanOrEqual(2000);
    expect(command.usage_hint.length).toBeLessThanOrEqual(1000);
  });

  it('enables the Home tab and subscribes to app_home_opened at the events endpoint (the adapter publishes the Home tab)', () => {
    const m = manifest as unknown as { features: { app_home: { home_tab_enabled: boolean } }; settings: { event_subscriptions: { request_url: string; bot_events: string[] } } };
    expect(m.features.app_home.home_tab_enabled).toBe(true);
    expect(m.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
    expect(new URL(m.settings.event_subscriptions.request_url).pathname).toBe('/slack/events');
    expect(read('adapters/slack/slack-adapter.ts')).toContain("app.event('app_home_opened'");
  });
});

