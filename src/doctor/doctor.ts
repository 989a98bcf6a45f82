import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../store/database.js';
import type { KyselyStore } from '../store/kysely-store.js';

/** `fail` makes `elevate doctor` exit 1; `warn` is worth reading; `skip` did not apply. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of the report: what was checked, what was found and, unless ok, what to do. */
export interface CheckResult {
  check: string;
  status: CheckStatus;
  message: string;
  /** What to do about it (required for warn and fail). */
  fix?: string;
}

/**
 * What checks share: the environment, the configuration once it loaded, the database once a
 * check opened it, and facts one check learns for another (a peer's clock for the clock check).
 * Network calls go through `fetch`, so tests point them at fakes; `teamsLoginUrl` is the
 * Microsoft identity platform's base (tests: a local fake).
 */
export interface DoctorContext {
  env: NodeJS.ProcessEnv;
  config?: Config;
  db?: Kysely<Database>;
  store?: KyselyStore;
  fetch: typeof fetch;
  now: () => number;
  teamsLoginUrl: string;
  /** Clocks of other systems seen on the way: name → their time minus ours, in ms. */
  peerClocks: Map<string, number>;
  /** Called once all checks ran (closing what checks opened). */
  cleanups: Array<() => Promise<void>>;
}

/** A check: named, run in order, sharing the context; it reports one or more lines and never throws on purpose. */
export interface Check {
  name: string;
  run(ctx: DoctorContext): Promise<CheckResult[]>;
}

// Long enough for a slow network, short enough that a hung peer does not hang the doctor.
export const NETWORK_TIMEOUT_MS = 10_000;

export const ok = (check: string, message: string): CheckResult => ({ check, status: 'ok', message });
export const warn = (check: string, message: string, fix: string): CheckResult => ({ check, status: 'warn', message, fix });
export const fail = (check: string, message: string, fix: string): CheckResult => ({ check, status: 'fail', message, fix });
export const skip = (check: string, message: string): CheckResult => ({ check, status: 'skip', message });

/** Runs the checks in order; a check that throws is reported as failed, the rest still run. */
export async function runDoctor(checks: readonly Check[], options: Partial<Omit<DoctorContext, 'peerClocks' | 'cleanups'>> & { env: NodeJS.ProcessEnv }): Promise<CheckResult[]> {
  const ctx: DoctorContext = {
    fetch: globalThis.fetch, now: Date.now, teamsLoginUrl: 'https://login.microsoftonline.com/', ...options, peerClocks: new Map(), cleanups: [],
  };
  const results: CheckResult[] = [];
  try {
    for (const check of checks) {
      try {
        results.push(...(await check.run(ctx)));
      } catch (error) {
        results.push(fail(check.name, `the check itself failed: ${(error as Error).message}`, 'report this as a bug in Elevate, with the message'));
      }
    }
  } finally {
    for (const cleanup of ctx.cleanups.reverse()) await cleanup().catch(() => undefined);
  }
  return results;
}

const LABEL: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' };

/** `FAIL  slack token: … → fix: …`, one line per result. */
export function formatResult(result: CheckResult): string {
  return `${LABEL[result.status]}  ${result.check}: ${result.message}${result.fix && result.status !== 'ok' ? ` → ${result.fix}` : ''}`;
}

/** An error's message, or its cause's (fetch says "fetch failed" and puts the reason in `cause`). */
export function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : undefined;
  if (error.name === 'TimeoutError' || cause?.name === 'TimeoutError') return `no answer within ${NETWORK_TIMEOUT_MS / 1000} s`;
  const inner = cause ? reason(cause) : '';
  return error.message && !(inner && error.message === 'fetch failed') ? error.message : inner || (error as NodeJS.ErrnoException).code || error.name;
}
