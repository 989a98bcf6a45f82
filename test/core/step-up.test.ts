import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NotAllowedError } from '../../src/core/errors.js';
import type { Actor } from '../../src/core/ports.js';
import { createTestEngine, seedTypicalSetup, type TestEngine } from '../helpers/engine.js';

const DANGER = 'Exchange\\Organization Management';
const PUBLIC_URL = 'https://elevate.example.com';
const STEP_UP = { available: true, maxAgeSeconds: 300, acrValues: [] as string[] };

let t: TestEngine;
let people: Awaited<ReturnType<typeof seedTypicalSetup>>;

/** The same person acting from a web console session signed in at `authTime`. */
function fromWeb(actor: Actor, authTime: string, options: { method?: 'oidc' | 'dev'; acr?: string | null } = {}): Actor {
  if (actor.kind !== 'principal') throw new Error('a person');
  return { ...actor, origin: 'web', signIn: { method: options.method ?? 'oidc', authTime, acr: options.acr ?? null } };
}

async function refusal(promise: Promise<unknown>): Promise<NotAllowedError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(NotAllowedError);
  return error as NotAllowedError;
}

async function createStepUpPolicy(approvalsRequired = 1) {
  await t.elevate.createPolicy(t.operator, {
    target: { type: 'roleGroup', scope: 'Exchange', name: DANGER }, approval: 'manual', approverGroup: 'approvers', approvalsRequired, approvalStepUp: true,
  });
}

describe('step-up approvals', () => {
  beforeEach(async () => {
    t = await createTestEngine({ config: { stepUp: STEP_UP, publicUrl: PUBLIC_URL } });
    people = await seedTypicalSetup(t);
  });
  afterEach(async () => t.close());

  it('cards carry "Approve in browser" (a link to the request page) instead of Approve; Deny stays', async () => {
    await createStepUpPolicy();
    const { request } = await t.elevate.requestAccess(people.ursula, { target: DANGER, reason: 'INC-7' });
    await t.deliverAll();
    const approverCard = (await t.store.getCard(`request:${request.id}:approver`))!.card;
    expect(approverCard.actions).toEqual([
      { verb: 'link.open', label: 'Approve in browser', value: request.id, url: `${PUBLIC_URL}/requests/${request.id}`, style: 'primary' },
      { verb: 'request.deny', label: 'Deny', value: request.id, style: 'danger' },
    ]);
    expect(approverCard.facts).toContainEqual({ label: 'Step-up', value: 'approving needs a fresh sign-in in the browser' });
    // Every card links to its request's page.
    const requesterCard = (await t.store.getCard(`request:${request.id}:requester`))!.card;
    expect(requesterCard.actions.at(-1)).toEqual({ verb: 'link.open', label: 'Open in browser', value: request.id, url: `${PUBLIC_URL}/requests/${request.id}` });
    expect((await t.store.getCard(`request:${request.id}:feed`))!.card.actions).toEqual([
      { verb: 'link.open', label: 'Open in browser', value: request.id, url: `${PUBLIC_URL}/requests/${request.id}` },
    ]);
  });

  it('refuses approvals from chat, the CLI and the API, pointing to the browser; audited, nothing changes', async () => {
    await createStepUpPolicy();
    const { request } = await t.elevate.requestAccess(people.ursula, { target: DANGER, reason: 'INC-7' });
    for (const origin of ['slack', 'teams', 'cli', 'api'] as const) {
      const error = await refusal(t.elevate.approve({ ...people.carol, origin } as Actor, { requestId: request.id }));
      expect(error.message).toBe(`approving request ${request.id} needs a fresh sign-in (step-up): approve it in the browser: ${PUBLIC_URL}/requests/${request.id}`);
      expect(error.details).toMatchObject({ stepUp: 'browser' });
    }
    // The development sign-in proves nothing.
    const dev = await refusal(t.elevate.approve(fromWeb(people.carol, t.clock.now(), { method: 'dev' }), { requestId: request.id }));
    expect(dev.details).toMatchObject({ stepUp: 'browser' });
    expect((await t.elevate.getRequest(t.operator, request.id)).request.status).toBe('pending');
    const refused = (await t.store.listAudit({ action: 'request.approve.refused', limit: 100 }));
    expect(refused).toHaveLength(5);
    expect(refused.map((r) => r.origin)).toEqual(['slack', 'teams', 'cli', 'api', 'web']);
  });

  it('refuses a sign-in older than the maximum age, then accepts a fresh one and audits it as stepped up', async () => {
    await createStepUpPolicy();
    const { request } = await t.elevate.requestAccess(people.ursula, { target: DANGER, reason: 'INC-7' });
    const signedIn = t.clock.now();
    t.clock.advance(301);
    const stale = await refusal(t.elevate.approve(fromWeb(people.carol, signedIn), { requestId: request.id }));
    expect(stale.message).toBe(`approving request ${request.id} needs a sign-in within the last 5m: sign in again, then approve`);
    expect(stale.details).toMatchObject({ stepUp: 'stale' });

    const freshAt = t.clock.now();
    t.clock.advance(299);
    const outcome = await t.elevate.approve(fromWeb(people.carol, freshAt, { acr: 'urn:mfa' }), { requestId: request.id, comment: 'checked' });
    expect(outcome.outcome).toBe('approved');
    const [approved] = await t.store.listAudit({ action: 'request.approved', limit: 10 });
    expect(approved).toMatchObject({ origin: 'web', details: { stepUp: { authTime: freshAt, acr: 'urn:mfa' }, comment: 'checked' } });
    expect((await t.elevate.verifyAudit(t.operator)).ok).toBe(true);
  });

  it('counts stepped-up approvals toward N of M, each audited with its sign-in', async () => {
    await createStepUpPolicy(2);
    const { request } = await t.elevate.requestAccess(people.ursula, { target: DANGER, reason: 'INC-7' });
    const first = await t.elevate.approve(fromWeb(people.carol, t.clock.now()), { requestId: request.id });
    expect(first).toMatchObject({ outcome: 'recorded', approvals: 1 });
    const [recorded] = await t.store.listAudit({ action: 'request.approvalRecorded', limit: 10 });
    expect(recorded!.details).toMatchObject({ approvals: 1, required: 2, stepUp: { authTime: t.clock.now(), acr: null } });
    expect((await t.elevate.approve(fromWeb(people.dave, t.clock.now()), { requestId: request.id })).outcome).toBe('approved');
  });

  it('lets a chat click deny: denying only takes access away', async () => {
    await createStepUpPolicy();
    const { request } = await t.elevate.requestAccess(people.ursula, { target: DANGER, reason: 'INC-7' });
    const outcome = await t.elevate.deny({ ...people.carol, origin: 'slack' } as Actor, { requestId: request.id, comment: 'no ticket' });
    expect(outcome.outcome).toBe('denied');
  });

  it('checks the acr when ELEVATE_STEP_UP_ACR is set', async () => {
    await t.close();
    t = await createTestEngine({ config: { stepUp: { ...STEP_UP, acrValues: ['urn:mfa', 'urn:phr'] }, publicUrl: PUBLIC_URL } });
    people = await seedTypicalSetup(t);
    await createStepUpPolicy();
    const { request } = await t.elevate.requestAccess(people.ursula, { target: DANGER, reason: 'INC-7' });
    for (const acr of [null, 'urn:password']) {
      const error = await refusal(t.elevate.approve(fromWeb(people.carol, t.clock.now(), { acr }), { requestId: request.id }));
      expect(error.details).toMatchObject({ stepUp: 'acr' });
    }
    expect((await t.elevate.approve(fromWeb(people.carol, t.clock.now(), { acr: 'urn:phr' }), { requestId: request.id })).outcome).toBe('approved');
  });

  it('always requires it for protected configuration changes', async () => {
    await t.elevate.addGroupMember(t.operator, 'admins', 'slack:UBOB');
    const bob = await t.as('slack:UBOB');
    const outcome = await t.elevate.createGroup(people.alice, 'security');
    expect(outcome.status).toBe('pending');
    const requestId = outcome.status === 'pending' ? outcome.request.id : '';
    const error = await refusal(t.elevate.approve(bob, { requestId }));
    expect(error.details).toMatchObject({ stepUp: 'browser' });
    expect((await t.elevate.approve(fromWeb(bob, t.clock.now()), { requestId })).outcome).toBe('approved');
  });

  it('refuses a step-up policy that could not be approved: auto approval', async () => {
    await expect(t.elevate.createPolicy(t.operator, {
      target: { type: 'roleGroup', scope: 'Exchange', name: DANGER }, approval: 'auto', approverGroup: 'approvers', approvalStepUp: true,
    })).rejects.toThrow(InvalidInputError);
  });
});

describe('without an identity provider', () => {
  beforeEach(async () => {
    t = await createTestEngine();
    people = await seedTypicalSetup(t);
  });
  afterEach(async () => t.close());

  it('refuses step-up policies, naming what to configure', async () => {
    await expect(createStepUpPolicy()).rejects.toThrow(/set ELEVATE_OIDC_ISSUER/);
  });

  it('decides configuration changes in chat as before, and cards carry no links', async () => {
    await t.elevate.addGroupMember(t.operator, 'admins', 'slack:UBOB');
    const outcome = await t.elevate.createGroup(people.alice, 'security');
    const requestId = outcome.status === 'pending' ? outcome.request.id : '';
    expect((await t.store.getCard(`request:${requestId}:approver`))!.card.actions.map((a) => a.verb)).toEqual(['request.approve', 'request.approveWithComment', 'request.deny']);
    expect((await t.elevate.approve(await t.as('slack:UBOB'), { requestId })).outcome).toBe('approved');
  });

  it('knows people signed in to the web console as oidc:<subject>; a link code must be one that was issued', async () => {
    const principal = await t.elevate.principalFor('oidc:00u1abcd|google-oauth2');
    expect(principal.identities).toEqual(['oidc:00u1abcd|google-oauth2']);
    const actor: Actor = { kind: 'principal', principalId: principal.id, origin: 'web', identity: 'oidc:00u1abcd|google-oauth2' };
    await expect(t.elevate.completeLink(actor, 'ABCD-1234')).rejects.toThrow(/not valid/);
    // The development sign-in's accounts never link.
    await expect(t.elevate.completeLink({ ...actor, identity: 'dev:slack:UCAROL' }, 'ABCD-1234')).rejects.toThrow(/typed by a person in chat or the web console/);
  });
});
