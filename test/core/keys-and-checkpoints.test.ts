import { createServer, type IncomingMessage } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { parseAnchorLines } from '../../src/core/use-cases/audit-log.js';
import { signHookBody } from '../../src/delivery/hook-runner.js';
import { keyFilePath, loadKeys, rotateKeys } from '../../src/keys.js';
import { createEngine } from '../../src/main.js';
import { AuditCheckpoints } from '../../src/scheduler/audit-checkpoints.js';
import { createTestEngine, seedTypicalSetup, silentLogger } from '../helpers/engine.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'elevate-keys-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

describe('keys live beside the data', () => {
  it('a SQLite database, its WAL and SHM and its key file are readable by their owner only, in a 0700 folder', async () => {
    const data = join(dir, 'data');
    const config = loadConfig({ DATABASE_URL: join(data, 'elevate.db'), LOG_LEVEL: 'silent' });
    const engine = await createEngine(config);
    try {
      await engine.elevate.bootstrap({ admins: ['slack:UALICE'], auditors: [] });
      for (const file of ['elevate.db', 'elevate.db-wal', 'elevate.db-shm', 'elevate.db.keys']) {
        expect(existsSync(join(data, file)), file).toBe(true);
        expect(mode(join(data, file)), file).toBe(0o600);
      }
      expect(mode(data)).toBe(0o700);
    } finally {
      await engine.close();
    }
  });

  it('the CLI and the server find the same key file for the same DATABASE_URL, whatever the working directory', () => {
    const fromHere = keyFilePath({ databaseUrl: join(dir, 'elevate.db') });
    expect(fromHere).toBe(join(dir, 'elevate.db.keys'));
    expect(keyFilePath({ databaseUrl: `sqlite://${join(dir, 'elevate.db')}` })).toBe(fromHere);
  });

  it('a database holding signed records refuses to start without its key file, rather than making new keys', async () => {
    const config = loadConfig({ DATABASE_URL: join(dir, 'elevate.db'), LOG_LEVEL: 'silent' });
    const engine = await createEngine(config);
    try {
      await engine.elevate.bootstrap({ admins: ['slack:UALICE'], auditors: [] });
    } finally {
      await engine.close();
    }
    rmSync(join(dir, 'elevate.db.keys'));
    await expect(createEngine(config)).rejects.toThrow(/the key file .*elevate\.db\.keys is missing, but the database already holds signed records: restore the key file from your backup/);
    expect(existsSync(join(dir, 'elevate.db.keys'))).toBe(false);
  });

  it('PostgreSQL without a key file or key in the configuration is refused with a clear error', () => {
    expect(() => keyFilePath({ databaseUrl: 'postgres://elevate@db/elevate' })).toThrow(/ELEVATE_SIGNING_KEY_FILE \(or ELEVATE_SIGNING_KEY\): PostgreSQL needs the key file every instance uses/);
  });

  it('rotation adds a key that signs from then on; older keys only verify', () => {
    const path = join(dir, 'elevate.db.keys');
    const first = loadKeys({ databaseUrl: join(dir, 'elevate.db') }, { mayCreate: true });
    expect(first.created).toBe(true);
    const rotated = rotateKeys(path, ['signing']);
    expect(rotated.signing).toHaveLength(2);
    expect(rotated.audit).toHaveLength(1);
    const again = loadKeys({ databaseUrl: join(dir, 'elevate.db') }, { mayCreate: false });
    expect(again.keyring.signing.active.id).toBe(rotated.signing[1]!.id);
    expect(again.keyring.signing.byId.has(first.keyring.signing.active.id)).toBe(true);
    expect(mode(path)).toBe(0o600);
  });
});

describe('audit checkpoints', () => {
  it('append the head to a 0600 file and POST it signed, retrying a failed sink with the newer head', async () => {
    const t = await createTestEngine();
    const people = await seedTypicalSetup(t);
    const received: Array<{ body: string; headers: IncomingMessage['headers'] }> = [];
    let failNext = true;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
      req.on('end', () => {
        if (failNext) {
          failNext = false;
          res.writeHead(503).end();
          return;
        }
        received.push({ body, headers: req.headers });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const file = join(dir, 'anchors', 'checkpoints.jsonl');
    const secret = 'checkpoint-secret-0123456789';
    const checkpoints = new AuditCheckpoints({
      elevate: t.elevate, logger: silentLogger, intervalMs: 3_600_000, file,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/anchors`, secret,
    });
    try {
      const first = await checkpoints.runOnce();
      expect(first).toMatchObject({ seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(received).toEqual([]); // the webhook answered 503
      // Nothing new: not published again, but the webhook that missed it is retried.
      expect(await checkpoints.runOnce()).toBeUndefined();
      expect(received.map((r) => JSON.parse(r.body))).toEqual([{ seq: first!.seq, hash: first!.hash, at: first!.at }]);
      const { body, headers } = received[0]!;
      expect(headers['x-elevate-signature']).toBe(signHookBody(secret, String(headers['x-elevate-timestamp']), body));

      await t.elevate.requestAccess(people.ursula, { target: 'Exchange\\Search-Mailbox', reason: 'INC-1' });
      const second = await checkpoints.runOnce();
      expect(second!.seq).toBeGreaterThan(first!.seq);
      expect(mode(file)).toBe(0o600);
      const anchors = parseAnchorLines(readFileSync(file, 'utf8'));
      expect(anchors.map((a) => a.seq)).toEqual([first!.seq, second!.seq]);
      // The file is what verify takes.
      expect(await t.elevate.verifyAudit(t.operator, { anchors })).toMatchObject({ ok: true, anchors: [{ ok: true }, { ok: true }] });
    } finally {
      server.close();
      await t.close();
    }
  });

  it('an anchors file with a malformed line is refused with its line number', () => {
    const text = `# published by Elevate\n12:${'a'.repeat(64)}\n{"seq":13,"hash":"${'b'.repeat(64)}"}\n{"seq":"x"}\n`;
    expect(() => parseAnchorLines(text)).toThrow(/anchors line 4: anchor "x:undefined" must be written <sequence>:<64 hex characters>/);
    writeFileSync(join(dir, 'ok.txt'), text.split('\n').slice(0, 3).join('\n'));
    expect(parseAnchorLines(readFileSync(join(dir, 'ok.txt'), 'utf8'))).toEqual([{ seq: 12, hash: 'a'.repeat(64) }, { seq: 13, hash: 'b'.repeat(64) }]);
  });
});
