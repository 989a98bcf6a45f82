import { describe, expect, it } from 'vitest';
import { queryTemplate } from '../../src/store/query-templates.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { openSqlite } from '../../src/store/sqlite.js';

describe('query templates', () => {
  it('builds once per shape and binds each call its own arguments', async () => {
    const db = openSqlite(':memory:');
    await migrateToLatest(db);
    let builds = 0;
    const insert = queryTemplate((d, a: { rows: Array<{ key: string; value: string }> }) => {
      builds += 1;
      return d.insertInto('settings').values(a.rows);
    });
    const select = queryTemplate((d, a: { keys: string[]; min: string }) => {
      builds += 1;
      return d.selectFrom('settings').select(['key', 'value']).where('key', 'in', a.keys).where('value', '>=', a.min).orderBy('key');
    });
    await insert.affected(db, { rows: [{ key: 'a', value: '1' }] });
    expect(await insert.affected(db, { rows: [{ key: 'b', value: '2' }, { key: 'c', value: '3' }] })).toBe(2n);
    await insert.affected(db, { rows: [{ key: 'd', value: '4' }] });
    expect(builds).toBe(2);
    expect(await select.rows(db, { keys: ['a', 'c'], min: '0' })).toEqual([{ key: 'a', value: '1' }, { key: 'c', value: '3' }]);
    expect(await select.rows(db, { keys: ['b', 'd'], min: '3' })).toEqual([{ key: 'd', value: '4' }]);
    expect(await select.first(db, { keys: ['a', 'b', 'c'], min: '2' })).toEqual({ key: 'b', value: '2' });
    expect(builds).toBe(4);
    await db.transaction().execute(async (trx) => {
      expect(await select.rows(trx, { keys: ['a', 'x'], min: '' })).toEqual([{ key: 'a', value: '1' }]);
    });
    expect(builds).toBe(4);
    await db.destroy();
  });
});
