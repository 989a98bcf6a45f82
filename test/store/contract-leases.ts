import { describe, expect, it } from 'vitest';
import { at, T0 } from './fixtures.js';
import type { CurrentStore } from './store-contract.js';

/** Named leases (the scheduler's pass across instances). */
export function describeLeaseContract(store: CurrentStore): void {
  describe('leases', () => {
    it('one owner at a time; renewable by its owner; free again when released', async () => {
      expect(await store().takeLease('scheduler', 'a', T0, at(60))).toBe(true);
      expect(await store().takeLease('scheduler', 'b', at(1), at(61))).toBe(false);
      expect(await store().takeLease('other', 'b', at(1), at(61))).toBe(true);
      expect(await store().takeLease('scheduler', 'a', at(30), at(90))).toBe(true);
      await store().releaseLease('scheduler', 'b');
      expect(await store().takeLease('scheduler', 'b', at(31), at(91))).toBe(false);
      await store().releaseLease('scheduler', 'a');
      expect(await store().takeLease('scheduler', 'b', at(31), at(91))).toBe(true);
    });

    it('is taken over once its holder lets it lapse (a crashed instance)', async () => {
      expect(await store().takeLease('scheduler', 'a', T0, at(60))).toBe(true);
      expect(await store().takeLease('scheduler', 'b', at(59), at(119))).toBe(false);
      expect(await store().takeLease('scheduler', 'b', at(60), at(120))).toBe(true);
      expect(await store().takeLease('scheduler', 'a', at(61), at(121))).toBe(false);
    });

    it('goes to exactly one of several owners asking at once', async () => {
      const taken = await Promise.all(['a', 'b', 'c', 'd'].map((owner) => store().takeLease('race', owner, T0, at(60))));
      expect(taken.filter(Boolean)).toHaveLength(1);
    });
  });
}
