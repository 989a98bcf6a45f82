/**
 * One Elevate instance of postgres.bench.ts, in its own process: opens DATABASE_URL (argv[2]),
 * creates its requesters (argv[3] = instance number, argv[4] = cycles, argv[5] = concurrent chains),
 * says `ready`, and on `go` runs its request→approve cycles through the use cases, then says
 * `done` with how long they took. Talks to the parent over the IPC channel of `fork`.
 */
import pino from 'pino';
import { DEFAULT_MAX_GRANT_SECONDS } from '../src/core/context.js';
import { Elevate } from '../src/core/elevate.js';
import { keyringFromSecret } from '../src/keys.js';
import { Re2Patterns } from '../src/patterns.js';
import type { Actor } from '../src/core/ports.js';
import { openDatabase } from '../src/main.js';
import { AuditChainer } from '../src/scheduler/audit-chainer.js';
import { randomIds, systemClock } from '../src/system.js';

const [url, instanceText, cyclesText, chainsText] = process.argv.slice(2) as [string, string, string, string];
const cycles = Number(cyclesText);
const chains = Number(chainsText);
const send = (message: object) => process.send!(message);

const { db, store } = await openDatabase(url, systemClock, { poolSize: chains + 2 });
const elevate = new Elevate({
    patterns: new Re2Patterns(),
  store, clock: systemClock, ids: randomIds, directory: { resolveGroupMembers: async () => [] },
  config: { keys: keyringFromSecret('bench-key-0123456789abcdef0123456789abcdef'), maxGrantSeconds: DEFAULT_MAX_GRANT_SECONDS, requestTimeoutSeconds: 86400, defaultApproverGroup: 'admins', expiryWarningSeconds: 900, reminderAfterSeconds: 3600, feedPlatforms: ['slack'] },
});
const approver: Actor = { kind: 'principal', principalId: (await elevate.principalFor('slack:UAPPROVER1')).id, origin: 'slack' };
const requesters: Actor[] = [];
for (let i = 0; i < cycles; i++) {
  requesters.push({ kind: 'principal', principalId: (await elevate.principalFor(`slack:UREQ${instanceText}X${i}`)).id, origin: 'slack' });
}

// The chainer every instance runs (PostgreSQL), as `elevate serve` does: its work is in the figure.
const chainer = new AuditChainer({ elevate, logger: pino({ level: 'silent' }), intervalMs: 100 });

process.once('message', async () => {
  const started = performance.now();
  chainer.start();
  let next = 0;
  const chain = async () => {
    for (let i = next++; i < cycles; i = next++) {
      const { request } = await elevate.requestAccess(requesters[i]!, { target: 'Exchange\\Search-Mailbox', duration: '1h', reason: 'INC-1 bench' });
      await elevate.approve(approver, { requestId: request.id });
    }
  };
  await Promise.all(Array.from({ length: chains }, chain));
  await chainer.stop();
  const ms = performance.now() - started;
  await db.destroy();
  send({ done: cycles, ms });
  process.disconnect();
});
send({ ready: true });
