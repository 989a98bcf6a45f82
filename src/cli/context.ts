import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import type { Actor } from '../core/ports.js';
import { createEngine, type Engine } from '../main.js';

export interface GlobalOptions {
  json?: boolean;
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

export function print(options: GlobalOptions, data: unknown, human: () => string): void {
  process.stdout.write(`${options.json ? JSON.stringify(data, null, 2) : human()}\n`);
}
