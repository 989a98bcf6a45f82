import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CHROMIUM, DANGER, IMPORT, SEARCH, startConsoleHarness, type ConsoleHarness } from './console-harness.js';

// Browser scenarios take seconds each on a shared 2-core machine: a generous bound, never a timing assertion.
const SLOW = 90_000;

let h: ConsoleHarness;
const people: Record<string, Page> = {};
let searchRequest = '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
  h = await startConsoleHarness();
}, SLOW);
afterAll(async () => h?.stop(), SLOW);

async function auditOf(action: string) {
  return h.server.engine.store.listAudit({ action, limit: 1000 });
}

function requestIdOf(page: Page): string {
  const match = new URL(page.url()).pathname.match(/^\/requests\/(R-[A-Z0-9-]+)$/);
  if (!match) throw new Error(`not on a request page: ${page.url()}`);
  return match[1]!;
}

describe('the web console', () => {
  it('a requester signs in with the company IdP and requests access among the targets they may request', async () => {
    const ursula = (people.ursula = await h.person());
    await h.signIn(ursula, 'ursula');
    await expect(ursula.getByRole('heading', { level: 1 })).toBeDefined();
    expect(await ursula.title()).toBe('Home · Elevate');
    const principal = await h.elevate.principalFor('oidc:ursula');
    expect(principal).toMatchObject({ displayName: 'Ursula Requester', email: 'ursula@example.com' });
    expect((await auditOf('web.signedIn')).map((r) => r.subject)).toContain('oidc:ursula');

    await ursula.getByRole('link', { name: 'Request access' }).first().click();
    const options = await ursula.locator('#target option').allTextContents();
    expect(options).toEqual(expect.arrayContaining([SEARCH, DANGER, IMPORT]));
    // The same validation as chat: a reason is required, said next to the field.
    await ursula.selectOption('#target', SEARCH);
    await ursula.fill('#duration', '2h');
    await ursula.click('button:has-text("Request access")');
    expect(await ursula.locator('.error').textContent()).toMatch(/a reason is required to request Exchange\\Search-Mailbox \(Give the incident number\)/);
    expect(await ursula.locator('#reason').getAttribute('aria-invalid')).toBe('true');
    await ursula.fill('#reason', 'INC-42 mailbox search');
    await ursula.click('button:has-text("Request access")');
    await ursula.waitForURL(/\/requests\/R-/);
    searchRequest = requestIdOf(ursula);
    expect(await ursula.locator('.notice').textContent()).toBe('Your request was sent to its approvers.');
    expect(await ursula.locator('dl.facts').textContent()).toMatch(/0 of 1 — waiting for 1 more from approvers/);

    const mallory = (people.mallory = await h.person());
    await h.signIn(mallory, 'mallory');
    await mallory.goto(`${h.base}/request`);
    const malloryOptions = await mallory.locator('#target option').allTextContents();
    expect(malloryOptions).not.toContain(IMPORT);
    expect(malloryOptions).toContain(SEARCH);
    // An email the provider does not say is verified is not taken.
    expect((await h.elevate.principalFor('oidc:mallory')).email).toBeNull();
  }, SLOW);

  it('an approver sees it with its N-of-M progress and approves it; the requester holds access', async () => {
    const carol = (people.carol = await h.person());
    await h.signIn(carol, 'carol', { start: '/approvals' });
    expect(new URL(carol.url()).pathname).toBe('/approvals');
    const row = carol.locator('tr', { hasText: searchRequest });
    expect(await row.textContent()).toMatch(/0 of 1 — waiting for 1 more from approvers/);
    await row.getByRole('button', { name: 'Approve' }).click();
    await carol.waitForURL(/notice=approved/);
    expect(await carol.locator('.notice').textContent()).toBe('Approved: access is granted.');
    expect(h.elevate.checkAuthorization('oidc:ursula', SEARCH).allowed).toBe(true);
    const [approved] = (await auditOf('request.approved')).filter((r) => r.subject === searchRequest);
    expect(approved).toMatchObject({ origin: 'web', actor: 'oidc:carol' });
    expect(approved!.details).not.toHaveProperty('stepUp');

    const ursula = people.ursula!;
    await ursula.goto(`${h.base}/requests`);
    expect(await ursula.locator('table').first().textContent()).toMatch(/Exchange\\Search-Mailbox\s*active/);
  }, SLOW);

  it('step-up: refused with a stale sign-in, accepted after signing in again, audited as stepped up', async () => {
    const ursula = people.ursula!;
    await ursula.goto(`${h.base}/request?target=${encodeURIComponent(DANGER)}`);
    await ursula.fill('#reason', 'CHG-7 role group change');
    await ursula.click('button:has-text("Request access")');
    await ursula.waitForURL(/\/requests\/R-/);
    const id = requestIdOf(ursula);

    // Carol signed in a while ago: six minutes later her sign-in is too old for a step-up approval.
    h.clock.advance(6 * 60);
    const carol = people.carol!;
    await carol.goto(`${h.base}/approvals`);
    const row = carol.locator('tr', { hasText: id });
    expect(await row.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await row.getByRole('link', { name: 'Approve in browser' }).click();
    await carol.waitForURL(`${h.base}/requests/${id}`);
    expect(await carol.getByRole('link', { name: 'Sign in again to approve' }).count()).toBe(1);
    await h.screenshots(carol, 'request-step-up-approver');
    const refused = carol.waitForResponse((r) => r.url().endsWith(`/requests/${id}/approve`));
    await carol.getByRole('button', { name: 'Approve', exact: true }).click();
    expect((await refused).status()).toBe(403);
    expect(await carol.locator('.error').first().textContent()).toBe(`approving request ${id} needs a sign-in within the last 5m: sign in again, then approve`);
    expect((await h.elevate.getRequest(h.operator, id)).request.status).toBe('pending');
    expect((await auditOf('request.approve.refused')).some((r) => r.subject === id && r.origin === 'web')).toBe(true);

    // Signing in again asks the provider for a fresh authentication (max_age), then approving works.
    await carol.getByRole('link', { name: 'Sign in again' }).first().click();
    await h.typeCredentialsIfAsked(carol, 'carol', { mfa: true });
    expect(h.idp.logins.at(-1)).toMatchObject({ account: 'carol', maxAge: '300' });
    await carol.waitForURL(`${h.base}/requests/${id}`);
    expect(await carol.locator('#h-decide + p').textContent()).toMatch(/Your sign-in is recent enough/);
    await carol.getByRole('button', { name: 'Approve', exact: true }).click();
    await carol.waitForURL(/notice=approved/);
    const [approved] = (await auditOf('request.approved')).filter((r) => r.subject === id);
    // auth_time is in whole seconds.
    expect(approved!.details).toMatchObject({ stepUp: { authTime: `${h.clock.now().slice(0, 19)}.000Z`, acr: 'urn:elevate:test:mfa' } });
    expect(h.elevate.checkAuthorization('oidc:ursula', DANGER).allowed).toBe(true);
  }, SLOW);

  it('an approver denies in one click; the requester sees why', async () => {
    const mallory = people.mallory!;
    await mallory.goto(`${h.base}/request?target=${encodeURIComponent(SEARCH)}`);
    await mallory.fill('#reason', 'curious');
    await mallory.click('button:has-text("Request access")');
    await mallory.waitForURL(/\/requests\/R-/);
    const id = requestIdOf(mallory);
    const carol = people.carol!;
    await carol.goto(`${h.base}/approvals`);
    await carol.locator('tr', { hasText: id }).getByRole('button', { name: 'Deny' }).click();
    await carol.waitForURL(/notice=denied/);
    await mallory.goto(`${h.base}/requests/${id}`);
    expect(await mallory.locator('dl.facts').textContent()).toMatch(/denied\s*Denied by Carol Approver/);
  }, SLOW);
});
