import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import type { Actor } from '../core/ports.js';
import { describePerson } from '../core/people.js';
import { createEngine, type Engine } from '../main.js';
import { jsonText, localTimes, terminalSafe } from './output.js';

export interface GlobalOptions {
  json?: boolean;
  /** Times in UTC instead of local time (human output only; JSON is always ISO UTC). */
  utc?: boolean;
  as?: string;
}

/** Runs one CLI action against a freshly opened engine, closing it afterwards. */
export async function withEngine<T>(work: (engine: Engine, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const engine = await createEngine(config);
  try {
    return await work(engine, config);
  } finally {
    await engine.close();
  }
}

/** `--as <principal>` acts for that principal (recorded as done via the operator); otherwise the operator. */
export async function actorOf(engine: Engine, options: GlobalOptions): Promise<Actor> {
  if (!options.as) return { kind: 'operator', origin: 'cli' };
  const principal = await engine.elevate.principalFor(options.as);
  return { kind: 'principal', principalId: principal.id, origin: 'cli', viaOperator: true, identity: `cli:${options.as.trim().slice(0, 200)}` };
}

export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/**
 * Prints the result: JSON with `--json`, else the human text, with control characters from
 * people's text escaped (a reason cannot recolour or rewrite an admin's terminal).
 */
export function print(options: GlobalOptions, data: unknown, human: () => string): void {
  process.stdout.write(`${options.json ? jsonText(data, 2) : terminalSafe(localTimes(human(), options.utc), { keepNewlines: true })}\n`);
}

/** Warnings for the person at the terminal, on stderr (stdout stays the result, for pipes). */
export function warn(warnings: string[]): void {
  for (const warning of warnings) process.stderr.write(`warning: ${terminalSafe(warning)}\n`);
}

/** "Carol (slack:UCAROL)" for each principal id, for tables. */
export async function peopleNames(engine: Engine, ids: Array<string | null | undefined>): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => Boolean(id)))];
  const principals = wanted.length > 0 ? await engine.store.read((tx) => tx.getPrincipals(wanted)) : [];
  return new Map(wanted.map((id) => [id, describePerson(principals.find((p) => p.id === id), id)]));
}
