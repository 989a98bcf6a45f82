import type { IdSource } from '../../src/core/ports.js';

const PREFIXES = { request: 'R', grant: 'G', policy: 'POL', group: 'GRP', principal: 'P', delivery: 'D', token: 'TOK', review: 'REV' } as const;

/** Predictable ids: R-0001, G-0001, … */
export class SequentialIds implements IdSource {
  private readonly counters = new Map<string, number>();
  next(kind: keyof typeof PREFIXES): string {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return `${PREFIXES[kind]}-${String(n).padStart(4, '0')}`;
  }
  /** Predictable link codes: LINK0001, LINK0002, … */
  secretCode(): string {
    const n = (this.counters.get('code') ?? 0) + 1;
    this.counters.set('code', n);
    return `LINK${String(n).padStart(4, '0')}`;
  }
}
