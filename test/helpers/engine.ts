import { pino } from 'pino';
import { DEFAULT_MAX_GRANT_SECONDS, type EngineConfig } from '../../src/core/context.js';
import { keyringFromSecret } from '../../src/keys.js';
import { Re2Patterns } from '../../src/patterns.js';
import { Elevate } from '../../src/core/elevate.js';
import type { Kysely } from 'kysely';
import type { Actor, HookPort, IdSource, OnCallDirectory } from '../../src/core/ports.js';
import type { Database } from '../../src/store/database.js';
import { OutboxDispatcher } from '../../src/delivery/dispatcher.js';
import { KyselyStore, type StoreDialect } from '../../src/store/kysely-store.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { openSqlite } from '../../src/store/sqlite.js';
import { FakeClock, LiveClock } from '../fakes/fake-clock.js';
import { FakeDirectory } from '../fakes/fake-directory.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { SequentialIds } from '../fakes/sequential-ids.js';
import type { PlatformProfile } from '../../src/core/use-cases/identify-principal.js';

export const silentLogger = pino({ level: 'silent' });

/** The Slack workspace and app, and the Teams tenant, a test engine serves. */
export const SLACK_TEAM = 'T1';
export const SLACK_APP = 'A1';
export const TEAMS_TENANT = '00000000-0000-4000-8000-0000000000aa';

export const testConfig: EngineConfig = {
  keys: keyringFromSecret('test-signing-key-0123456789abcdef0123456789'),
  maxGrantSeconds: DEFAULT_MAX_GRANT_SECONDS,
  requestTimeoutSeconds: 24 * 3600,
  defaultApproverGroup: 'admins',
  expiryWarningSeconds: 15 * 60,
  reminderAfterSeconds: 3600,
  feedPlatforms: ['slack'],
};

/**
 * A whole engine on a fresh in-memory SQLite database, with a fake clock and a recording chat.
 * With `db`, on that (migrated) database instead, of kind `dialect`: several engines on one
 * database stand for several instances (give them distinct `ids`, e.g. randomIds).
 * `hooks`: the HookPort the dispatcher runs provisioning hooks with (none: hook calls wait).
 */
export async function createTestEngine(options: {
  config?: Partial<EngineConfig>; path?: string; db?: Kysely<Database>; dialect?: StoreDialect; clock?: FakeClock | LiveClock; ids?: IdSource; owner?: string;
  hooks?: HookPort; leaseSeconds?: number; onCall?: OnCallDirectory;
} = {}) {
  const db = options.db ?? openSqlite(options.path ?? ':memory:');
  if (!options.db) await migrateToLatest(db);
  const clock = options.clock ?? new FakeClock();
  const store = new KyselyStore(db, options.dialect ?? 'sqlite', { clock });
  const ids = options.ids ?? new SequentialIds();
  const directory = new FakeDirectory();
  const elevate = new Elevate({ store, clock, ids, directory, onCall: options.onCall, patterns: new Re2Patterns(), config: { ...testConfig, ...options.config } });
  elevate.pinInstallation({ platform: 'slack', appId: SLACK_APP, teamId: SLACK_TEAM, enterpriseId: null, orgWide: false });
  elevate.pinInstallation({ platform: 'teams', tenantIds: [TEAMS_TENANT] });
  const chat = new RecordingChat('slack');
  const dispatcher = new OutboxDispatcher({
    store, ports: [chat], clock, logger: silentLogger, owner: options.owner ?? 'test', paceMs: { slack: 0 }, maxAttempts: 5,
    leaseSeconds: options.leaseSeconds,
    hooks: options.hooks && { port: options.hooks, record: async (report) => (await elevate.recordHookAttempt(report)).verdict, wanted: (event) => elevate.hookCallWanted(event) },
  });
  const operator: Actor = { kind: 'operator', origin: 'cli' };
  const as = async (identity: string): Promise<Actor> => ({
    kind: 'principal', principalId: (await elevate.principalFor(identity)).id, origin: 'cli',
  });
  /** Delivers everything due now (repeats until the outbox has nothing due). */
  const deliverAll = async () => {
    let total = 0;
    for (let n = await dispatcher.runOnce(); n > 0; n = await dispatcher.runOnce()) total += n;
    return total;
  };
  /**
   * A chat user of the pinned Slack workspace or Teams tenant, as the adapter would report them
   * (an active member unless `profile` says otherwise); returns the actor to act as.
   */
  const identify = async (identity: string, profile: Partial<PlatformProfile> = {}) => (await elevate.identify({
    identity,
    origin: identity.startsWith('teams:') ? { platform: 'teams', tenantIds: [TEAMS_TENANT] } : { platform: 'slack', appId: SLACK_APP, teamId: SLACK_TEAM },
    profile: { displayName: null, verifiedEmail: null, standing: 'active', ...profile },
  })).actor;
  return { db, store, clock, ids, directory, elevate, chat, dispatcher, operator, as, identify, deliverAll, close: () => db.destroy() };
}

export type TestEngine = Awaited<ReturnType<typeof createTestEngine>>;

/**
 * A typical setup: admins alice and bob; approvers carol, dave, erin; requester ursula; a manual
 * policy on Exchange\Search-Mailbox (1 approval, max 8h) and an auto one on Exchange\View-Only.
 */
export async function seedTypicalSetup(t: TestEngine) {
  await t.elevate.bootstrap({ admins: ['slack:UALICE'], auditors: ['slack:UAUDIT'] });
  await t.elevate.createGroup(t.operator, 'approvers');
  for (const member of ['slack:UCAROL', 'slack:UDAVE', 'slack:UERIN']) await t.elevate.addGroupMember(t.operator, 'approvers', member);
  await t.elevate.createPolicy(t.operator, {
    target: { type: 'task', scope: 'Exchange', name: 'Exchange\\Search-Mailbox' }, approval: 'manual',
    approverGroup: 'approvers', maxDurationSeconds: 8 * 3600, reasonHint: 'Give the incident number',
  });
  await t.elevate.createPolicy(t.operator, {
    target: { type: 'role', scope: 'Exchange', name: 'Exchange\\View-Only Recipients' }, approval: 'auto', approverGroup: 'approvers',
  });
  return {
    alice: await t.as('slack:UALICE'), carol: await t.as('slack:UCAROL'), dave: await t.as('slack:UDAVE'),
    erin: await t.as('slack:UERIN'), ursula: await t.as('slack:UURSULA'), mallory: await t.as('slack:UMALLORY'),
    auditor: await t.as('slack:UAUDIT'),
  };
}
