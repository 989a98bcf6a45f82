/**
 * The raw PostgreSQL floor of postgres.bench.ts: the statements Elevate's use cases issue for one
 * request→approve cycle, captured once from the `pg` driver, then replayed with `pg` alone (no
 * Kysely, no use cases, no hashing) by as many clients as chains, as named prepared statements, in
 * the same transactions. Each replayed cycle gets ids of its own (request, grant, requester,
 * audit sequence numbers) so it writes new rows as Elevate would.
 */
import pg from 'pg';
import type { Actor } from '../src/core/ports.js';
import type { Elevate } from '../src/core/elevate.js';

export interface CapturedStatement {
  text: string;
  values: unknown[];
}

/**
 * Runs one cycle through the use cases and returns the statements it sent, in order. The capture
 * wraps `pg.Client.prototype.query` for the duration of the cycle: a bench-only probe, because the
 * store gives no hook on the statements it sends and a log line per statement would be parsed back.
 */
export async function captureCycle(elevate: Elevate, requester: Actor, approver: Actor): Promise<{ statements: CapturedStatement[]; ids: string[] }> {
  const statements: CapturedStatement[] = [];
  const prototype = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0] as string | { text: string; values?: unknown[] };
    statements.push(typeof first === 'string' ? { text: first, values: (args[1] as unknown[] | undefined) ?? [] } : { text: first.text, values: first.values ?? [] });
    return original.apply(this, args);
  };
  let ids: string[];
  try {
    const { request } = await elevate.requestAccess(requester, { target: 'Exchange\\Search-Mailbox', duration: '1h', reason: 'INC-1 bench' });
    const { grant } = await elevate.approve(approver, { requestId: request.id });
    ids = [request.id, grant?.id, requester.kind === 'principal' ? requester.principalId : undefined].filter((id): id is string => Boolean(id));
  } finally {
    prototype.query = original;
  }
  // Only the statements of the cycle's transactions: reads outside them (resolving principals) are the adapter's, not the cycle's.
  const inTransactions: CapturedStatement[] = [];
  let open = false;
  for (const statement of statements) {
    if (statement.text === 'begin') open = true;
    if (open) inTransactions.push(statement);
    if (statement.text === 'commit') open = false;
  }
  return { statements: inTransactions, ids };
}

// The statements that only move the single audit head: they are the chain's serialisation point,
// which the raw floor leaves out (what the database must do, not how Elevate orders it).
const isAuditHead = (text: string) => /"audit_head"/.test(text);

/** How many of the captured statements the raw replay leaves out (audit head). */
export function auditHeadStatements(statements: CapturedStatement[]): number {
  return statements.filter((s) => isAuditHead(s.text)).length;
}

// Columns per audit_log row in the captured insert: its first is `seq`; per audit_pending row
// (the deferred chain on PostgreSQL): its first is `ord`, the number the statement before it took.
const AUDIT_COLUMNS = 12;
const PENDING_COLUMNS = 11;

function cycleValues(statement: CapturedStatement, ids: string[], cycle: number, nextSeq: () => number, ord: unknown): unknown[] {
  const isAuditInsert = /^insert into "audit_log"/.test(statement.text);
  const isPendingInsert = /^insert into "audit_pending"/.test(statement.text);
  return statement.values.map((value, i) => {
    if (isAuditInsert && i % AUDIT_COLUMNS === 0) return nextSeq();
    if (isPendingInsert && i % PENDING_COLUMNS === 0) return ord;
    if (typeof value !== 'string') return value;
    let replaced = value;
    for (const id of ids) replaced = replaced.split(id).join(`${id}x${cycle}`);
    return replaced;
  });
}

/**
 * Replays `cycles` cycles of `statements` on `url` from `clients` connections at once, each
 * statement prepared (named) once per connection; cycles per second.
 */
export async function measureRaw(url: string, captured: { statements: CapturedStatement[]; ids: string[] }, cycles: number, clients: number): Promise<number> {
  const statements = captured.statements.filter((s) => !isAuditHead(s.text));
  const names = new Map<string, string>();
  for (const s of statements) if (!names.has(s.text)) names.set(s.text, `raw${names.size}`);
  const connections = await Promise.all(Array.from({ length: clients }, async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return client;
  }));
  // Audit sequence numbers far above what the capture used, one per replayed record.
  let seq = 1_000_000_000;
  const nextSeq = () => (seq += 1);
  let next = 0;
  const started = performance.now();
  await Promise.all(connections.map(async (client) => {
    for (let cycle = next++; cycle < cycles; cycle = next++) {
      let ord: unknown;
      for (const statement of statements) {
        const isControl = statement.text === 'begin' || statement.text === 'commit';
        const result = await (isControl
          ? client.query(statement.text)
          : client.query({ name: names.get(statement.text)!, text: statement.text, values: cycleValues(statement, captured.ids, cycle, nextSeq, ord) }));
        if (statement.text.includes("nextval('audit_order')")) ord = (result.rows[0] as { ord: unknown }).ord;
      }
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(connections.map((c) => c.end()));
  return cycles / seconds;
}
