import { NotFoundError } from '../../src/core/errors.js';
import type { Directory } from '../../src/core/ports.js';

/** Platform groups held in memory; counts lookups so tests can see caching and prefetching. */
export class FakeDirectory implements Directory {
  readonly groups = new Map<string, string[]>();
  lookups = 0;
  async resolveGroupMembers(ref: string): Promise<string[]> {
    this.lookups += 1;
    const members = this.groups.get(ref);
    if (!members) throw new NotFoundError(`platform group ${ref} does not exist`);
    return [...members];
  }
}
