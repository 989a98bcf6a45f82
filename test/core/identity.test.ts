import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NotAllowedError } from '../../src/core/errors.js';
import type { Actor } from '../../src/core/ports.js';
import { createTestEngine, SLACK_APP, SLACK_TEAM, TEAMS_TENANT, type TestEngine } from '../helpers/engine.js';

const SEARCH = 'Exchange\\Search-Mailbox';
const EXAMPLE = { linkEmailDomains: ['example.com'] };

let t: TestEngine;
afterEach(async () => t.close());

async function seedApprovers(engine: TestEngine, members: string[], approvalsRequired = 1) {
  await engine.elevate.bootstrap({ admins: ['slack:UALICE'], auditors: [] });
  await engine.elevate.createGroup(engine.operator, 'approvers');
  for (const member of members) await engine.elevate.addGroupMember(engine.operator, 'approvers', member);
  await engine.elevate.createPolicy(engine.operator, {
    target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: 'manual', approverGroup: 'approvers', approvalsRequired, reasonRequired: false,
  });
}

const audit = (engine: TestEngine, action: string) => engine.store.listAudit({ action, limit: 100 });

describe('strangers get nothing', () => {
  beforeEach(async () => { t = await createTestEngine(); });

  it.each([
    ['another workspace', { platform: 'slack' as const, appId: SLACK_APP, teamId: 'T0OTHER' }, /workspace T0OTHER is not the connected workspace T1/],
    ['another app', { platform: 'slack' as const, appId: 'A0EVIL', teamId: SLACK_TEAM }, /app A0EVIL/],
    ['a shared channel member of another org', { platform: 'slack' as const, appId: SLACK_APP, teamId: SLACK_TEAM, userTeamId: 'T0OTHER' }, /workspace T0OTHER/],
    ['no workspace at all', { platform: 'slack' as const, appId: SLACK_APP }, /names no workspace/],
  ])('a Slack account from %s is refused and audited, and no principal is made', async (_, origin, reason) => {
    const attempt = t.elevate.identify({ identity: 'slack:UDAVE', origin, profile: { displayName: 'Dave', verifiedEmail: 'dave@example.com', standing: 'active' } });
    await expect(attempt).rejects.toThrow(/this workspace is not connected to Elevate/);
    await expect(attempt).rejects.toBeInstanceOf(NotAllowedError);
    expect(await t.store.read((tx) => tx.findPrincipalByIdentity('slack:UDAVE'))).toBeUndefined();
    const [refused] = await audit(t, 'identity.refused');
    expect(refused).toMatchObject({ actor: 'system', subject: 'slack:UDAVE', origin: 'slack' });
    expect(String(refused!.details.reason)).toMatch(reason);
  });

  it('a Slack account whose own workspace (users.info) is elsewhere is a stranger even in a pinned request', async () => {
    await expect(t.elevate.identify({
      identity: 'slack:UEXT', origin: { platform: 'slack', appId: SLACK_APP, teamId: SLACK_TEAM },
      profile: { displayName: 'Ext', verifiedEmail: null, standing: 'active', home: { userTeamId: 'T0OTHER' } },
    })).rejects.toThrow(/not connected/);
  });

  it('a Teams account of another tenant is refused', async () => {
    await expect(t.elevate.identify({
      identity: 'teams:aad-bob', origin: { platform: 'teams', tenantIds: ['11111111-1111-4111-8111-111111111111'] },
      profile: { displayName: 'Bob', verifiedEmail: 'bob@example.com', standing: 'active' },
    })).rejects.toThrow(/organisation is not connected/);
    await expect(t.elevate.identify({
      identity: 'teams:aad-bob', origin: { platform: 'teams', tenantIds: [TEAMS_TENANT, '11111111-1111-4111-8111-111111111111'] },
      profile: { displayName: 'Bob', verifiedEmail: null, standing: 'active' },
    })).rejects.toThrow(/not connected/);
  });

  it.each([['deactivated', /deactivated/], ['guest', /guest accounts/], ['bot', /bots/], ['unknown', /not a member/]] as const)(
    'a %s account gets no principal', async (standing, message) => {
      await expect(t.identify('slack:UX', { standing })).rejects.toThrow(message);
      expect(await t.store.read((tx) => tx.findPrincipalByIdentity('slack:UX'))).toBeUndefined();
    },
  );

  it('a chat identity without its installation is refused', async () => {
    await expect(t.elevate.identify({ identity: 'slack:U1', profile: { displayName: null, verifiedEmail: null, standing: 'active' } }))
      .rejects.toBeInstanceOf(InvalidInputError);
  });

  it('when the platform cannot be asked, a known account goes on and an unknown one is told to retry', async () => {
    const known = await t.identify('slack:UKNOWN');
    const origin = { platform: 'slack' as const, appId: SLACK_APP, teamId: SLACK_TEAM };
    expect((await t.elevate.identify({ identity: 'slack:UKNOWN', origin, profile: null })).actor.principalId).toBe(known.principalId);
    await expect(t.elevate.identify({ identity: 'slack:UNEW', origin, profile: null })).rejects.toThrow(/try again/);
  });

  it('a flood of refusals writes a few records and then one summary per source and minute', async () => {
    for (let i = 0; i < 40; i++) {
      await t.elevate.identify({ identity: `slack:U${i}X`, origin: { platform: 'slack', appId: SLACK_APP, teamId: 'T0OTHER' }, profile: null }).catch(() => undefined);
    }
    expect(await audit(t, 'identity.refused')).toHaveLength(5);
    t.clock.advance(61);
    await t.elevate.flushRefusals();
    const [summary] = await audit(t, 'identity.refused.summary');
    expect(summary).toMatchObject({ subject: 'T0OTHER', details: expect.objectContaining({ count: 35 }) });
  });
});

describe('linking identities', () => {
  it('records who a new account is, audited, and keeps its verified address and name current', async () => {
    t = await createTestEngine();
    const ann = await t.identify('slack:U1', { displayName: 'Ann', verifiedEmail: 'Ann@Example.com' });
    expect(await audit(t, 'principal.created')).toEqual([expect.objectContaining({ subject: ann.principalId, actorIdentity: `slack:U1@${SLACK_TEAM}` })]);
    await t.identify('slack:U1', { displayName: 'Ann B', verifiedEmail: 'ann.b@example.com' });
    expect((await audit(t, 'principal.emailChanged'))[0]!.details).toMatchObject({ from: 'ann@example.com', to: 'ann.b@example.com' });
    expect((await audit(t, 'principal.renamed'))[0]!.details).toMatchObject({ from: 'Ann', to: 'Ann B' });
    await t.identify('slack:U1', { displayName: 'Ann B', verifiedEmail: 'ann.b@example.com' });
    expect(await audit(t, 'principal.renamed')).toHaveLength(1);
  });

  it('without ELEVATE_LINK_EMAIL_DOMAINS, a shared verified address links nothing', async () => {
    t = await createTestEngine();
    const slack = await t.identify('slack:U1', { verifiedEmail: 'ann@example.com' });
    const teams = await t.identify('teams:aad-ann', { verifiedEmail: 'ann@example.com' });
    expect(teams.principalId).not.toBe(slack.principalId);
    expect((await audit(t, 'principal.linkWithheld'))[0]!.details.reason).toMatch(/not in ELEVATE_LINK_EMAIL_DOMAINS/);
  });

  it('with the domain configured, links into a principal that holds nothing; never outside the domains', async () => {
    t = await createTestEngine({ config: EXAMPLE });
    const slack = await t.identify('slack:U1', { verifiedEmail: 'ann@example.com' });
    const teams = await t.identify('teams:aad-ann', { verifiedEmail: 'ANN@example.com' });
    expect(teams.principalId).toBe(slack.principalId);
    expect((await audit(t, 'principal.linked'))[0]).toMatchObject({ subject: slack.principalId, details: expect.objectContaining({ identity: 'teams:aad-ann', by: 'verified email' }) });
    const bo = await t.identify('slack:U2', { verifiedEmail: 'bo@elsewhere.test' });
    expect((await t.identify('teams:aad-bo', { verifiedEmail: 'bo@elsewhere.test' })).principalId).not.toBe(bo.principalId);
  });

  it('never links automatically into a principal that holds something: the new account is told to use a code', async () => {
    t = await createTestEngine({ config: EXAMPLE });
    await seedApprovers(t, ['slack:UERIN', 'slack:UCAROL']);
    await t.identify('slack:UERIN', { verifiedEmail: 'erin@example.com' });
    const squatter = await t.identify('teams:aad-erin', { verifiedEmail: 'erin@example.com' });
    const erin = await t.elevate.principalFor('slack:UERIN');
    expect(squatter.principalId).not.toBe(erin.id);
    expect((await audit(t, 'principal.linkWithheld'))[0]!.details.reason).toMatch(/member of group approvers/);
    // The engine's chat port is Slack only; the notice waits in the outbox for Teams.
    const queued = await t.db.selectFrom('outbox').select(['platform', 'card_json']).where('platform', '=', 'teams').execute();
    expect(queued.some((row) => row.card_json?.includes('Link your accounts'))).toBe(true);
  });

  it('an address two principals have names nobody: references to it are refused with the candidates', async () => {
    t = await createTestEngine();
    const one = await t.identify('slack:U1', { verifiedEmail: 'pat@example.com' });
    const two = await t.identify('teams:aad-pat', { verifiedEmail: 'pat@example.com' });
    await t.elevate.bootstrap({ admins: ['slack:UALICE'], auditors: [] });
    await expect(t.elevate.addGroupMember(t.operator, 'admins', 'pat@example.com')).rejects.toThrow(new RegExp(`${one.principalId}.*${two.principalId}`));
    expect(t.elevate.checkAuthorization('pat@example.com', SEARCH).allowed).toBe(false);
  });
});

describe('one person, one vote', () => {
  it('an approver cannot approve a request made from their other, unlinked account (same verified address)', async () => {
    t = await createTestEngine();
    await seedApprovers(t, ['slack:UFRANK', 'slack:UCAROL']);
    const frankOnTeams = await t.identify('teams:aad-frank', { verifiedEmail: 'frank@example.com' });
    const { request } = await t.elevate.requestAccess(frankOnTeams, { target: SEARCH, reason: 'INC-1' });
    const frankOnSlack = await t.identify('slack:UFRANK', { verifiedEmail: 'frank@example.com' });
    await expect(t.elevate.approve(frankOnSlack, { requestId: request.id })).rejects.toThrow(/made by another account of yours \(teams:aad-frank\)/);
    expect((await t.elevate.getRequest(t.operator, request.id)).request.status).toBe('pending');
    expect((await audit(t, 'request.approve.refused'))[0]).toMatchObject({ actor: frankOnSlack.principalId, actorIdentity: `slack:UFRANK@${SLACK_TEAM}` });
  });

  it('two accounts of one approver count once toward N of M', async () => {
    t = await createTestEngine();
    await seedApprovers(t, ['slack:UDAVE', 'teams:aad-dave', 'slack:UCAROL'], 2);
    const ursula = await t.identify('slack:UURSULA');
    const { request } = await t.elevate.requestAccess(ursula, { target: SEARCH, reason: 'INC-2' });
    const daveSlack = await t.identify('slack:UDAVE', { verifiedEmail: 'dave@example.com' });
    const daveTeams = await t.identify('teams:aad-dave', { verifiedEmail: 'dave@example.com' });
    expect((await t.elevate.approve(daveSlack, { requestId: request.id })).outcome).toBe('recorded');
    await expect(t.elevate.approve(daveTeams, { requestId: request.id })).rejects.toThrow(new RegExp(`already approved request ${request.id} as slack:UDAVE`));
    const carol = await t.identify('slack:UCAROL', { verifiedEmail: 'carol@example.com' });
    expect((await t.elevate.approve(carol, { requestId: request.id })).outcome).toBe('approved');
  });

  it('an approval counts once after its account is linked to another approver who approves too', async () => {
    t = await createTestEngine();
    await seedApprovers(t, ['slack:UDAVE', 'teams:aad-dave2', 'slack:UCAROL'], 2);
    const { request } = await t.elevate.requestAccess(await t.identify('slack:UURSULA'), { target: SEARCH, reason: 'INC-3' });
    await t.elevate.approve(await t.identify('teams:aad-dave2'), { requestId: request.id });
    await t.elevate.removeGroupMember(t.operator, 'approvers', 'teams:aad-dave2');
    await t.elevate.linkPrincipal(t.operator, 'slack:UDAVE', 'teams:aad-dave2');
    await expect(t.elevate.approve(await t.identify('slack:UDAVE'), { requestId: request.id })).rejects.toThrow(/already approved/);
  });

  it('revoking one\'s own grant as an approver is allowed (it only removes access)', async () => {
    t = await createTestEngine();
    await seedApprovers(t, ['slack:UCAROL', 'slack:UDAVE']);
    const carol = await t.identify('slack:UCAROL');
    const { request } = await t.elevate.requestAccess(carol, { target: SEARCH, reason: 'INC-4' });
    const { grant } = await t.elevate.approve(await t.identify('slack:UDAVE'), { requestId: request.id });
    expect((await t.elevate.revokeGrant(carol, { grantId: grant!.id })).status).toBe('revoked');
  });
});

describe('link codes', () => {
  beforeEach(async () => { t = await createTestEngine(); });

  async function code(actor: Actor): Promise<string> {
    return (await t.elevate.startLink(actor)).code;
  }

  it('a code shown on Slack and typed on Teams makes one person; the one holding roles keeps them', async () => {
    await seedApprovers(t, ['slack:UFRANK', 'slack:UCAROL']);
    const slack = await t.identify('slack:UFRANK', { displayName: 'Frank' });
    const teams = await t.identify('teams:aad-frank');
    const shown = await code(slack);
    expect(shown).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const done = await t.elevate.completeLink(teams, shown.toLowerCase());
    expect(done.principal.id).toBe(slack.principalId);
    expect(done.principal.identities).toEqual(['slack:UFRANK', 'teams:aad-frank']);
    expect((await audit(t, 'principal.linked'))[0]!.details).toMatchObject({ identity: 'teams:aad-frank', by: 'code', shownTo: 'slack:UFRANK', typedBy: 'teams:aad-frank' });
    // The holder of roles is the one typing: the other account joins it instead.
    const other = await t.identify('slack:UOTHER');
    const teamsAdmin = await t.identify('teams:aad-other');
    await t.elevate.addGroupMember(t.operator, 'approvers', 'teams:aad-other');
    expect((await t.elevate.completeLink(teamsAdmin, await code(other))).principal.id).toBe(teamsAdmin.principalId);
  });

  it('refuses an expired, a reused, an unknown and a same-platform code, and counts the attempts', async () => {
    const slack = await t.identify('slack:U1');
    const teams = await t.identify('teams:aad-1');
    const expiring = await code(slack);
    t.clock.advance(601);
    await expect(t.elevate.completeLink(teams, expiring)).rejects.toThrow(/expired/);
    const sameSide = await code(slack);
    await expect(t.elevate.completeLink(await t.identify('slack:U2'), sameSide)).rejects.toThrow(/shown on slack: type it on your other platform/);
    await expect(t.elevate.completeLink(teams, 'ZZZZ-ZZZZ')).rejects.toThrow(/not valid/);
    await expect(t.elevate.completeLink(teams, 'not-a-code!')).rejects.toBeInstanceOf(InvalidInputError);
    const good = await code(slack);
    await t.elevate.completeLink(teams, good);
    await expect(t.elevate.completeLink(await t.identify('teams:aad-3'), good)).rejects.toThrow(/already used/);
    expect((await audit(t, 'link.refused')).map((r) => r.details.reason)).toEqual(['code expired', 'wrong platform', 'unknown code', 'code already used']);
  });

  it('a guesser gets five wrong codes per quarter hour, then even the right one is refused', async () => {
    const slack = await t.identify('slack:U1');
    const teams = await t.identify('teams:aad-1');
    const right = await code(slack);
    for (let i = 0; i < 5; i++) await expect(t.elevate.completeLink(teams, `WRONG00${i}`)).rejects.toThrow(/not valid/);
    await expect(t.elevate.completeLink(teams, right)).rejects.toThrow(/too many wrong link codes/);
    t.clock.advance(15 * 60 + 1);
    // The right code has expired meanwhile (10 minutes): the person asks for a new one.
    expect((await t.elevate.completeLink(teams, await code(slack))).principal.id).toBe(slack.principalId);
  });

  it('shows at most five codes per account per ten minutes', async () => {
    const slack = await t.identify('slack:U1');
    for (let i = 0; i < 5; i++) await code(slack);
    await expect(code(slack)).rejects.toThrow(/use one of them, or wait/);
  });

  it('refuses to link two accounts that both hold something', async () => {
    await seedApprovers(t, ['slack:UFRANK', 'teams:aad-frank']);
    const shown = await code(await t.identify('slack:UFRANK'));
    await expect(t.elevate.completeLink(await t.identify('teams:aad-frank'), shown)).rejects.toThrow(/both accounts hold something/);
  });

  it('the check index answers for a linked account at once, and on another instance after a refresh', async () => {
    await seedApprovers(t, ['slack:UCAROL', 'slack:UDAVE']);
    await t.elevate.createPolicy(t.operator, { target: { type: 'role', scope: 'Exchange', name: 'Exchange\\Auto' }, approval: 'auto', approverGroup: 'approvers', reasonRequired: false });
    const slack = await t.identify('slack:UURSULA');
    await t.elevate.requestAccess(slack, { target: 'Exchange\\Auto' });
    const other = await createTestEngine({ db: t.db });
    await other.elevate.authorizations.refresh();
    expect(t.elevate.checkAuthorization('teams:aad-ursula', 'Exchange\\Auto').allowed).toBe(false);
    await t.elevate.completeLink(await t.identify('teams:aad-ursula'), await code(slack));
    expect(t.elevate.checkAuthorization('teams:aad-ursula', 'Exchange\\Auto').allowed).toBe(true);
    await other.elevate.authorizations.refresh();
    expect(other.elevate.checkAuthorization('teams:aad-ursula', 'Exchange\\Auto').allowed).toBe(true);
    await t.elevate.unlinkPrincipal(t.operator, 'teams:aad-ursula');
    expect(t.elevate.checkAuthorization('teams:aad-ursula', 'Exchange\\Auto').allowed).toBe(false);
    expect(t.elevate.checkAuthorization('slack:UURSULA', 'Exchange\\Auto').allowed).toBe(true);
  });
});

describe('admins link and unlink accounts', () => {
  beforeEach(async () => { t = await createTestEngine(); });

  it('links an account never seen, refuses one whose principal holds something, unlinks', async () => {
    await seedApprovers(t, ['slack:UCAROL', 'teams:aad-busy']);
    const outcome = await t.elevate.linkPrincipal(t.operator, 'slack:UCAROL', 'teams:aad-carol');
    expect(outcome.status).toBe('applied');
    expect((await t.elevate.principalFor('teams:aad-carol')).identities).toEqual(['slack:UCAROL', 'teams:aad-carol']);
    await expect(t.elevate.linkPrincipal(t.operator, 'slack:UCAROL', 'teams:aad-busy')).rejects.toThrow(/holds member of group approvers/);
    await t.elevate.unlinkPrincipal(t.operator, 'teams:aad-carol');
    expect((await t.elevate.principalFor('teams:aad-carol')).identities).toEqual(['teams:aad-carol']);
    await expect(t.elevate.unlinkPrincipal(t.operator, 'teams:aad-carol')).rejects.toThrow(/only account/);
    const details = await t.elevate.getPrincipal(t.operator, 'slack:UCAROL');
    expect(details.holds).toEqual(['member of group approvers']);
  });

  it('under protected configuration a link is a request another admin approves', async () => {
    await t.elevate.bootstrap({ admins: ['slack:UALICE', 'slack:UBOB'], auditors: [] });
    const alice = await t.identify('slack:UALICE');
    const outcome = await t.elevate.linkPrincipal(alice, 'slack:UALICE', 'teams:aad-alice');
    expect(outcome.status).toBe('pending');
    expect((await t.elevate.principalFor('teams:aad-alice')).identities).toEqual(['teams:aad-alice']);
    if (outcome.status !== 'pending') throw new Error('expected a request');
    await t.elevate.approve(await t.identify('slack:UBOB'), { requestId: outcome.request.id });
    expect((await t.elevate.principalFor('slack:UALICE')).identities).toEqual(['slack:UALICE', 'teams:aad-alice']);
  });
});
