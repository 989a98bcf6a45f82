import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { card } from '../../src/core/cards.js';
import { createTestEngine, seedTypicalSetup, type TestEngine } from '../helpers/engine.js';

let t: TestEngine;
let people: Awaited<ReturnType<typeof seedTypicalSetup>>;
beforeEach(async () => {
  t = await createTestEngine();
  people = await seedTypicalSetup(t);
  await t.deliverAll();
  t.chat.sent.length = 0;
});
afterEach(async () => t.close());

describe('a reply delivered later', () => {
  it('goes to the asker\'s own chat through the outbox, not before the wait', async () => {
    await t.elevate.deliverReplyLater(people.ursula, {
      platform: 'slack', destination: { kind: 'user', identity: 'slack:UURSULA' }, cards: [card({ title: 'Your requests' }), card({ title: 'R-1' })], waitSeconds: 30,
    });
    expect(await t.deliverAll()).toBe(0);
    t.clock.advance(30);
    await t.deliverAll();
    expect(t.chat.postsTo('slack:UURSULA').map((s) => s.card.title)).toEqual(['Your requests', 'R-1']);
  });

  it('is refused, changing nothing, for someone else\'s chat, the operator, no cards or a wait past an hour', async () => {
    const ursulaChat = { kind: 'user' as const, identity: 'slack:UURSULA' };
    const attempts = [
      t.elevate.deliverReplyLater(people.carol, { platform: 'slack', destination: ursulaChat, cards: [card({ title: 'x' })] }),
      t.elevate.deliverReplyLater(t.operator, { platform: 'slack', destination: ursulaChat, cards: [card({ title: 'x' })] }),
      t.elevate.deliverReplyLater(people.ursula, { platform: 'slack', destination: ursulaChat, cards: [] }),
      t.elevate.deliverReplyLater(people.ursula, { platform: 'slack', destination: ursulaChat, cards: [card({ title: 'x' })], waitSeconds: 7200 }),
      t.elevate.deliverReplyLater(people.ursula, { platform: 'slack', destination: { kind: 'channel', ref: 'teams:19:x' }, cards: [card({ title: 'x' })] }),
    ];
    const codes = (await Promise.allSettled(attempts)).map((r) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : 'accepted'));
    expect(codes).toEqual(['not_allowed', 'not_allowed', 'invalid_input', 'invalid_input', 'invalid_input']);
    expect((await t.store.outboxStats(t.clock.now())).pending).toBe(0);
  });
});
