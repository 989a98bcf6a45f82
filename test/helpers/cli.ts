import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The compiled CLI, exactly as users run it (npm test builds first). */
export const CLI = join(import.meta.dirname, '../../dist/src/cli/main.js');

/** Runs `elevate <args>` as a new process with `env`; output trimmed. */
export function runElevate(env: NodeJS.ProcessEnv, ...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
  return { code: result.status, out: result.stdout.trim(), err: result.stderr.trim() };
}
