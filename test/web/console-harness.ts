import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config.js';
import type { Actor } from '../../src/core/ports.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { FakeClock } from '../fakes/fake-clock.js';
import { silentLogger } from '../helpers/engine.js';
import { startTestIdp, type TestAccount } from './test-idp.js';

export const CHROMIUM = process.env.ELEVATE_TEST_CHROMIUM ?? '/usr/bin/chromium';
// Flags for headless Chromium on this machine kind (PLATFORM-NOTES): no sandbox in containers,
// and nothing that would try to reach Google's hosts.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const SCREENSHOTS = join(process.cwd(), 'test-results', 'web');

export const ACCOUNTS: Record<string, TestAccount> = {
  alice: { name: 'Alice Admin', email: 'alice@example.com', emailVerified: true },
  bob: { name: 'Bob Admin', email: 'bob@example.com', emailVerified: true },
  audrey: { name: 'Audrey Auditor', email: 'audrey@example.com', emailVerified: true },
  carol: { name: 'Carol Approver', email: 'carol@example.com', emailVerified: true },
  dave: { name: 'Dave Approver', email: 'dave@example.com', emailVerified: true },
  ursula: { name: 'Ursula Requester', email: 'ursula@example.com', emailVerified: true },
  mallory: { name: 'Mallory Other', email: 'mallory@example.com', emailVerified: false },
};

export const SEARCH = 'Exchange\\Search-Mailbox';
export const DANGER = 'Exchange\\Organization Management';
export const IMPORT = 'Exchange\\Mailbox Import Export';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Elevate with the web console on 127.0.0.1, a real OpenID provider on localhost, and one
 * headless Chromium for the whole file. Elevate's clock is a fake one an hour behind real time
 * (the provider records logins at Elevate's time: to the provider every earlier login looks an
 * hour old, so a step-up's max_age always makes it ask again; to Elevate, a login is exactly as
 * old as the test made it by moving the clock).
 * People: admins alice and bob, auditor audrey, approvers carol and dave, requesters ursula and
 * mallory; policies on SEARCH (manual), DANGER (step-up) and IMPORT (only for mailbox-team: ursula).
 */
export async function startConsoleHarness(options: { env?: Record<string, string> } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-web-'));
  mkdirSync(SCREENSHOTS, { recursive: true });
  const clock = new FakeClock();
  clock.set(new Date(Date.now() - 3_600_000).toISOString());
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const idp = await startTestIdp({
    clientId: 'elevate-test', clientSecret: 'elevate-test-secret-0123456789', redirectUri: `${base}/auth/callback`, accounts: ACCOUNTS,
    loginTime: () => Date.parse(clock.now()),
  });
  const config = loadConfig({
    DATABASE_URL: join(dir, 'elevate.db'), ELEVATE_SIGNING_KEY: 'k'.repeat(40), PORT: String(port), HOST: '127.0.0.1',
    ELEVATE_ADMINS: 'oidc:alice,oidc:bob', ELEVATE_AUDITORS: 'oidc:audrey', ELEVATE_SCHEDULER_INTERVAL: '1h',
    ELEVATE_PUBLIC_URL: base, ELEVATE_OIDC_ISSUER: idp.issuer, ELEVATE_OIDC_CLIENT_ID: 'elevate-test', ELEVATE_OIDC_CLIENT_SECRET: 'elevate-test-secret-0123456789',
    ELEVATE_WEB_SESSION_IDLE: '30m', ELEVATE_WEB_SESSION_MAX: '2h',
    ...options.env,
  });
  const server: RunningServer = await startServer(config, { logger: silentLogger, clock });
  const elevate = server.engine.elevate;
  const operator: Actor = { kind: 'operator', origin: 'cli' };
  await elevate.createGroup(operator, 'approvers');
  for (const member of ['oidc:carol', 'oidc:dave']) await elevate.addGroupMember(operator, 'approvers', member);
  await elevate.createGroup(operator, 'mailbox-team');
  await elevate.addGroupMember(operator, 'mailbox-team', 'oidc:ursula');
  await elevate.createPolicy(operator, {
    target: { type: 'task', scope: 'Exchange', name: SEARCH }, approval: 'manual', approverGroup: 'approvers', maxDurationSeconds: 8 * 3600, reasonHint: 'Give the incident number',
  });
  await elevate.createPolicy(operator, { target: { type: 'roleGroup', scope: 'Exchange', name: DANGER }, approval: 'manual', approverGroup: 'approvers', approvalStepUp: true });
  await elevate.createPolicy(operator, { target: { type: 'role', scope: 'Exchange', name: IMPORT }, approval: 'manual', approverGroup: 'approvers', eligibleGroup: 'mailbox-team' });

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const contexts: BrowserContext[] = [];
  /** A browser of its own for one person (its own cookies). */
  async function person(): Promise<Page> {
    const context = await browser.newContext({ viewport: DESKTOP });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    return page;
  }

  /** Signs in through the provider (typing the username when it asks); ends on an Elevate page. */
  async function signIn(page: Page, account: string, options: { mfa?: boolean; start?: string } = {}): Promise<void> {
    await page.goto(`${base}${options.start ?? '/'}`);
    if (new URL(page.url()).pathname === '/signin') await page.getByRole('link', { name: 'Sign in with your company account' }).click();
    await typeCredentialsIfAsked(page, account, options);
  }

  async function typeCredentialsIfAsked(page: Page, account: string, options: { mfa?: boolean } = {}): Promise<void> {
    await page.waitForURL((url) => url.origin === base || url.pathname.startsWith('/interaction/'));
    if (page.url().startsWith(idp.issuer)) {
      await page.fill('#username', account);
      if (options.mfa) await page.check('input[name=mfa]');
      await page.click('button[type=submit]');
      await page.waitForURL((url) => url.origin === base && url.pathname !== '/auth/callback');
    }
  }

  /**
   * Screenshots at desktop and phone width, into test-results/web (not committed). Of the first
   * screen only: whole-page captures of long tables cost seconds each on a shared machine.
   */
  async function screenshots(page: Page, name: string): Promise<void> {
    const options = { animations: 'disabled' as const, caret: 'hide' as const };
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), ...options });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), ...options });
    await page.setViewportSize(DESKTOP);
  }

  return {
    base, clock, idp, server, elevate, operator, browser, person, signIn, typeCredentialsIfAsked, screenshots,
    actorOf: async (identity: string): Promise<Actor> => ({ kind: 'principal', principalId: (await elevate.principalFor(identity)).id, origin: 'cli' }),
    async stop() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close();
      await server.stop();
      await idp.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type ConsoleHarness = Awaited<ReturnType<typeof startConsoleHarness>>;
