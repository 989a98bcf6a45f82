import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { startTeamsHarness, USERS, type TeamsHarness } from '../helpers/teams-harness.js';

const SEARCH = 'Exchange\\Search-Mailbox';
let h: TeamsHarness;

/** Every string in a value, with the card markdown escapes (\\x) taken out, one per line. */
function texts(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\\(.)/g, '$1').replace(/\u00a0/g, ' ');
  if (Array.isArray(value)) return value.map(texts).join('\n');
  if (value && typeof value === 'object') return Object.values(value).map(texts).join('\n');
  return '';
}

// Every scenario runs on SQLite and on PostgreSQL (when reachable; see test/helpers/databases.ts).
describe.each(await databases())('on %s', (database) => {
  beforeEach(async () => {
    h = await startTeamsHarness({ database });
    await h.elevate.createGroup(h.operator, 'approvers');
    for (const user of [USERS.carol!, USERS.dave!]) await h.elevate.addGroupMember(h.operator, 'approvers', `teams:${user.aad}`);
    await h.elevate.createGroup(h.operator, 'oncall');
    await h.elevate.addGroupMember(h.operator, 'oncall', `teams:${USERS.ursula!.aad}`);
    await h.elevate.createPolicy(h.operator, {
      target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: 'manual', approverGroup: 'approvers', maxDurationSeconds: 8 * 3600, breakGlassGroup: 'oncall',
    });
  });
  afterEach(async () => h.close());

  it('break glass from the form: the warning names who is alerted, its button grants at once, the alert card with Revoke, Acknowledge and Flag', async () => {
    // Approvers who talked to Elevate before get the alert in their personal chat.
    for (const user of [USERS.carol!, USERS.dave!]) await h.say(user, 'home');
    await h.say(USERS.ursula!, 'request');
    const form = JSON.stringify(h.connector.activitiesIn(h.personal(USERS.ursula!)).at(-1)!.activity);
    expect(form).toContain('"id":"mode"');
    expect(form).toContain('Break glass: access now, without approval');
    const policyId = (await h.elevate.listPolicies())[0]!.id;

    const stranger = await h.invoke(USERS.mallory!, 'form.request', { target: policyId, reason: 'INC-42', mode: 'breakGlass' });
    expect(texts(stranger.body)).toContain(`nly members of oncall may break glass on ${SEARCH}`);
    const warning = await h.invoke(USERS.ursula!, 'form.request', { target: policyId, duration: '', reason: 'INC-42 mailbox outage', mode: 'breakGlass' });
    const shown = texts(warning.body);
    expect(shown).toContain('This alerts the 2 approver(s) of approvers, the 1 admin(s) and the audit feed (teams) now');
    expect(JSON.stringify(warning.body)).toContain('"verb":"breakGlass.confirm"');
    expect(await h.elevate.listGrants(h.operator, {})).toEqual([]);

    // The second click: the warning's button, with what was asked.
    const data = ((warning.body as { value: { actions: Array<{ data: Record<string, unknown> }> } }).value.actions[0]!).data;
    const confirmed = await h.invoke(USERS.ursula!, 'breakGlass.confirm', data);
    expect(texts(confirmed.body)).toMatch(/^Break-glass: you have Exchange\\Search-Mailbox until/m);
    const [grant] = await h.elevate.listGrants(h.operator, {});
    expect(grant).toMatchObject({ status: 'active', breakGlass: true });
    expect(h.elevate.checkAuthorization(`teams:${USERS.ursula!.aad}`, SEARCH)).toMatchObject({ allowed: true, breakGlass: true });
    await h.deliver();
    for (const user of [USERS.carol!, USERS.dave!]) {
      const alert = h.connector.activitiesIn(h.personal(user)).map((a) => JSON.stringify(a.activity)).find((a) => a.includes('"summary":"Break-glass: Ursula took'));
      expect(alert, user.name).toBeDefined();
      for (const verb of ['grant.revoke', 'breakGlass.acknowledge', 'breakGlass.flag']) expect(alert).toContain(`"verb":"${verb}"`);
      expect(alert).toContain('INC-42 mailbox outage');
    }

    // Flag carries its comment from the card's panel; the clicked card becomes the alert as it stands now.
    const flagged = await h.invoke(USERS.dave!, 'breakGlass.flag', { value: grant!.id, form: 'f', 'f.comment': 'no incident INC-42 exists' });
    expect(texts(flagged.body)).toContain('Flagged by');
    expect(JSON.stringify(flagged.body)).not.toContain('"verb":"breakGlass.acknowledge"');
    const late = await h.invoke(USERS.carol!, 'breakGlass.acknowledge', { value: grant!.id });
    expect(texts(late.body)).toMatch(/was already flagged/);
    const revoked = await h.invoke(USERS.carol!, 'grant.revoke', { value: grant!.id });
    expect(texts(revoked.body)).toContain('revoked by');
    expect(h.elevate.checkAuthorization(`teams:${USERS.ursula!.aad}`, SEARCH).allowed).toBe(false);
    expect((await h.elevate.listBreakGlassUses(h.operator, { status: 'flagged' })).length).toBe(1);
  });
});
