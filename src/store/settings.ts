import type { Settings } from '../core/model.js';
import type { Db, SettingsTable } from './database.js';
import { queryTemplate } from './query-templates.js';

/** Settings when nothing was stored yet. */
export const DEFAULT_SETTINGS: Readonly<Settings> = { pamEnabled: true, protectedConfiguration: 'auto', feedConversations: {} };

/** One row per setting, the value as JSON; absent or unreadable values take their default. */
const GET = queryTemplate((db, _: Record<string, never>) => db.selectFrom('settings').select(['key', 'value']));

export async function getSettings(db: Db): Promise<Settings> {
  const rows = await GET.rows(db, {});
  const settings: Settings = { ...DEFAULT_SETTINGS };
  for (const { key, value } of rows) {
    if (!(key in DEFAULT_SETTINGS)) continue;
    try {
      (settings as unknown as Record<string, unknown>)[key] = JSON.parse(value);
    } catch {
      // A hand-edited, unreadable value: keep the default.
    }
  }
  return settings;
}

const PUT = queryTemplate((db, a: { rows: SettingsTable[] }) => db.insertInto('settings').values(a.rows)
  .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') }))));

export async function putSettings(db: Db, settings: Settings): Promise<void> {
  const rows = (Object.keys(DEFAULT_SETTINGS) as Array<keyof Settings>)
    .map((key) => ({ key, value: JSON.stringify(settings[key]) }));
  await PUT.affected(db, { rows });
}
