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
    expect(approved).toMatchObject({ origin: 'web', actor: (await h.elevate.principalFor('oidc:carol')).id, actorIdentity: 'oidc:carol' });
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

  it('shows each person only what they may see, on every page (screenshots at desktop and phone width)', async () => {
    const audrey = (people.audrey = await h.person());
    await h.signIn(audrey, 'audrey');
    const alice = (people.alice = await h.person());
    await h.signIn(alice, 'alice');
    const navOf = async (page: Page) => page.locator('header nav a').allTextContents();
    expect(await navOf(people.ursula!)).toEqual(['Home', 'Request access', 'My requests', 'Policies', 'Groups']);
    expect(await navOf(people.carol!)).toEqual(['Home', 'Request access', 'My requests', 'Approvals', 'Policies', 'Groups']);
    expect(await navOf(audrey)).toEqual(['Home', 'Request access', 'My requests', 'Everything', 'Policies', 'Groups', 'Audit log', 'Usage', 'Access reviews']);
    expect(await navOf(alice)).toEqual(['Home', 'Request access', 'My requests', 'Approvals', 'Everything', 'Policies', 'Groups', 'Audit log', 'Usage', 'Access reviews']);

    const status = async (page: Page, path: string) => (await page.goto(`${h.base}${path}`))!.status();
    for (const path of ['/all', '/all?view=grants', '/all?view=holders', '/audit', '/reports/usage', '/audit/export?format=csv', '/reviews']) {
      expect(await status(people.ursula!, path), `${path} for a requester`).toBe(403);
      expect(await status(people.carol!, path), `${path} for an approver`).toBe(403);
    }
    // The requester's own request: visible to them, its approvers, admins and auditors; not to another requester.
    for (const [who, expected] of [['ursula', 200], ['carol', 200], ['audrey', 200], ['alice', 200], ['mallory', 404]] as const) {
      expect(await status(people[who]!, `/requests/${searchRequest}`), who).toBe(expected);
    }
    // An approver's approvals list only what they may decide; an auditor decides nothing.
    await people.mallory!.goto(`${h.base}/approvals`);
    expect(await people.mallory!.locator('.empty').textContent()).toBe('Nothing is waiting for your decision.');
    await people.ursula!.goto(`${h.base}/requests`);
    expect(await people.ursula!.locator('body').textContent()).not.toMatch(/Mallory/);
    // Only admins get the forms that change policies and groups.
    await audrey.goto(`${h.base}/policies`);
    expect(await audrey.getByRole('button', { name: 'Create policy' }).count()).toBe(0);
    await alice.goto(`${h.base}/policies`);
    expect(await alice.getByRole('button', { name: 'Create policy' }).count()).toBe(1);

    // Everything (auditor): filters and effective holders.
    await audrey.goto(`${h.base}/all?view=requests&status=denied`);
    expect(await audrey.locator('tbody tr').count()).toBe(1);
    await audrey.goto(`${h.base}/all?view=holders`);
    expect(await audrey.locator('main').textContent()).toMatch(/Holders of Exchange\\Search-Mailbox[\s\S]*Ursula Requester/);

    const pages: Array<[string, Page, string]> = [
      ['home-requester', people.ursula!, '/'], ['request-access', people.ursula!, `/request?target=${encodeURIComponent(SEARCH)}`],
      ['my-requests', people.ursula!, '/requests'], ['request-requester', people.ursula!, `/requests/${searchRequest}`],
      ['approvals', people.carol!, '/approvals'], ['everything-requests', audrey, '/all'], ['everything-grants', audrey, '/all?view=grants'],
      ['everything-holders', audrey, '/all?view=holders'], ['policies-admin', alice, '/policies'], ['groups-admin', alice, '/groups'],
      ['policies-requester', people.ursula!, '/policies'], ['audit', audrey, '/audit'], ['usage', audrey, '/reports/usage'],
    ];
    for (const [name, page, path] of pages) {
      const response = await page.goto(`${h.base}${path}`);
      expect(response!.status(), path).toBe(200);
      await h.screenshots(page, name);
    }
  }, SLOW);

  it('draws the usage charts with the bundled Chart.js under the CSP, with the figures in tables too', async () => {
    const audrey = people.audrey!;
    const problems: string[] = [];
    audrey.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
    audrey.on('pageerror', (error) => problems.push(error.message));
    const response = await audrey.goto(`${h.base}/reports/usage`);
    const csp = response!.headers()['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response!.headers()['x-frame-options']).toBe('DENY');
    // Chart.js has drawn every chart (a canvas gets its size when a chart is made on it).
    await audrey.waitForFunction("[...document.querySelectorAll('canvas')].every((c) => c.width > 0 && c.height > 0 && Chart.getChart(c))");
    expect(await audrey.evaluate("[...document.querySelectorAll('script')].filter((s) => !s.src && s.type !== 'application/json').length")).toBe(0);
    expect(problems).toEqual([]);
    expect(await audrey.locator('table', { hasText: 'Usage per policy' }).textContent()).toMatch(/Exchange\\Search-Mailbox/);
  }, SLOW);

  it('is usable by keyboard: a skip link first, labelled fields, focus on the content', async () => {
    const ursula = people.ursula!;
    await ursula.goto(`${h.base}/request`);
    await ursula.keyboard.press('Tab');
    expect(await ursula.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await ursula.keyboard.press('Enter');
    expect(await ursula.evaluate('location.hash')).toBe('#main');
    const unlabelled = await ursula.evaluate(`[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((el) => !(el.id && document.querySelector('label[for="' + el.id + '"]'))).length`);
    expect(unlabelled).toBe(0);
    expect(await ursula.evaluate('document.documentElement.lang')).toBe('en');
  }, SLOW);

  it('admins change configuration through protected configuration: another admin approves it with a fresh sign-in', async () => {
    const alice = people.alice!;
    await alice.goto(`${h.base}/groups`);
    await alice.fill('#g-name', 'security-team');
    await alice.click('button:has-text("Create group")');
    await alice.waitForURL(/notice=configurationRequested/);
    expect((await h.elevate.listGroups()).map((g) => g.name)).not.toContain('security-team');

    const bob = await h.person();
    await h.signIn(bob, 'bob', { start: '/approvals' });
    const row = bob.locator('tr', { hasText: 'Elevate\\Configuration' });
    await row.getByRole('link', { name: 'Approve in browser' }).click();
    await bob.getByRole('button', { name: 'Approve', exact: true }).click();
    await bob.waitForURL(/notice=approved/);
    expect((await h.elevate.listGroups()).map((g) => g.name)).toContain('security-team');
  }, SLOW);

  it('refuses a change without the CSRF token of the session, or from another site; nothing changes, the refusal is audited', async () => {
    const ursula = people.ursula!;
    const { request } = await h.elevate.requestAccess(await h.actorOf('oidc:ursula'), { target: IMPORT, reason: 'PST export' });
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: h.base };
    const forged = await ursula.request.post(`${h.base}/requests/${request.id}/cancel`, { headers: form, data: '_csrf=not-the-token', maxRedirects: 0 });
    expect(forged.status()).toBe(403);
    const missing = await ursula.request.post(`${h.base}/requests/${request.id}/cancel`, { headers: form, data: '', maxRedirects: 0 });
    expect(missing.status()).toBe(403);
    await ursula.goto(`${h.base}/requests/${request.id}`);
    const token = await ursula.locator('input[name=_csrf]').first().inputValue();
    const crossSite = await ursula.request.post(`${h.base}/requests/${request.id}/cancel`, {
      headers: { ...form, origin: 'https://evil.example' }, data: `_csrf=${token}`, maxRedirects: 0,
    });
    expect(crossSite.status()).toBe(403);
    expect((await h.elevate.getRequest(h.operator, request.id)).request.status).toBe('pending');
    expect((await auditOf('web.refused')).map((r) => r.details.reason)).toEqual(expect.arrayContaining(['csrf', 'cross-site']));
    // With its token, from its page, it works.
    await ursula.getByRole('button', { name: 'Cancel request' }).click();
    await ursula.waitForURL(/notice=cancelled/);
  }, SLOW);

  it('the link page takes a code from chat through sign-in and links that chat account to the signed-in person', async () => {
    // As the Slack adapter would identify Dave, and as `/elevate link web` would answer him.
    h.elevate.pinInstallation({ platform: 'slack', appId: 'A1', teamId: 'T1', enterpriseId: null, orgWide: false });
    const { actor: daveOnSlack } = await h.elevate.identify({
      identity: 'slack:UDAVE', origin: { platform: 'slack', appId: 'A1', teamId: 'T1' }, profile: { displayName: 'Dave', verifiedEmail: null, standing: 'active' },
    });
    const { code } = await h.elevate.startLink(daveOnSlack, 'web');
    const dave = await h.person();
    await dave.goto(h.elevate.webLinkUrl(code));
    expect(new URL(dave.url()).pathname).toBe('/signin');
    await dave.getByRole('link', { name: 'Sign in with your company account' }).click();
    await h.typeCredentialsIfAsked(dave, 'dave');
    expect(`${new URL(dave.url()).pathname}${new URL(dave.url()).search}`).toBe(`/link?code=${encodeURIComponent(code)}`);
    await dave.getByRole('button', { name: /Link that chat account/ }).click();
    await dave.waitForURL(/notice=applied/);
    const linked = await h.elevate.principalFor('oidc:dave');
    expect(linked.identities.sort()).toEqual(['oidc:dave', 'slack:UDAVE']);
    expect((await auditOf('principal.linked')).some((r) => r.details.by === 'oidc' && r.details.shownTo === 'slack:UDAVE')).toBe(true);
    // The code worked once.
    await dave.goto(h.elevate.webLinkUrl(code));
    await dave.getByRole('button', { name: /Link that chat account/ }).click();
    expect(await dave.locator('.error').textContent()).toMatch(/already used/);
  }, SLOW);

  it('signing out ends the session on the server: the old cookie no longer works', async () => {
    const mallory = people.mallory!;
    const [before] = (await mallory.context().cookies()).filter((c) => c.name === 'elevate_session');
    expect(before).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    await mallory.goto(`${h.base}/`);
    await mallory.getByRole('button', { name: 'Sign out' }).click();
    await mallory.waitForURL(/\/signin\?notice=signedOut/);
    await mallory.context().addCookies([before!]);
    await mallory.goto(`${h.base}/requests`);
    expect(new URL(mallory.url()).pathname).toBe('/signin');
    expect((await auditOf('web.signedOut')).map((r) => r.subject)).toContain('oidc:mallory');
  }, SLOW);

  it('ends idle sessions and sessions past their absolute end, whatever the activity', async () => {
    const carol = people.carol!;
    h.clock.advance(31 * 60);
    await carol.goto(`${h.base}/approvals`);
    expect(new URL(carol.url()).pathname).toBe('/signin');
    expect(await carol.locator('.notice').textContent()).toBe('Your session ended: sign in again.');

    const dave = await h.person();
    await h.signIn(dave, 'dave');
    for (let step = 0; step < 6; step++) {
      h.clock.advance(20 * 60);
      await dave.goto(`${h.base}/`);
      expect(new URL(dave.url()).pathname, `after ${(step + 1) * 20} minutes`).toBe(step < 5 ? '/' : '/signin');
    }
  }, SLOW);
});

describe('scheduled windows in the web console', () => {
  it('asks for a window with a start; a bad start is said next to its field; the request page shows the window', async () => {
    const mallory = await h.person();
    await h.signIn(mallory, 'mallory');
    await mallory.goto(`${h.base}/request?target=${encodeURIComponent(SEARCH)}`);
    await mallory.fill('#reason', 'CHG-7 maintenance');
    await mallory.fill('#duration', '2h');
    await mallory.fill('#start', 'tonight');
    await mallory.click('button:has-text("Request access")');
    expect(await mallory.locator('.error').textContent()).toMatch(/start "tonight" is not a time/);
    expect(await mallory.locator('#start').getAttribute('aria-invalid')).toBe('true');
    await mallory.fill('#start', '+3h');
    await mallory.click('button:has-text("Request access")');
    await mallory.waitForURL(/\/requests\/R-/);
    const { request } = await h.elevate.getRequest(h.operator, requestIdOf(mallory));
    expect(request.startsAt).not.toBeNull();
    expect(await mallory.locator('dl.facts').textContent()).toContain(`Window${request.startsAt!.slice(0, 16).replace('T', ' ')} UTC →`);
  }, SLOW);
});

describe('break-glass in the web console', () => {
  const TARGET = 'Exchange\\Mail Recipients';

  it('offers "Break glass" to members of the break-glass group, warns who is alerted, starts access on the second click and marks it; an approver flags it', async () => {
    await h.elevate.createGroup(h.operator, 'breakers');
    await h.elevate.addGroupMember(h.operator, 'breakers', 'oidc:ursula');
    await h.elevate.createPolicy(h.operator, {
      target: { type: 'roleGroup', scope: 'Exchange', name: TARGET }, approval: 'manual', approverGroup: 'approvers', breakGlassGroup: 'breakers', breakGlassPerDay: 2,
    });
    const ursula = await h.person();
    await h.signIn(ursula, 'ursula', { start: `/request?target=${encodeURIComponent(TARGET)}` });
    expect(await ursula.locator('#mode-hint').textContent()).toContain(`Allowed for you on ${TARGET}`);
    await ursula.check('#mode-breakglass');
    await ursula.fill('#reason', 'INC-99 outage, nobody awake');
    await ursula.click('button:has-text("Request access")');

    // The warning names who will be alerted in the core's own words; nothing is granted yet.
    const { alerted } = await h.elevate.previewBreakGlass(await h.actorOf('oidc:ursula'), TARGET);
    expect(alerted).toMatch(/approver\(s\) of approvers/);
    expect(await ursula.locator('section.warning').textContent()).toContain(`This alerts ${alerted} now.`);
    expect(h.elevate.checkAuthorization('oidc:ursula', TARGET).allowed).toBe(false);
    expect(await ursula.locator('section.warning input[name=_csrf]').count()).toBe(1);

    await ursula.getByRole('button', { name: 'Break glass now' }).click();
    await ursula.waitForURL(/\/requests\/R-.*notice=brokeGlass/);
    const id = requestIdOf(ursula);
    expect(h.elevate.checkAuthorization('oidc:ursula', TARGET).allowed).toBe(true);
    const facts = await ursula.locator('dl.facts').textContent();
    expect(facts).toContain('break-glass');
    expect(facts).toMatch(/Review\s*to review by/);
    // The holder does not review their own use.
    expect(await ursula.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    await ursula.goto(`${h.base}/requests`);
    expect(await ursula.locator('tr', { hasText: id }).locator('.badge-breakglass').count()).toBe(1);

    // A second use while the access lasts is refused next to the form, changing nothing.
    await ursula.goto(`${h.base}/request?target=${encodeURIComponent(TARGET)}`);
    await ursula.check('#mode-breakglass');
    await ursula.fill('#reason', 'again');
    await ursula.click('button:has-text("Request access")');
    expect(await ursula.locator('.error').first().textContent()).toMatch(/you already have Exchange\\Mail Recipients/);
    expect(await h.elevate.listBreakGlassUses(await h.actorOf('oidc:alice'))).toHaveLength(1);

    const carol = await h.person();
    await h.signIn(carol, 'carol', { start: `/requests/${id}` });
    expect(await carol.locator('#mode-breakglass').count()).toBe(0);
    await carol.fill('#flag-comment', 'no incident INC-99 exists');
    await carol.getByRole('button', { name: 'Flag' }).click();
    await carol.waitForURL(/notice=flagged/);
    expect(await carol.locator('dl.facts').textContent()).toMatch(/flagged by Carol Approver .*: “no incident INC-99 exists”/);
    const [use] = await h.elevate.listBreakGlassUses(await h.actorOf('oidc:alice'));
    expect(use).toMatchObject({ status: 'flagged', reviewComment: 'no incident INC-99 exists' });

    // The policy table shows the break-glass settings and the on-call column.
    await carol.goto(`${h.base}/policies`);
    expect(await carol.locator('tr', { hasText: TARGET }).textContent()).toContain('breakers, up to 1h, 2 a day');
  }, SLOW);
});
