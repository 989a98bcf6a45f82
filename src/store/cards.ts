import type { Card } from '../core/cards.js';
import type { CardsTable, Db } from './database.js';
import { queryTemplate } from './query-templates.js';

const SAVE = queryTemplate((db, a: { rows: CardsTable[] }) => db.insertInto('cards').values(a.rows)
  .onConflict((oc) => oc.column('card_key').doUpdateSet((eb) => ({
    version: eb('cards.version', '+', 1),
    card_json: eb.ref('excluded.card_json'),
    updated_at: eb.ref('excluded.updated_at'),
  }))));

/** Saves the latest version of each card: version 1 on first save, then +1 on each save. */
export async function saveCards(db: Db, cards: Array<{ cardKey: string; card: Card }>, now: string | null): Promise<void> {
  const rows = cards.map(({ cardKey, card }) => ({ card_key: cardKey, version: 1, card_json: JSON.stringify(card), updated_at: now }));
  await SAVE.affected(db, { rows });
}

const GET = queryTemplate((db, a: { cardKey: string }) => db.selectFrom('cards').select(['version', 'card_json'])
  .where('card_key', '=', a.cardKey));

export async function getCard(db: Db, cardKey: string): Promise<{ version: number; card: Card } | undefined> {
  const row = await GET.first(db, { cardKey });
  return row && { version: Number(row.version), card: JSON.parse(row.card_json) as Card };
}
