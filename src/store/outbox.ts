import type { Card } from '../core/cards.js';
import type { Delivery, DeliveryDraft, DeliveryKind, Destination, HomeDestination, HookDestination, MessageRef } from '../core/ports.js';
import type { Instant } from '../core/time.js';
import { sql, type QueryCreator } from 'kysely';
import type { Database, Db, OutboxTable } from './database.js';
import { currentRequestId } from '../request-context.js';
import { queryTemplate } from './query-templates.js';
import { batches, toNumber } from './rows.js';

/** A message the dispatcher posted for a card, and where. */
export type StoredMessageRef = MessageRef & { channelKey: string; version: number };

/** What the outbox dispatcher needs beyond the `Store` port. */
export interface OutboxStore {
  /**
   * Leases due deliveries of `platforms` (and of platform `*`, card refreshes) to `owner` until
   * `leaseUntil`, at most `limit`, in id order. Per channel key, claims only a prefix of the
   * channel's pending deliveries: a delivery is claimed only if every earlier pending delivery
   * of its channel is due, not leased to anyone, and claimed with it. So a channel's deliveries
   * go out in order, one batch in flight at a time, whatever the number of instances.
   * At most `perChannel` of one channel are claimed, so one channel's backlog never fills the
   * claim and holds up the first delivery of another; `channelKey` claims that channel only.
   * A lease past `leaseUntil` (a crashed owner) may be taken over.
   */
  claimDeliveries(options: ClaimOptions): Promise<Delivery[]>;
  /** Marks a leased delivery delivered. False if `owner` no longer holds it. */
  completeDelivery(id: number, owner: string, at: Instant): Promise<boolean>;
  /** Counts an attempt, frees the lease and schedules the next attempt. False if not held. */
  retryDelivery(id: number, owner: string, nextAttemptAt: Instant, error: string): Promise<boolean>;
  /** Counts an attempt and gives up: the delivery no longer blocks its channel. False if not held. */
  failDelivery(id: number, owner: string, error: string): Promise<boolean>;
  /** Hands a leased delivery back untouched (no attempt counted), e.g. behind a failed one. */
  releaseDelivery(id: number, owner: string): Promise<boolean>;
  /**
   * No delivery of the channel is claimed before `notBefore` (by any instance): the sender of a
   * channel's batch records when the channel's pace allows the next message.
   */
  paceChannel(channelKey: string, notBefore: Instant): Promise<void>;
  /** Extends every lease `owner` still holds to `leaseUntil` (a long batch); returns how many. */
  renewLeases(owner: string, leaseUntil: Instant): Promise<number>;
  /** Frees every lease `owner` holds (shutdown); returns how many. */
  releaseLeases(owner: string): Promise<number>;
  /** The latest version of a card, as saved by `StoreTx.saveCard`. */
  getCard(cardKey: string): Promise<{ version: number; card: Card } | undefined>;
  /** Every message posted for the card, by platform and channel key. */
  listMessageRefs(cardKey: string): Promise<StoredMessageRef[]>;
  findMessageRef(cardKey: string, platform: string, channelKey: string): Promise<StoredMessageRef | undefined>;
  /** Records (or replaces) the message posted for the card in that channel (platform from `ref`). */
  saveMessageRef(cardKey: string, channelKey: string, ref: MessageRef, version: number): Promise<void>;
  /** Records that the message now shows `version`; never lowers it. False if unchanged. */
  setMessageRefVersion(cardKey: string, platform: string, channelKey: string, version: number): Promise<boolean>;
  /** Pending deliveries (of which `due` at `now`) and the creation time of the oldest. */
  outboxStats(now: Instant): Promise<{ pending: number; due: number; oldestCreatedAt: Instant | null }>;
}

export interface ClaimOptions {
  platforms: string[];
  /** Also claim card refreshes (platform `*`); default true. A dispatcher of hooks only does not. */
  withRefreshes?: boolean;
  owner: string;
  now: Instant;
  leaseUntil: Instant;
  limit: number;
  /** At most this many deliveries of one channel (default `limit`). */
  perChannel?: number;
  /** Only this channel's deliveries (a sender going on with the channel it holds). */
  channelKey?: string;
}

/** The platform of deliveries that concern every platform (`card.refresh`). */
export const ALL_PLATFORMS = '*';

/**
 * The ordering unit of the outbox: one chat conversation (`slack:user:slack:U1`, `slack:feed`),
 * for refreshes of a card on every platform, the card (`*:card:request:r1:approver`), for
 * provisioning hook calls, the grant (`hook:grant:G-1`: its start always goes before its end),
 * and for home publishes, the account's home (`slack:home:slack:U1`, paced per person).
 */
export function channelKeyOf(draft: Pick<DeliveryDraft, 'platform' | 'destination' | 'cardKey'>): string {
  if (draft.platform === ALL_PLATFORMS) return `${ALL_PLATFORMS}:card:${draft.cardKey ?? ''}`;
  const destination = draft.destination;
  const where = destination.kind === 'user' ? `user:${destination.identity}`
    : destination.kind === 'channel' ? `channel:${destination.ref}`
    : destination.kind === 'hook' ? `grant:${destination.event.grant.id}`
    : destination.kind === 'home' ? `home:${destination.identity}` : 'feed';
  return `${draft.platform}:${where}`;
}

const DELIVERY_COLUMNS = [
  'id', 'platform', 'channel_key', 'destination_json', 'kind', 'card_key', 'card_json', 'attempts', 'created_at', 'request_id',
] as const;

type DeliveryRow = Pick<OutboxTable, Exclude<(typeof DELIVERY_COLUMNS)[number], 'id'>> & { id: number };

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: Number(row.id),
    platform: row.platform,
    channelKey: row.channel_key,
    destination: JSON.parse(row.destination_json) as Destination | HookDestination | HomeDestination,
    kind: row.kind as DeliveryKind,
    cardKey: row.card_key,
    card: row.card_json === null ? null : (JSON.parse(row.card_json) as Card),
    attempts: Number(row.attempts),
    createdAt: row.created_at,
    requestId: row.request_id,
  };
}

type NewDelivery = Omit<OutboxTable, 'id'>;

const INSERT = queryTemplate((db, a: { rows: NewDelivery[] }) => db.insertInto('outbox').values(a.rows));

/** Queues deliveries, due at once (or at their `notBefore`), in the order given, tagged with the HTTP request being served. */
export async function insertDeliveries(db: Db, deliveries: DeliveryDraft[], at: Instant): Promise<void> {
  const requestId = currentRequestId() ?? null;
  for (const batch of batches(deliveries)) {
    await INSERT.affected(db, { rows: batch.map((draft): NewDelivery => ({
      platform: draft.platform,
      channel_key: channelKeyOf(draft),
      destination_json: JSON.stringify(draft.destination),
      kind: draft.kind,
      card_key: draft.cardKey,
      card_json: draft.card === null ? null : JSON.stringify(draft.card),
      status: 'pending',
      attempts: 0,
      next_attempt_at: draft.notBefore ?? at,
      lease_owner: null,
      lease_until: null,
      last_error: null,
      created_at: at,
      delivered_at: null,
      request_id: requestId,
    })) });
  }
}

/** A claim's arguments, `platforms` already including `*`, the per-channel cap set. */
type ClaimArgs = Omit<ClaimOptions, 'platforms' | 'withRefreshes' | 'perChannel' | 'channelKey'> & {
  platforms: string[];
  /** `perChannel - 1`: the offset of the last delivery a channel may have claimed. */
  lastOffset: number;
};

function claimArgs(options: ClaimOptions): ClaimArgs {
  const { withRefreshes = true, perChannel, channelKey: _channelKey, ...rest } = options;
  return {
    ...rest, lastOffset: Math.max(1, perChannel ?? options.limit) - 1,
    platforms: [...new Set([...options.platforms, ...(withRefreshes ? [ALL_PLATFORMS] : [])])],
  };
}

// Above every outbox id (PostgreSQL's `serial` is a 4-byte integer): "no upper bound" in a range.
const NO_ID_ABOVE = 2_147_483_647;

/** Pending deliveries of the channel `key` names (a column of the outer query), in id order. */
function pendingOf(db: Db, key: string) {
  return db.selectFrom('outbox').select('id').where('status', '=', 'pending').where('channel_key', '=', sql.ref<string>(key)).orderBy('id');
}

/** A query that has `heads`: each channel's key and first pending delivery. */
type WithHeads = QueryCreator<Database & { heads: { channel_key: string; head: number | null } }>;

/**
 * Ids of the claimable deliveries, in id order, reading only the head of each channel's queue
 * (index `outbox_pending_channel`: status, channel key, id), never a channel's whole backlog:
 * - `heads`: each channel with pending deliveries and its first one. The channels are found by
 *   skipping from one channel key to the next in the index (a recursive query, portable to
 *   SQLite and PostgreSQL), one index seek per channel, however many deliveries each holds;
 * - `free`: the channels whose first delivery may go now (of the platforms asked, due, lease free
 *   or expired, the channel's pace allowing a send: `outbox_channels`), the `limit` oldest; with
 *   the id of each channel's `perChannel`-th pending delivery, the end of what it may claim;
 * - `runs`: up to that end, the first delivery that is not due or is leased, which stops the run,
 *   so each channel is claimed as a prefix, keeping its order;
 * - then every channel's run, the `limit` lowest ids of them.
 * `channel` narrows it all to one channel (no search for channels).
 */
function claimableIds(db: Db, a: ClaimArgs, channel?: { key: string }) {
  const withHeads: WithHeads = channel
    ? db.with('heads', (q) => q.selectNoFrom((eb) => [
      eb.cast<string>(eb.val(channel.key), 'text').as('channel_key'),
      eb.selectFrom('outbox').select('id').where('status', '=', 'pending').where('channel_key', '=', channel.key).orderBy('id').limit(1).as('head'),
    ])) as unknown as WithHeads
    : db.withRecursive('ch(k)', (q) => q.selectNoFrom((eb) => [
      eb.selectFrom('outbox').select('channel_key').where('status', '=', 'pending').orderBy('channel_key').limit(1).as('k'),
    ]).unionAll(q.selectFrom('ch').select((eb) => [
      eb.selectFrom('outbox').select('channel_key').where('status', '=', 'pending').whereRef('channel_key', '>', 'ch.k').orderBy('channel_key').limit(1).as('k'),
    ]).where('ch.k', 'is not', null)))
      .with('heads', (q) => q.selectFrom('ch')
        .select(['ch.k as channel_key', pendingOf(db, 'ch.k').limit(1).as('head')])
        .where('ch.k', 'is not', null)) as unknown as WithHeads;
  return withHeads
    .with('free', (q) => q.selectFrom('heads as h')
      .innerJoin('outbox as o', 'o.id', 'h.head')
      .leftJoin('outbox_channels as c', 'c.channel_key', 'h.channel_key')
      .select(['h.channel_key', 'h.head', pendingOf(db, 'h.channel_key').limit(1).offset(a.lastOffset).as('last')])
      .where('o.platform', 'in', a.platforms)
      .where('o.next_attempt_at', '<=', a.now)
      .where((eb) => eb.or([eb('o.lease_until', 'is', null), eb('o.lease_until', '<=', a.now)]))
      .where((eb) => eb.or([eb('c.next_send_at', 'is', null), eb('c.next_send_at', '<=', a.now)]))
      .orderBy('h.head')
      .limit(a.limit))
    // Materialized: its `blocked` is read once per channel, not once per delivery of the run.
    .with((cte) => cte('runs').materialized(), (q) => q.selectFrom('free as f')
      .select((eb) => [
        'f.channel_key', 'f.head',
        eb.fn.coalesce('f.last', eb.lit(NO_ID_ABOVE)).as('last'),
        pendingOf(db, 'f.channel_key')
          .where('id', '>', sql.ref<number>('f.head'))
          .where('id', '<=', eb.fn.coalesce('f.last', eb.lit(NO_ID_ABOVE)))
          .where((inner) => inner.or([inner('next_attempt_at', '>', a.now), inner('lease_until', '>', a.now)]))
          .limit(1).as('blocked'),
      ]))
    // A cross join, so SQLite goes through the few runs and looks each one up in the index.
    .selectFrom('runs as r')
    .crossJoin('outbox as o')
    .select('o.id')
    .where('o.status', '=', 'pending')
    .whereRef('o.channel_key', '=', 'r.channel_key')
    .whereRef('o.id', '>=', 'r.head')
    .whereRef('o.id', '<=', 'r.last')
    .where((eb) => eb.or([eb('r.blocked', 'is', null), eb('o.id', '<', eb.ref('r.blocked'))]))
    .orderBy('o.id')
    .limit(a.limit);
}

/** Leases the given pending deliveries if still free, returning them. */
function leaseQuery(db: Db, ids: number[], a: ClaimArgs) {
  return db.updateTable('outbox')
    .set({ lease_owner: a.owner, lease_until: a.leaseUntil })
    .where('id', 'in', ids)
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', a.now)]))
    .returning(DELIVERY_COLUMNS);
}

/**
 * Leases the claimable deliveries (SQLite). `claimableIds` reads them pending and free within
 * this same statement, so the update checks nothing else: a `status` condition here would have
 * SQLite walk every pending delivery by its status index instead of looking up the few ids.
 */
function claimQuery(db: Db, a: ClaimArgs, channel?: { key: string }) {
  return db.updateTable('outbox')
    .set({ lease_owner: a.owner, lease_until: a.leaseUntil })
    .where('id', 'in', claimableIds(db, a, channel))
    .returning(DELIVERY_COLUMNS);
}

const CLAIM = queryTemplate((db, a: ClaimArgs) => claimQuery(db, a));
const CLAIM_CHANNEL = queryTemplate((db, a: ClaimArgs & { channelKey: string }) => claimQuery(db, a, { key: a.channelKey }));

function inIdOrder(rows: DeliveryRow[]): Delivery[] {
  return rows.map(toDelivery).sort((x, y) => x.id - y.id);
}

/**
 * SQLite: one `update … where id in (claimable) returning …` statement. A write statement
 * takes SQLite's write lock before it reads, so the choice and the lease are atomic across
 * connections and processes.
 */
export async function claimDeliveriesSqlite(db: Db, options: ClaimOptions): Promise<Delivery[]> {
  if (options.limit <= 0) return [];
  const args = claimArgs(options);
  return inIdOrder(options.channelKey === undefined
    ? await CLAIM.rows(db, args)
    : await CLAIM_CHANNEL.rows(db, { ...args, channelKey: options.channelKey }));
}

/**
 * PostgreSQL (the store's one dialect branch): in a transaction, lock the claimable rows with
 * `FOR UPDATE SKIP LOCKED`, so instances claim disjoint sets without waiting. A row skipped
 * because another instance is claiming it leaves a gap in that channel, so re-read each
 * channel's pending ids up to the last one locked in it, and keep, per channel, only the run of
 * locked rows from its first pending delivery.
 */
export async function claimDeliveriesPostgres(db: Db, options: ClaimOptions): Promise<Delivery[]> {
  if (options.limit <= 0) return [];
  const args = claimArgs(options);
  return db.transaction().execute(async (trx) => {
    // The rows chosen (a recursive query, which cannot be locked in its own select), then locked.
    const chosen = claimableIds(trx, args, options.channelKey === undefined ? undefined : { key: options.channelKey });
    const locked = await trx.selectFrom('outbox').select(['id', 'channel_key']).where('id', 'in', chosen)
      .orderBy('id').forUpdate().skipLocked().execute();
    if (locked.length === 0) return [];
    const lockedIds = new Set(locked.map((row) => Number(row.id)));
    const lastLocked = new Map<string, number>();
    for (const row of locked) lastLocked.set(row.channel_key, Math.max(lastLocked.get(row.channel_key) ?? 0, Number(row.id)));
    const pending = await trx.selectFrom('outbox').select(['id', 'channel_key'])
      .where('status', '=', 'pending')
      .where((eb) => eb.or([...lastLocked].map(([key, last]) => eb.and([eb('channel_key', '=', key), eb('id', '<=', last)]))))
      .orderBy('id').execute();
    const blocked = new Set<string>();
    const ids: number[] = [];
    for (const row of pending) {
      if (blocked.has(row.channel_key)) continue;
      if (lockedIds.has(Number(row.id))) ids.push(Number(row.id));
      else blocked.add(row.channel_key);
    }
    return ids.length === 0 ? [] : inIdOrder(await leaseQuery(trx, ids, args).execute());
  });
}

// Each finishes a delivery `owner` holds (still pending) and frees its lease.
const COMPLETE = queryTemplate((db, a: { id: number; owner: string; at: Instant }) => db.updateTable('outbox')
  .set({ status: 'delivered', delivered_at: a.at, lease_owner: null, lease_until: null })
  .where('id', '=', a.id).where('lease_owner', '=', a.owner).where('status', '=', 'pending'));
const RETRY = queryTemplate((db, a: { id: number; owner: string; nextAttemptAt: Instant; error: string }) =>
  db.updateTable('outbox')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1), next_attempt_at: a.nextAttemptAt, last_error: a.error,
      lease_owner: null, lease_until: null,
    }))
    .where('id', '=', a.id).where('lease_owner', '=', a.owner).where('status', '=', 'pending'));
const FAIL = queryTemplate((db, a: { id: number; owner: string; error: string }) => db.updateTable('outbox')
  .set((eb) => ({
    status: 'failed', attempts: eb('attempts', '+', 1), last_error: a.error, lease_owner: null, lease_until: null,
  }))
  .where('id', '=', a.id).where('lease_owner', '=', a.owner).where('status', '=', 'pending'));

const RELEASE = queryTemplate((db, a: { id: number; owner: string }) => db.updateTable('outbox')
  .set({ lease_owner: null, lease_until: null })
  .where('id', '=', a.id).where('lease_owner', '=', a.owner).where('status', '=', 'pending'));

export async function releaseDelivery(db: Db, id: number, owner: string): Promise<boolean> {
  return (await RELEASE.affected(db, { id, owner })) === 1n;
}

export async function completeDelivery(db: Db, id: number, owner: string, at: Instant): Promise<boolean> {
  return (await COMPLETE.affected(db, { id, owner, at })) === 1n;
}

export async function retryDelivery(db: Db, id: number, owner: string, nextAttemptAt: Instant, error: string): Promise<boolean> {
  return (await RETRY.affected(db, { id, owner, nextAttemptAt, error })) === 1n;
}

export async function failDelivery(db: Db, id: number, owner: string, error: string): Promise<boolean> {
  return (await FAIL.affected(db, { id, owner, error })) === 1n;
}

const PACE = queryTemplate((db, a: { channelKey: string; notBefore: Instant }) => db.insertInto('outbox_channels')
  .values({ channel_key: a.channelKey, next_send_at: a.notBefore })
  .onConflict((oc) => oc.column('channel_key').doUpdateSet((eb) => ({ next_send_at: eb.ref('excluded.next_send_at') }))));

export async function paceChannel(db: Db, channelKey: string, notBefore: Instant): Promise<void> {
  await PACE.affected(db, { channelKey, notBefore });
}

export async function renewLeases(db: Db, owner: string, leaseUntil: Instant): Promise<number> {
  const result = await db.updateTable('outbox').set({ lease_until: leaseUntil })
    .where('lease_owner', '=', owner).where('status', '=', 'pending').where('lease_until', 'is not', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function releaseLeases(db: Db, owner: string): Promise<number> {
  const result = await db.updateTable('outbox').set({ lease_owner: null, lease_until: null })
    .where('lease_owner', '=', owner).where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function outboxStats(db: Db, now: Instant): Promise<{ pending: number; due: number; oldestCreatedAt: Instant | null }> {
  const row = await db.selectFrom('outbox')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('pending'),
      eb.fn.sum<number | string | null>(eb.case().when('next_attempt_at', '<=', now).then(1).else(0).end()).as('due'),
      eb.fn.min<string | null>('created_at').as('oldest'),
    ])
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return { pending: toNumber(row.pending), due: toNumber(row.due), oldestCreatedAt: row.oldest ?? null };
}
