import { RE2JS } from 're2js';
import { InvalidInputError } from './core/errors.js';
import type { PatternEngine } from './core/ports.js';

// Policies have at most a few hundred patterns; keep their compiled forms (least recently used out).
const CACHE_SIZE = 500;

/**
 * Reason patterns on RE2 (re2js, a pure-JavaScript port): matching takes time linear in the
 * input whatever the pattern, so a catastrophic pattern such as ^(\w+\s?)+$ cannot freeze the
 * server. RE2 has no backreferences or lookaround; such patterns are refused when saved.
 */
export class Re2Patterns implements PatternEngine {
  private readonly compiled = new Map<string, RE2JS>();

  private compile(pattern: string): RE2JS {
    let found = this.compiled.get(pattern);
    if (found) {
      this.compiled.delete(pattern);
    } else {
      try {
        found = RE2JS.compile(pattern);
      } catch (error) {
        throw new InvalidInputError(`reason pattern "${pattern}" cannot be used: ${(error as Error).message} (patterns run on RE2: no backreferences or lookaround)`, { field: 'reasonPattern' });
      }
      if (this.compiled.size >= CACHE_SIZE) this.compiled.delete(this.compiled.keys().next().value!);
    }
    this.compiled.set(pattern, found);
    return found;
  }

  check(pattern: string): void {
    this.compile(pattern);
  }

  matches(pattern: string, text: string): boolean {
    return this.compile(pattern).matcher(text).find();
  }
}
