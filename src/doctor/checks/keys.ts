import { existsSync, statSync } from 'node:fs';
import { keyFilePath, keyringFromSecret, KeyError, keyringOf, readKeyFileAt } from '../../keys.js';
import type { Keyring } from '../../core/keyring.js';
import { fail, ok, skip, warn, type Check, type CheckResult } from '../doctor.js';

/**
 * The keys that prove requests, grants and the audit log: present, readable by their owner only,
 * and holding the keys the database's latest records were signed with. Never makes a key file.
 */
export const keysCheck: Check = {
  name: 'keys',
  async run(ctx) {
    const config = ctx.config;
    if (!config) return [skip('keys', 'needs a valid configuration')];
    let path: string | undefined;
    try {
      path = keyFilePath({ secret: config.ELEVATE_SIGNING_KEY, file: config.ELEVATE_SIGNING_KEY_FILE, databaseUrl: config.DATABASE_URL });
    } catch (error) {
      if (error instanceof KeyError) return [fail('keys', error.message, 'set ELEVATE_SIGNING_KEY_FILE to a key file every instance shares (elevate key list shows its ids), or ELEVATE_SIGNING_KEY')];
      throw error;
    }
    const results: CheckResult[] = [];
    let keyring: Keyring | undefined;
    if (config.ELEVATE_SIGNING_KEY) {
      keyring = keyringFromSecret(config.ELEVATE_SIGNING_KEY);
      results.push(ok('keys', 'derived from ELEVATE_SIGNING_KEY'));
    } else if (path === undefined) {
      return [ok('keys', 'in-memory database: keys for this process only')];
    } else if (!existsSync(path)) {
      results.push(warn('key file', `${path} does not exist yet`, 'it is made at the first start; if the database already holds records, restore the key file from your backup instead'));
    } else {
      const mode = statSync(path).mode & 0o777;
      results.push(mode & 0o077
        ? fail('key file', `${path} is readable by others (mode ${mode.toString(8)}): anyone who reads it can forge signatures and audit records`, `chmod 600 ${path}`)
        : ok('key file', `${path} (mode ${mode.toString(8)})`));
      try {
        keyring = keyringOf(readKeyFileAt(path));
      } catch (error) {
        results.push(fail('key file', (error as Error).message, 'restore the key file from your backup'));
      }
    }
    if (!ctx.db) return results;
    const auditRow = await ctx.db.selectFrom('audit_log').select('key_id').orderBy('seq', 'desc').limit(1).executeTakeFirst();
    const requestRow = await ctx.db.selectFrom('requests').select('signature').orderBy('created_at', 'desc').limit(1).executeTakeFirst();
    // `s1:<key id>:<hex>`; an earlier version's bare hex was made with the key now called `legacy`.
    const signedWith = requestRow ? (/^s1:([^:]+):/.exec(requestRow.signature)?.[1] ?? 'legacy') : undefined;
    const latest = { audit: auditRow?.key_id ?? undefined, request: signedWith };
    const missing = [
      ...(latest.audit && !keyring?.audit.byId.has(latest.audit) ? [`audit key ${latest.audit}`] : []),
      ...(latest.request && !keyring?.signing.byId.has(latest.request) ? [`signing key ${latest.request}`] : []),
    ];
    if (missing.length > 0) {
      results.push(fail('keys', `the database's latest records were signed with ${missing.join(' and ')}, which ${keyring ? 'the key file does not hold' : 'is not available'}: this is not this database's key file`, 'restore the key file that belongs to this database (elevate key list shows the ids it holds)'));
    } else if (keyring) {
      results.push(ok('keys', `signing ${keyring.signing.active.id}, audit ${keyring.audit.active.id} (${keyring.signing.byId.size + keyring.audit.byId.size} keys in all)`));
    }
    return results;
  },
};
