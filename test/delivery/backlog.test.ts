import { afterEach, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { eventually } from '../helpers/eventually.js';
import { AUDIT_CHANNEL, seedSlackPolicies, startSlackHarness, type SlackHarness } from '../helpers/slack-harness.js';

/**
 * No head-of-line blocking, over real HTTP: Elevate paces the Slack audit channel at Slack's
 * 1 message per second (and the fake Slack refuses anything faster), hundreds of feed events
 * are queued, and a request typed meanwhile reaches every approver while the feed's backlog is
 * still being sent, in order. The clock is the real one: the pace is kept in the database.
 */
const BACKLOG = 300;
const APPROVERS = ['UCAROL', 'UDAVE', 'UERIN'];

describe.each(await databases())('delivery with a backlog in the audit feed (%s)', (database) => {
  let h: SlackHarness;
  afterEach(async () => h?.close());

  it('a new request\'s approver cards go out while hundreds of feed events wait; the feed keeps its order and pace', { timeout: 120_000 }, async () => {
    h = await startSlackHarness({ database, perChannelPerSecond: 1, env: { SLACK_PACE_MS: '1000' }, liveClock: true });
    for (let i = 0; i < BACKLOG; i++) await h.elevate.createGroup(h.operator, `backlog-${String(i).padStart(3, '0')}`);
    await seedSlackPolicies(h); // its events queue behind the backlog
    // The feed is being sent (one message a second)...
    expect(await eventually(() => h.slack.messagesIn(AUDIT_CHANNEL).length >= 2)).toBe(true);

    const answer = await h.command('UURSULA', 'request Exchange\\Search-Mailbox 1h INC-7');
    const id = /R-[0-9A-Z]{8}/.exec(String(answer.body?.text))![0];
    const cardIn = (user: string) => h.texts(h.dm(user)).some((text) => text.includes(id) && text.includes('request.approve'));
    // ...and the approvers' cards do not wait for it (the bound only stops a broken run).
    expect(await eventually(() => APPROVERS.every(cardIn), 30_000)).toBe(true);

    const feed = h.slack.messagesIn(AUDIT_CHANNEL);
    const stats = await h.server.engine.store.outboxStats(h.clock.now());
    // Most of the backlog is still queued when the cards have arrived.
    expect(feed.length).toBeLessThan(BACKLOG / 2);
    expect(stats.pending).toBeGreaterThan(BACKLOG / 2);
    // The feed so far: its events in the order they happened, none refused by Slack's pace.
    const groups = h.texts(AUDIT_CHANNEL).map((text) => /backlog-(\d{3})/.exec(text)?.[1]).filter((n): n is string => n !== undefined);
    expect(groups.length).toBeGreaterThan(0);
    expect(groups).toEqual([...groups].sort());
    expect(new Set(groups).size).toBe(groups.length);
    expect(h.slack.rateLimited).toBe(0);
  });
});
