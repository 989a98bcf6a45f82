import { describe, expect, it } from 'vitest';
import { card } from '../../src/core/cards.js';
import type { Delivery, DeliveryDraft } from '../../src/core/ports.js';
import type { ClaimOptions } from '../../src/store/outbox.js';
import { at, T0 } from './fixtures.js';
import type { CurrentStore } from './store-contract.js';

const toUser = (identity: string, cardKey = 'request:R-1:approver'): DeliveryDraft => ({
  platform: identity.slice(0, identity.indexOf(':')), destination: { kind: 'user', identity }, kind: 'card.post', cardKey, card: null,
});
const toFeed = (platform: string, title: string): DeliveryDraft => ({
  platform, destination: { kind: 'feed' }, kind: 'message', cardKey: null, card: card({ title }),
});
const refresh = (cardKey: string): DeliveryDraft => ({
  platform: '*', destination: { kind: 'feed' }, kind: 'card.refresh', cardKey, card: null,
});

/** The outbox (claims, leases, per-channel order) and the message references of cards. */
export function describeOutboxContract(store: CurrentStore): void {
  const enqueue = (drafts: DeliveryDraft[], when = T0) => store().transaction((tx) => tx.insertDeliveries(drafts, when));
  const claim = (owner: string, extra: Partial<ClaimOptions> = {}) => store().claimDeliveries({
    platforms: ['slack', 'teams'], owner, now: T0, leaseUntil: at(60), limit: 100, ...extra,
  });
  const ids = (deliveries: Delivery[]) => deliveries.map((d) => d.id);
  const channels = (deliveries: Delivery[]) => deliveries.map((d) => d.channelKey);

  describe('outbox', () => {
    it('queues deliveries with their channel keys and hands them out whole', async () => {
      const feed = toFeed('slack', 'Policy created');
      await enqueue([toUser('slack:U1'), feed, refresh('request:R-1:feed'), toUser('teams:29:abc')], at(-5));
      const claimed = await claim('a');
      expect(channels(claimed)).toEqual(['slack:user:slack:U1', 'slack:feed', '*:card:request:R-1:feed', 'teams:user:teams:29:abc']);
      expect(claimed[1]).toEqual({ ...feed, id: claimed[1]!.id, channelKey: 'slack:feed', attempts: 0, createdAt: at(-5), requestId: null });
      expect(claimed[0]?.destination).toEqual({ kind: 'user', identity: 'slack:U1' });
      expect(ids(claimed)).toEqual([...ids(claimed)].sort((x, y) => x - y));
    });

    it('claims only for the platforms asked, plus deliveries for every platform', async () => {
      await enqueue([toUser('teams:t1'), toUser('slack:U1'), refresh('k')]);
      expect(channels(await claim('a', { platforms: ['slack'] }))).toEqual(['slack:user:slack:U1', '*:card:k']);
      expect(channels(await claim('b', { platforms: ['teams'] }))).toEqual(['teams:user:teams:t1']);
    });

    it('does not hand out a leased delivery to anyone else, nor anything queued after it in its channel', async () => {
      await enqueue([toUser('slack:U1'), toFeed('slack', '1'), toUser('slack:U1'), toFeed('slack', '2')]);
      const first = await claim('a', { limit: 1 });
      expect(channels(first)).toEqual(['slack:user:slack:U1']);
      const second = await claim('b');
      expect(channels(second)).toEqual(['slack:feed', 'slack:feed']);
      expect(await claim('c')).toEqual([]);
      expect(await store().completeDelivery(first[0]!.id, 'a', at(1))).toBe(true);
      expect(channels(await claim('c', { now: at(1) }))).toEqual(['slack:user:slack:U1']);
    });

    it('claims a prefix of each channel when the limit cuts it', async () => {
      await enqueue([toFeed('slack', '1'), toFeed('slack', '2'), toFeed('slack', '3'), toUser('slack:U1')]);
      const first = await claim('a', { limit: 2 });
      expect(first.map((d) => d.card?.title)).toEqual(['1', '2']);
      // '3' waits behind the leased '2'; U1's channel is free.
      expect(channels(await claim('b'))).toEqual(['slack:user:slack:U1']);
    });

    it('claims at most perChannel of a channel, so a backlog never fills the claim ahead of other channels', async () => {
      await enqueue([...Array.from({ length: 8 }, (_, i) => toFeed('slack', `f${i}`)), toUser('slack:U1'), toUser('slack:U2'), toUser('slack:U1')]);
      const first = await claim('a', { limit: 4, perChannel: 2 });
      expect(first.map((d) => d.card?.title ?? d.channelKey)).toEqual(['f0', 'f1', 'slack:user:slack:U1', 'slack:user:slack:U2']);
      // The feed and U1, U2 are held; U1's second waits behind its first.
      expect(await claim('b', { perChannel: 2 })).toEqual([]);
      for (const delivery of first) expect(await store().completeDelivery(delivery.id, 'a', at(1))).toBe(true);
      expect((await claim('b', { now: at(1), perChannel: 2 })).map((d) => d.card?.title ?? d.channelKey)).toEqual(['f2', 'f3', 'slack:user:slack:U1']);
    });

    it('claims one channel only, as a prefix, when asked for it', async () => {
      await enqueue([toFeed('slack', '1'), toUser('slack:U1'), toFeed('slack', '2'), toFeed('slack', '3')]);
      const feed = await claim('a', { channelKey: 'slack:feed', limit: 2 });
      expect(feed.map((d) => d.card?.title)).toEqual(['1', '2']);
      expect(await claim('a', { channelKey: 'slack:feed' })).toEqual([]);
      expect(await store().completeDelivery(feed[0]!.id, 'a', at(1))).toBe(true);
      expect(await store().completeDelivery(feed[1]!.id, 'a', at(1))).toBe(true);
      await store().paceChannel('slack:feed', at(2));
      expect(await claim('a', { channelKey: 'slack:feed', now: at(1) })).toEqual([]);
      expect((await claim('a', { channelKey: 'slack:feed', now: at(2), leaseUntil: at(62) })).map((d) => d.card?.title)).toEqual(['3']);
      expect(channels(await claim('b', { now: at(2), leaseUntil: at(62) }))).toEqual(['slack:user:slack:U1']);
    });

    it('holds a channel behind a delivery that is not due yet, and releases it when due', async () => {
      await enqueue([toFeed('slack', '1'), toFeed('slack', '2'), toUser('slack:U1')]);
      const [one] = await claim('a', { limit: 1 });
      expect(await store().retryDelivery(one!.id, 'a', at(30), '429 rate limited')).toBe(true);
      expect(channels(await claim('a', { now: at(10) }))).toEqual(['slack:user:slack:U1']);
      const later = await claim('b', { now: at(30), leaseUntil: at(90) });
      expect(later.map((d) => [d.card?.title, d.attempts])).toEqual([['1', 1], ['2', 0]]);
    });

    it('lets another owner take over a lease once it has expired', async () => {
      await enqueue([toFeed('slack', '1'), toFeed('slack', '2')]);
      const mine = await claim('a', { leaseUntil: at(60) });
      expect(await claim('b', { now: at(59) })).toEqual([]);
      const taken = await claim('b', { now: at(60), leaseUntil: at(120) });
      expect(ids(taken)).toEqual(ids(mine));
      expect(await store().completeDelivery(mine[0]!.id, 'a', at(61))).toBe(false);
      expect(await store().completeDelivery(taken[0]!.id, 'b', at(61))).toBe(true);
    });

    it('completes, retries and fails only deliveries the owner holds', async () => {
      await enqueue([toFeed('slack', '1'), toUser('slack:U1'), toUser('slack:U2')]);
      const [feed, u1, u2] = await claim('a');
      expect(await store().completeDelivery(feed!.id, 'b', at(1))).toBe(false);
      expect(await store().retryDelivery(u1!.id, 'b', at(1), 'x')).toBe(false);
      expect(await store().failDelivery(u2!.id, 'b', 'x')).toBe(false);
      expect(await store().completeDelivery(feed!.id, 'a', at(1))).toBe(true);
      expect(await store().completeDelivery(feed!.id, 'a', at(2))).toBe(false);
      expect(await store().failDelivery(u2!.id, 'a', 'channel_not_found')).toBe(true);
      expect(await store().retryDelivery(u2!.id, 'a', at(1), 'x')).toBe(false);
      expect(await store().outboxStats(at(1))).toEqual({ pending: 1, due: 1, oldestCreatedAt: T0 });
    });

    it('does not hold a channel behind a delivery that failed for good', async () => {
      await enqueue([toUser('slack:U1'), toUser('slack:U1')]);
      const [first] = await claim('a', { limit: 1 });
      await store().failDelivery(first!.id, 'a', 'user_not_found');
      expect(ids(await claim('b'))).toEqual([first!.id + 1]);
    });

    it('hands one delivery back untouched, keeping its place in the channel', async () => {
      await enqueue([toFeed('slack', '1'), toFeed('slack', '2'), toFeed('slack', '3')]);
      const [one, two, three] = await claim('a');
      expect(await store().retryDelivery(one!.id, 'a', at(30), '503')).toBe(true);
      expect(await store().releaseDelivery(two!.id, 'b')).toBe(false);
      expect(await store().releaseDelivery(two!.id, 'a')).toBe(true);
      expect(await store().releaseDelivery(three!.id, 'a')).toBe(true);
      expect(await store().releaseDelivery(three!.id, 'a')).toBe(false);
      expect(await claim('b', { now: at(10) })).toEqual([]);
      const again = await claim('b', { now: at(30), leaseUntil: at(90) });
      expect(again.map((d) => [d.card?.title, d.attempts])).toEqual([['1', 1], ['2', 0], ['3', 0]]);
    });

    it('releases the leases of an owner', async () => {
      await enqueue([toUser('slack:U1'), toUser('slack:U2')]);
      await claim('a');
      expect(await store().releaseLeases('b')).toBe(0);
      expect(await store().releaseLeases('a')).toBe(2);
      expect(await claim('b')).toHaveLength(2);
    });

    it('reports pending and due deliveries and the oldest', async () => {
      expect(await store().outboxStats(T0)).toEqual({ pending: 0, due: 0, oldestCreatedAt: null });
      await enqueue([toUser('slack:U1')], at(-10));
      await enqueue([toUser('slack:U2'), toUser('slack:U3')], at(0));
      const [, , u3] = await claim('a');
      await store().retryDelivery(u3!.id, 'a', at(100), 'x');
      expect(await store().outboxStats(T0)).toEqual({ pending: 3, due: 2, oldestCreatedAt: at(-10) });
    });

    it('holds a paced channel until its pace allows the next message, whoever claims it', async () => {
      await enqueue([toFeed('slack', '1'), toUser('slack:U1')]);
      await store().paceChannel('slack:feed', at(2));
      expect(channels(await claim('a', { now: at(1) }))).toEqual(['slack:user:slack:U1']);
      expect(channels(await claim('b', { now: at(2), leaseUntil: at(62) }))).toEqual(['slack:feed']);
      await store().paceChannel('slack:feed', at(3));
      await store().paceChannel('slack:feed', at(4));
      await enqueue([toFeed('slack', '2')], at(2));
      expect(await claim('c', { now: at(3), leaseUntil: at(63) })).toEqual([]);
    });

    it('keeps one waiting home publish per account; one being sent does not count, one waiting for a retry does', async () => {
      const queue = (identities: string[], when = T0) => store().transaction((tx) => tx.queueHomePublishes(identities, when));
      await queue(['slack:U1', 'slack:U2']);
      await queue(['slack:U1', 'slack:U1']);
      const first = await claim('a');
      expect(first.map((d) => [d.channelKey, d.kind, d.destination])).toEqual([
        ['slack:home:slack:U1', 'home.publish', { kind: 'home', identity: 'slack:U1' }],
        ['slack:home:slack:U2', 'home.publish', { kind: 'home', identity: 'slack:U2' }],
      ]);
      // U1's is being sent (it may have read the home already): a change now queues another.
      await queue(['slack:U1']);
      await queue(['slack:U1']);
      expect(await store().retryDelivery(first[1]!.id, 'a', at(30), '429')).toBe(true);
      await queue(['slack:U2']);
      expect(await store().completeDelivery(first[0]!.id, 'a', at(1))).toBe(true);
      const next = await claim('b', { now: at(30), leaseUntil: at(90) });
      expect(next.map((d) => [d.channelKey, d.attempts])).toEqual([['slack:home:slack:U2', 1], ['slack:home:slack:U1', 0]]);
    });

    it('claims nothing when the limit is zero or nothing is due', async () => {
      await enqueue([toUser('slack:U1')], at(5));
      expect(await claim('a')).toEqual([]);
      expect(await claim('a', { now: at(5), limit: 0 })).toEqual([]);
      expect(await claim('a', { now: at(5) })).toHaveLength(1);
    });
  });

  describe('message refs', () => {
    const ref = { platform: 'slack', channel: 'D123', messageId: '1700000000.0001' };

    it('records, finds and lists the messages posted for a card', async () => {
      expect(await store().findMessageRef('k', 'slack', 'slack:user:slack:U1')).toBeUndefined();
      await store().saveMessageRef('k', 'slack:user:slack:U1', ref, 1);
      await store().saveMessageRef('k', 'slack:feed', { ...ref, channel: 'C1' }, 2);
      await store().saveMessageRef('other', 'slack:feed', { ...ref, channel: 'C1' }, 1);
      expect(await store().findMessageRef('k', 'slack', 'slack:user:slack:U1')).toEqual({ ...ref, channelKey: 'slack:user:slack:U1', version: 1 });
      expect(await store().listMessageRefs('k')).toEqual([
        { ...ref, channel: 'C1', channelKey: 'slack:feed', version: 2 },
        { ...ref, channelKey: 'slack:user:slack:U1', version: 1 },
      ]);
      expect(await store().listMessageRefs('none')).toEqual([]);
    });

    it('replaces the message of a card in a channel', async () => {
      await store().saveMessageRef('k', 'slack:feed', ref, 1);
      await store().saveMessageRef('k', 'slack:feed', { ...ref, messageId: '2' }, 3);
      expect(await store().listMessageRefs('k')).toEqual([{ ...ref, messageId: '2', channelKey: 'slack:feed', version: 3 }]);
    });

    it('raises the version a message shows, never lowers it', async () => {
      await store().saveMessageRef('k', 'slack:feed', ref, 2);
      expect(await store().setMessageRefVersion('k', 'slack', 'slack:feed', 1)).toBe(false);
      expect(await store().setMessageRefVersion('k', 'slack', 'slack:feed', 4)).toBe(true);
      expect(await store().setMessageRefVersion('k', 'slack', 'slack:other', 9)).toBe(false);
      expect((await store().findMessageRef('k', 'slack', 'slack:feed'))?.version).toBe(4);
    });
  });
}
