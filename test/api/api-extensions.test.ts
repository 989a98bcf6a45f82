import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingChat } from '../fakes/recording-chat.js';
import { startApiHarness, type ApiHarness } from '../helpers/api-harness.js';

const TARGET = 'Exchange\\Mailbox Import Export';
const H = 3600_000;

// "extend <grant> 2h" means two more hours after the current end, within the policy's longest grant from now.
describe('REST API: extensions say what they are', () => {
  let api: ApiHarness;
  let chat: RecordingChat;
  let admin: string;
  let ursula: string;

  beforeEach(async () => {
    chat = new RecordingChat('slack');
    api = await startApiHarness({ ports: [chat] });
    admin = await api.token('admin', 'slack:UALICE');
    ursula = await api.token('requester', 'slack:UURSULA');
    await api.elevate.createGroup(api.operator, 'mail-approvers');
    for (const member of ['slack:UALICE', 'slack:UCAROL']) await api.elevate.addGroupMember(api.operator, 'mail-approvers', member);
    await api.elevate.createPolicy(api.operator, {
      target: { type: 'role', scope: 'Exchange', name: TARGET }, approval: 'manual', approverGroup: 'mail-approvers', maxDurationSeconds: 4 * 3600,
    });
  });
  afterEach(() => api.stop());

  it('two more hours after the current end, capped by the policy from now; every item and card names the grant', async () => {
    const asked = await api.call('POST', '/requests', { token: ursula, body: { target: TARGET, duration: '3h', reason: 'INC-1' } });
    const approved = await api.call('POST', '/requests/{id}/approve', { token: admin, params: { id: asked.body.request.id }, body: {} });
    const grant = approved.body.grant as { id: string; endsAt: string };
    expect(asked.body.request).toMatchObject({ extendsGrantId: null, extension: null });

    const extension = await api.call('POST', '/authorizations/{id}/extend', { token: ursula, params: { id: grant.id }, body: { duration: '2h', reason: 'INC-1 longer' } });
    expect(extension.status).toBe(200);
    // 3 h left + 2 h = 5 h from now, but the policy allows at most 4 h from now.
    const capped = new Date(Date.parse(api.clock.now()) + 4 * H).toISOString();
    expect(extension.body.request).toMatchObject({
      extendsGrantId: grant.id,
      extension: { grantId: grant.id, grantEndsAt: grant.endsAt, durationSeconds: 7200, until: capped },
    });
    expect(extension.body.request.extension.text).toBe(
      `extend ${grant.id} (until ${grant.endsAt.slice(0, 10)} ${grant.endsAt.slice(11, 16)} UTC) by 2h → until ${capped.slice(0, 10)} ${capped.slice(11, 16)} UTC`);
    const id: string = extension.body.request.id;
    const listed = await api.call('GET', '/requests', { token: admin, query: { status: 'pending' } });
    expect(listed.body.items.find((r: { id: string }) => r.id === id).extension.grantId).toBe(grant.id);
    expect((await api.call('GET', '/requests/{id}', { token: ursula, params: { id } })).body.request.extension.until).toBe(capped);

    // The approvers' card says what it is, not "Access request".
    const card = (await api.elevate.listRequestCards(await api.elevate.principalFor('slack:UCAROL').then((p) => ({ kind: 'principal' as const, principalId: p.id, origin: 'api' })), { status: 'pending', decidable: true }))
      .map((c) => c.card).find((c) => c.title === `Extension request ${id}`)!;
    expect(card.facts.find((f) => f.label === 'Extension')!.value).toContain(`extend ${grant.id} (until `);

    const decided = await api.call('POST', '/requests/{id}/approve', { token: admin, params: { id }, body: {} });
    expect(decided.body.grant).toMatchObject({ id: grant.id, endsAt: capped });
    expect(decided.body.request.extension).toMatchObject({ until: capped });
    expect(decided.body.request.extension.text).toMatch(new RegExp(`^extended ${grant.id} by 2h → until`));
  });

  it('approving an extension that no longer changes anything says so', async () => {
    const asked = await api.call('POST', '/requests', { token: ursula, body: { target: TARGET, duration: '3h', reason: 'INC-2' } });
    const approved = await api.call('POST', '/requests/{id}/approve', { token: admin, params: { id: asked.body.request.id }, body: {} });
    const grantId: string = approved.body.grant.id;
    const first = await api.call('POST', '/authorizations/{id}/extend', { token: ursula, params: { id: grantId }, body: { duration: '30m', reason: 'INC-2 longer' } });
    // Meanwhile the policy's longest grant is lowered to what the grant already has left.
    await api.elevate.updatePolicy(api.operator, TARGET, { defaultDurationSeconds: 3600, maxDurationSeconds: 3 * 3600 });
    const decided = await api.call('POST', '/requests/{id}/approve', { token: admin, params: { id: first.body.request.id }, body: {} });
    expect(decided.status).toBe(200);
    // Audited as such, and the holder is told (the message waits in the outbox for the dispatcher).
    expect(await api.server.engine.store.listAudit({ action: 'grant.extensionUnchanged', limit: 5 })).toHaveLength(1);
  });
});
