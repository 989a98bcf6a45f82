import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { keySet, type Key, type Keyring } from './core/keyring.js';
import { toInstant } from './core/time.js';

/**
 * Where Elevate's keys come from (DESIGN rule 10: keys live beside the data they sign, never in
 * the working directory, and never in the database):
 * - ELEVATE_SIGNING_KEY: one secret from which both the signing and the audit key are derived
 *   (HKDF, each its own id). Simple; rotating it means a key file.
 * - otherwise a key file (JSON, mode 600): ELEVATE_SIGNING_KEY_FILE, or for SQLite the file
 *   `<database>.keys` beside the database, made on first start. PostgreSQL needs one of the two.
 * A signing key file of an earlier version (a bare hex secret, `signing.key` beside the database)
 * is taken in as the verify-only key `legacy`, so existing request signatures keep verifying.
 */
export interface KeyFile {
  version: 1;
  signing: StoredKey[];
  audit: StoredKey[];
}

interface StoredKey {
  id: string;
  /** 32 random bytes, hex. */
  secret: string;
  createdAt: string;
}

export class KeyError extends Error {}

const KEY_BYTES = 32;
const ID_BYTES = 4;
const LEGACY_ID = 'legacy';

export interface KeySource {
  /** ELEVATE_SIGNING_KEY */
  secret?: string;
  /** ELEVATE_SIGNING_KEY_FILE */
  file?: string;
  /** DATABASE_URL: a SQLite path finds its key file beside it. */
  databaseUrl: string;
}

/** The key file a configuration uses, or undefined when keys come from ELEVATE_SIGNING_KEY. */
export function keyFilePath(source: KeySource): string | undefined {
  if (source.secret) return undefined;
  if (source.file) return resolve(source.file);
  if (/^postgres(ql)?:\/\//i.test(source.databaseUrl)) {
    throw new KeyError('ELEVATE_SIGNING_KEY_FILE (or ELEVATE_SIGNING_KEY): PostgreSQL needs the key file every instance uses (copy the same file to each), or a signing key in the environment: without one, each instance would make keys of its own');
  }
  const path = sqlitePath(source.databaseUrl);
  if (path === undefined) return undefined; // in memory: keys for this process only
  return `${resolve(path)}.keys`;
}

function sqlitePath(url: string): string | undefined {
  const path = url.replace(/^sqlite:(\/\/)?/, '');
  return path === ':memory:' || path === '' ? undefined : path;
}

function newKey(prefix: string, now: number): StoredKey {
  return { id: `${prefix}-${randomBytes(ID_BYTES).toString('hex')}`, secret: randomBytes(KEY_BYTES).toString('hex'), createdAt: toInstant(now) };
}

function toKey(stored: StoredKey): Key {
  return { id: stored.id, secret: Buffer.from(stored.secret, 'hex') };
}

function derived(secret: string, purpose: 'signing' | 'audit'): Key {
  const key = Buffer.from(hkdfSync('sha256', secret, 'elevate', `elevate-${purpose}-key`, KEY_BYTES));
  return { id: `env-${purpose}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`, secret: key };
}

function readKeyFile(path: string): KeyFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new KeyError(`cannot read the key file ${path}: ${(error as Error).message}`);
  }
  const file = parsed as Partial<KeyFile>;
  const valid = (keys: unknown) => Array.isArray(keys) && keys.length > 0 && keys.every((k: Partial<StoredKey>) =>
    typeof k?.id === 'string' && /^[A-Za-z0-9-]{1,40}$/.test(k.id) && typeof k.secret === 'string' && /^[0-9a-f]{32,}$/.test(k.secret));
  if (file.version !== 1 || !valid(file.signing) || !valid(file.audit)) {
    throw new KeyError(`the key file ${path} is not an Elevate key file (version 1 with signing and audit keys)`);
  }
  return file as KeyFile;
}

/** Writes the key file whole (a temporary file renamed over it), readable by its owner only. */
export function writeKeyFile(path: string, file: KeyFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** The bare hex secret of an earlier version's signing key file, if one is beside the database. */
function legacySecret(source: KeySource, path: string): string | undefined {
  const candidates = [source.file, join(dirname(path), 'signing.key')].filter((p): p is string => p !== undefined);
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const text = readFileSync(candidate, 'utf8').trim();
    if (/^[0-9a-f]{32,}$/i.test(text)) return text;
  }
  return undefined;
}

export interface LoadedKeys {
  keyring: Keyring;
  /** The key file used, if any, and whether it was made now. */
  file?: string;
  created: boolean;
}

/**
 * Loads the keyring. A missing key file is made only when `mayCreate` (the database holds no
 * signed records yet): a database whose key file is gone must not silently get new keys, which
 * would make every existing signature read as altered.
 */
export function loadKeys(source: KeySource, options: { mayCreate: boolean; now?: number }): LoadedKeys {
  if (source.secret) return { keyring: keyringFromSecret(source.secret), created: false };
  const path = keyFilePath(source);
  const now = options.now ?? Date.now();
  if (path === undefined) {
    return { keyring: { signing: keySet([toKey(newKey('s', now))]), audit: keySet([toKey(newKey('a', now))]) }, created: true };
  }
  if (existsSync(path) && !/^[0-9a-f]{32,}\s*$/i.test(readFileSync(path, 'utf8'))) {
    const file = readKeyFile(path);
    return { keyring: keyringOf(file), file: path, created: false };
  }
  const legacy = legacySecret(source, path);
  if (!options.mayCreate && legacy === undefined) {
    throw new KeyError(`the key file ${path} is missing, but the database already holds signed records: restore the key file from your backup (a new key would make every existing signature read as altered)`);
  }
  const file: KeyFile = {
    version: 1,
    signing: [...(legacy ? [{ id: LEGACY_ID, secret: Buffer.from(legacy, 'utf8').toString('hex'), createdAt: toInstant(now) }] : []), newKey('s', now)],
    audit: [newKey('a', now)],
  };
  writeKeyFile(path, file);
  return { keyring: keyringOf(file), file: path, created: true };
}

/** The keyring ELEVATE_SIGNING_KEY stands for: a signing and an audit key derived from it. */
export function keyringFromSecret(secret: string): Keyring {
  // Signatures of an earlier version were made with the secret itself: it verifies them as `legacy`.
  const legacy: Key = { id: LEGACY_ID, secret: Buffer.from(secret, 'utf8') };
  return { signing: keySet([legacy, derived(secret, 'signing')]), audit: keySet([derived(secret, 'audit')]) };
}

export function keyringOf(file: KeyFile): Keyring {
  return { signing: keySet(file.signing.map(toKey)), audit: keySet(file.audit.map(toKey)) };
}

/** Adds a new key of each asked kind: it signs from now on; the older ones still verify. */
export function rotateKeys(path: string, kinds: Array<'signing' | 'audit'>, now = Date.now()): KeyFile {
  const file = readKeyFile(path);
  const rotated: KeyFile = {
    ...file,
    signing: kinds.includes('signing') ? [...file.signing, newKey('s', now)] : file.signing,
    audit: kinds.includes('audit') ? [...file.audit, newKey('a', now)] : file.audit,
  };
  writeKeyFile(path, rotated);
  return rotated;
}

/** What `elevate key list` shows: ids, kinds, dates and which key signs; never a secret. */
export function describeKeys(file: KeyFile): Array<{ kind: 'signing' | 'audit'; id: string; createdAt: string; signs: boolean }> {
  return (['signing', 'audit'] as const).flatMap((kind) => file[kind].map((key, index, all) => ({
    kind, id: key.id, createdAt: key.createdAt, signs: index === all.length - 1,
  })));
}

export function readKeyFileAt(path: string): KeyFile {
  return readKeyFile(path);
}
