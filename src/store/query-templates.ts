import type { Compilable, CompiledQuery, DialectAdapter, QueryResult } from 'kysely';
import type { Db } from './database.js';

/**
 * Queries built once and compiled once per dialect, then run with new arguments.
 *
 * Building and compiling a Kysely query costs more than SQLite takes to run a small one, and
 * the store runs the same few dozen queries thousands of times a second. A template builds its
 * query with placeholders ("slots") standing for the arguments, compiles it with the dialect's
 * own compiler (so the SQL is exactly what Kysely would produce, `?` or `$1` alike), and then
 * only substitutes arguments into the parameter list.
 *
 * Rules for the `build` function, since it runs once with slots instead of values:
 * - use each argument only as a value (comparisons, `set`, `values`, `limit`), never inspect it
 *   (`if`, `?:`, `JSON.stringify`) or pass it to `is` (write `is null` with a literal null);
 * - arrays in arguments (for `in (…)` or multi-row `values`) are fine: one compiled query is
 *   kept per combination of top-level array lengths;
 * - give arguments the same keys on every call; `undefined` is bound as null.
 * The store uses no Kysely plugins; a template would bypass their result transforms.
 */
export interface QueryTemplate<A, R> {
  /** The rows the query returns (none for a write without `returning`). */
  rows(db: Db, args: A): Promise<R[]>;
  first(db: Db, args: A): Promise<R | undefined>;
  /** Rows inserted, updated or deleted. */
  affected(db: Db, args: A): Promise<bigint>;
}

type Path = ReadonlyArray<string | number>;

/** Stands for the argument at `path` while the query is compiled. */
class Slot {
  constructor(readonly path: Path) {}
}

interface Compiled {
  query: CompiledQuery;
  /** Per parameter: where its value comes from, or the constant the query itself holds. */
  sources: Array<{ path: Path } | { constant: unknown }>;
}

// Distinct array-length combinations kept per template and dialect (one entry per `in` list size).
const MAX_SHAPES = 64;

export function queryTemplate<A extends Record<string, unknown>, R>(
  build: (db: Db, args: A) => Compilable<R>,
): QueryTemplate<A, R> {
  const byAdapter = new WeakMap<DialectAdapter, Map<string, Compiled>>();

  function compiledFor(db: Db, args: A): Compiled {
    const adapter = db.getExecutor().adapter;
    let shapes = byAdapter.get(adapter);
    if (!shapes) byAdapter.set(adapter, (shapes = new Map()));
    const shape = shapeOf(args);
    let compiled = shapes.get(shape);
    if (!compiled) {
      const query = build(db, slotted(args, []) as A).compile();
      const sources = query.parameters.map((value) => (value instanceof Slot ? { path: value.path } : { constant: value }));
      compiled = { query, sources };
      if (shapes.size >= MAX_SHAPES) shapes.clear();
      shapes.set(shape, compiled);
    }
    return compiled;
  }

  async function execute(db: Db, args: A): Promise<QueryResult<R>> {
    const { query, sources } = compiledFor(db, args);
    const parameters = sources.map((source) => ('path' in source ? valueAt(args, source.path) ?? null : source.constant));
    return db.executeQuery<R>({ ...query, parameters } as CompiledQuery<R>);
  }

  return {
    rows: async (db, args) => (await execute(db, args)).rows,
    first: async (db, args) => (await execute(db, args)).rows[0],
    affected: async (db, args) => (await execute(db, args)).numAffectedRows ?? 0n,
  };
}

function shapeOf(args: Record<string, unknown>): string {
  let shape = '';
  for (const key in args) {
    const value = args[key];
    shape += Array.isArray(value) ? `${value.length},` : '-,';
  }
  return shape;
}

/** A copy of `value` with every leaf replaced by the slot of its path. */
function slotted(value: unknown, path: Path): unknown {
  if (Array.isArray(value)) return value.map((item, i) => slotted(item, [...path, i]));
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, slotted(item, [...path, key])]));
  }
  return new Slot(path);
}

function valueAt(args: unknown, path: Path): unknown {
  let value = args;
  for (const key of path) value = (value as Record<string | number, unknown>)[key];
  return value;
}
