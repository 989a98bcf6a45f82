import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { plainTimes } from '../../src/core/time-text.js';
import { OutboxDispatcher } from '../../src/delivery/dispatcher.js';
import { backoffMs } from '../../src/delivery/delivery-error.js';
import { card } from '../../src/core/cards.js';
import { RecordingChat } from '../fakes/recording-chat.js';
import { createTestEngine, seedTypicalSetup, silentLogger, type TestEngine } from '../helpers/engine.js';
import { eventually } from '../helpers/eventually.js';

const SEARCH = 'Exchange\\Search-Mailbox';

let t: TestEngine;
let people: Awaited<ReturnType<typeof seedTypicalSetup>>;

beforeEach(async () => {
  t = await createTestEngine();
  people = await seedTypicalSetup(t);
  await t.deliverAll();
  t.chat.sent.length = 0;
});
afterEach(async () => t.close());

describe('outbox dispatcher', () => {
  it('posts cards to approvers, requester and feed; a decision edits every copy in place', async () => {
    const { request } = await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1 <!channel>' });
    await t.deliverAll();
    const posts = t.chat.sent.filter((s) => s.op === 'post');
    expect(new Set(posts.map((s) => s.destination))).toEqual(new Set(['slack:UCAROL', 'slack:UDAVE', 'slack:UERIN', 'slack:UURSULA', 'feed']));
    const approverCards = posts.filter((s) => s.card.title === `Access request ${request.id}`);
    expect(approverCards).toHaveLength(4); // three approvers and the feed root
    expect(approverCards.filter((s) => s.destination !== 'feed').every((s) => s.card.actions.map((a) => a.verb).join() === 'request.approve,request.approveWithComment,request.deny')).toBe(true);
    const feedRoot = posts.find((s) => s.destination === 'feed' && !s.threadOf)!;
    expect(posts.find((s) => s.threadOf === feedRoot.messageId)?.card.title).toBe('requested');

    t.chat.sent.length = 0;
    await t.elevate.approve(people.carol, { requestId: request.id, comment: 'go' });
    await t.deliverAll();
    const updated = new Set(t.chat.sent.filter((s) => s.op === 'update').map((u) => u.messageId));
    for (const copy of approverCards) expect(updated.has(copy.messageId)).toBe(true);
    for (const copy of approverCards) {
      const shown = t.chat.messages.get(copy.messageId)!.card;
      expect(shown.actions).toEqual([]);
      // Times travel as marks each platform draws in the reader's time zone; in plain text, UTC.
      expect(plainTimes(shown.status!.text)).toMatch(/^Approved by slack:UCAROL at 2026-11-27 09:00 UTC: “go”/);
    }
    expect(t.chat.sent.some((s) => s.op === 'post' && s.threadOf === feedRoot.messageId && s.card.title === 'approved by slack:UCAROL: “go”')).toBe(true);
    expect(t.chat.postsTo('slack:UURSULA').some((s) => s.card.title === `Access to ${SEARCH} granted`)).toBe(true);
  });

  it('a rate limit is retried after its Retry-After, in order, and other channels are not stalled', async () => {
    t.chat.failNext(1, 'rate-limit', 30_000);
    await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    await t.deliverAll();
    const delivered = t.chat.sent.length;
    expect(delivered).toBeGreaterThan(0); // the other channels went through
    const stats = await t.store.outboxStats(t.clock.now());
    expect(stats.pending).toBeGreaterThan(0);
    t.clock.advance(29);
    expect(await t.deliverAll()).toBe(0);
    t.clock.advance(1);
    await t.deliverAll();
    expect((await t.store.outboxStats(t.clock.now())).pending).toBe(0);
    // Every destination got its card exactly once.
    for (const who of ['slack:UCAROL', 'slack:UDAVE', 'slack:UERIN', 'slack:UURSULA']) expect(t.chat.postsTo(who)).toHaveLength(1);
  });

  it('server errors back off and recover with nothing lost', async () => {
    t.chat.failNext(3, 'server-error');
    await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    for (let i = 0; i < 10; i++) {
      await t.deliverAll();
      t.clock.advance(60);
    }
    expect((await t.store.outboxStats(t.clock.now())).pending).toBe(0);
    expect(t.chat.postsTo('feed').filter((s) => !s.threadOf)).toHaveLength(1);
  });

  it('a crashed instance’s claimed deliveries are taken over after the lease lapses (at-least-once)', async () => {
    await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    const now = t.clock.now();
    const claimed = await t.store.claimDeliveries({ platforms: ['slack'], owner: 'crashed', now, leaseUntil: new Date(Date.parse(now) + 60_000).toISOString(), limit: 100 });
    expect(claimed.length).toBeGreaterThan(0);
    expect(await t.deliverAll()).toBe(0);
    t.clock.advance(61);
    expect(await t.deliverAll()).toBe(claimed.length);
    expect(t.chat.postsTo('slack:UCAROL')).toHaveLength(1);
  });

  it('keeps a channel\'s pace across instances: the next instance waits until the pace allows', async () => {
    const paced = (owner: string, chat: RecordingChat) => new OutboxDispatcher({
      store: t.store, ports: [chat], clock: t.clock, logger: silentLogger, owner, paceMs: { slack: 1000 }, maxAttempts: 5,
    });
    const first = new RecordingChat('slack');
    const second = new RecordingChat('slack');
    await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    await paced('one', first).runOnce();
    const feedPosts = first.postsTo('feed').length;
    expect(feedPosts).toBeGreaterThan(0);
    await t.elevate.approve(people.carol, { requestId: (await t.elevate.listRequests(t.operator))[0]!.id });
    // The feed got a message from instance one just now: instance two may not send to it yet.
    await paced('two', second).runOnce();
    expect(second.postsTo('feed')).toHaveLength(0);
    t.clock.advance(1);
    await paced('two', second).runOnce();
    expect(second.postsTo('feed').length).toBeGreaterThan(0);
  });

  it('renews its leases through a batch longer than one lease: another instance never sends the same messages', { timeout: 60_000 }, async () => {
    // Each send waits for the test, which moves the (fake) clock 0.6 s per message: eight messages
    // take 4.8 s of the clock against a 1 s lease. Between messages, instance B tries to claim.
    const renewals: string[] = [];
    const store = Object.create(t.store) as typeof t.store;
    store.renewLeases = async (owner, leaseUntil) => {
      renewals.push(leaseUntil);
      return t.store.renewLeases(owner, leaseUntil);
    };
    const sent: string[] = [];
    let releaseSend: (() => void) | undefined;
    const chat = new RecordingChat('slack');
    const post = chat.post.bind(chat);
    chat.post = async (destination, message, options) => {
      await new Promise<void>((resolve) => { releaseSend = resolve; });
      sent.push(`a:${message.title}`);
      return post(destination, message, options);
    };
    const other = new RecordingChat('slack');
    const options = { clock: t.clock, logger: silentLogger, paceMs: { slack: 0 }, maxAttempts: 5, leaseSeconds: 1 };
    const a = new OutboxDispatcher({ ...options, store, ports: [chat], owner: 'a' });
    const b = new OutboxDispatcher({ ...options, store: t.store, ports: [other], owner: 'b' });
    await t.store.transaction((tx) => tx.insertDeliveries(Array.from({ length: 8 }, (_, i) => ({
      platform: 'slack', destination: { kind: 'user' as const, identity: 'slack:UURSULA' }, kind: 'message' as const, cardKey: null, card: card({ title: `m${i}` }),
    })), t.clock.now()));

    const first = a.runOnce();
    for (let i = 0; i < 8; i++) {
      expect(await eventually(() => releaseSend !== undefined)).toBe(true); // A is sending message i
      t.clock.advance(0.6);
      // A's heartbeat (every third of the lease, in real time) renews its lease from the moved clock.
      const renewedTo = new Date(Date.parse(t.clock.now()) + 1000).toISOString();
      expect(await eventually(() => renewals.some((until) => until >= renewedTo))).toBe(true);
      expect(await b.runOnce()).toBe(0);
      const release = releaseSend!;
      releaseSend = undefined;
      release();
    }
    expect(await first).toBe(8);
    expect(sent).toEqual(Array.from({ length: 8 }, (_, i) => `a:m${i}`));
    expect(other.sent).toEqual([]);
  });

  it('gives up after the maximum attempts and marks the delivery failed', async () => {
    const chat = new RecordingChat('slack');
    chat.failNext(100, 'server-error');
    const dispatcher = new OutboxDispatcher({ store: t.store, ports: [chat], clock: t.clock, logger: silentLogger, owner: 'x', paceMs: { slack: 0 }, maxAttempts: 2 });
    await t.elevate.requestAccess(people.ursula, { target: SEARCH, reason: 'INC-1' });
    for (let i = 0; i < 5; i++) {
      await dispatcher.runOnce();
      t.clock.advance(3600);
    }
    expect((await t.store.outboxStats(t.clock.now())).pending).toBe(0);
    expect(chat.sent).toHaveLength(0);
  });

  it('backoff doubles and is capped', () => {
    expect(backoffMs(0, () => 0.5)).toBe(2000);
    expect(backoffMs(3, () => 0.5)).toBe(16000);
    expect(backoffMs(30, () => 0.5)).toBe(600000);
  });
});
