import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The secrets Elevate proves its records with (DESIGN rule 10): signing keys for requests and
 * grants, and audit keys for the audit chain, each with an id the records carry. The newest key
 * of a kind signs; older ones only verify (rotation). Keys live outside the database
 * (src/keys.ts loads them), so someone who can write the database cannot forge a signature.
 */
export interface Key {
  id: string;
  secret: Buffer;
}

export interface KeySet {
  /** Signs everything new. */
  active: Key;
  /** Every key that may verify, by id (the active one included). */
  byId: ReadonlyMap<string, Key>;
}

export interface Keyring {
  signing: KeySet;
  audit: KeySet;
}

/** A key set from keys oldest first: the last one signs. */
export function keySet(keys: Key[]): KeySet {
  const active = keys.at(-1);
  if (!active) throw new Error('a key set needs at least one key');
  return { active, byId: new Map(keys.map((key) => [key.id, key])) };
}

/** HMAC-SHA256 of `text` under `key`, hex. */
export function hmacHex(key: Key, text: string): string {
  return createHmac('sha256', key.secret).update(text).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
