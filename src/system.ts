import { randomBytes } from 'node:crypto';
import type { Clock, IdSource } from './core/ports.js';

export const systemClock: Clock = { now: () => new Date().toISOString() };

// Crockford base32: no I, L, O, U, so ids survive being read aloud and typed into chat.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const PREFIXES = { request: 'R', grant: 'G', policy: 'POL', group: 'GRP', principal: 'P', delivery: 'D', token: 'TOK', review: 'REV' } as const;

function randomCode(length: number): string {
  const bytes = randomBytes(length);
  let code = '';
  for (const byte of bytes) code += ALPHABET[byte & 31];
  return code;
}

/** Request and grant ids are 8 random characters (40 bits): short to type, unique enough to never retry. */
// Token ids are part of the bearer secret's text, so they use the same alphabet (the secret part is separate).
// Link codes: 8 characters of 32 (40 bits), of which a guesser gets a few tries (src/core/linking.ts).
export const randomIds: IdSource = {
  next: (kind) => `${PREFIXES[kind]}-${randomCode(kind === 'request' || kind === 'grant' ? 8 : 12)}`,
  secretCode: () => randomCode(8),
};
