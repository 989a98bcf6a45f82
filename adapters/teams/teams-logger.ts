import type { ILogger } from '@microsoft/teams.common';
import type { Logger } from 'pino';

/** The Teams SDK's logger interface on top of pino, so its logs are JSON lines like ours. */
export function teamsLogger(logger: Logger): ILogger {
  const text = (parts: unknown[]) => parts.map((p) => (typeof p === 'string' ? p : p instanceof Error ? p.message : JSON.stringify(p))).join(' ');
  const wrap = (child: Logger): ILogger => ({
    debug: (...parts) => child.debug(text(parts)),
    info: (...parts) => child.debug(text(parts)), // the SDK is chatty at info
    warn: (...parts) => child.warn(text(parts)),
    error: (...parts) => child.error(text(parts)),
    trace: (...parts) => child.trace(text(parts)),
    log: (level, ...parts) => child[level === 'error' || level === 'warn' ? level : 'debug'](text(parts)),
    child: (name) => wrap(child.child({ sdk: name })),
  });
  return wrap(logger.child({ component: 'teams' }));
}
