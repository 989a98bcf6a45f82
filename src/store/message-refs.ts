import type { MessageRef } from '../core/ports.js';
import type { Db, MessageRefsTable } from './database.js';
import type { StoredMessageRef } from './outbox.js';
import { queryTemplate } from './query-templates.js';

const REF_COLUMNS = ['platform', 'channel', 'message_id', 'channel_key', 'version'] as const;

function toRef(row: Pick<MessageRefsTable, (typeof REF_COLUMNS)[number]>): StoredMessageRef {
  return {
    platform: row.platform,
    channel: row.channel,
    messageId: row.message_id,
    channelKey: row.channel_key,
    version: Number(row.version),
  };
}

const LIST = queryTemplate((db, a: { cardKey: string }) => db.selectFrom('message_refs').select(REF_COLUMNS)
  .where('card_key', '=', a.cardKey).orderBy('platform').orderBy('channel_key'));

export async function listMessageRefs(db: Db, cardKey: string): Promise<StoredMessageRef[]> {
  return (await LIST.rows(db, { cardKey })).map(toRef);
}

const FIND = queryTemplate((db, a: { cardKey: string; platform: string; channelKey: string }) => db
  .selectFrom('message_refs').select(REF_COLUMNS)
  .where('card_key', '=', a.cardKey).where('platform', '=', a.platform).where('channel_key', '=', a.channelKey));

export async function findMessageRef(db: Db, cardKey: string, platform: string, channelKey: string): Promise<StoredMessageRef | undefined> {
  const row = await FIND.first(db, { cardKey, platform, channelKey });
  return row && toRef(row);
}

const SAVE = queryTemplate((db, a: { row: MessageRefsTable }) => db.insertInto('message_refs').values(a.row)
  .onConflict((oc) => oc.columns(['card_key', 'platform', 'channel_key']).doUpdateSet((eb) => ({
    channel: eb.ref('excluded.channel'),
    message_id: eb.ref('excluded.message_id'),
    version: eb.ref('excluded.version'),
  }))));

export async function saveMessageRef(
  db: Db,
  cardKey: string,
  channelKey: string,
  ref: MessageRef,
  version: number,
  now: string | null,
): Promise<void> {
  await SAVE.affected(db, {
    row: {
      card_key: cardKey, platform: ref.platform, channel_key: channelKey, channel: ref.channel,
      message_id: ref.messageId, version, created_at: now,
    },
  });
}

const SET_VERSION = queryTemplate((db, a: { cardKey: string; platform: string; channelKey: string; version: number }) =>
  db.updateTable('message_refs').set({ version: a.version })
    .where('card_key', '=', a.cardKey).where('platform', '=', a.platform).where('channel_key', '=', a.channelKey)
    .where('version', '<', a.version));

export async function setMessageRefVersion(
  db: Db,
  cardKey: string,
  platform: string,
  channelKey: string,
  version: number,
): Promise<boolean> {
  return (await SET_VERSION.affected(db, { cardKey, platform, channelKey, version })) === 1n;
}
