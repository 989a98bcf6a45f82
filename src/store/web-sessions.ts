import type { Db, WebLoginsTable, WebSessionsTable } from './database.js';
import { queryTemplate } from './query-templates.js';

/** A web console session as stored (see WebSessionsTable). */
export interface StoredWebSession {
  idHash: string;
  principalId: string;
  identity: string;
  method: 'oidc' | 'dev';
  authTime: string;
  acr: string | null;
  csrfToken: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/** A sign-in in progress (see WebLoginsTable). */
export interface StoredWebLogin {
  idHash: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  stepUp: boolean;
  createdAt: string;
  expiresAt: string;
}

function toSession(row: WebSessionsTable): StoredWebSession {
  return {
    idHash: row.id_hash, principalId: row.principal_id, identity: row.identity, method: row.method === 'oidc' ? 'oidc' : 'dev',
    authTime: row.auth_time, acr: row.acr, csrfToken: row.csrf_token, createdAt: row.created_at, lastSeenAt: row.last_seen_at, expiresAt: row.expires_at,
  };
}

const GET_SESSION = queryTemplate((db, a: { idHash: string }) => db.selectFrom('web_sessions').selectAll().where('id_hash', '=', a.idHash));
const TOUCH_SESSION = queryTemplate((db, a: { idHash: string; at: string }) =>
  db.updateTable('web_sessions').set({ last_seen_at: a.at }).where('id_hash', '=', a.idHash).where('last_seen_at', '<', a.at));
const DELETE_SESSION = queryTemplate((db, a: { idHash: string }) => db.deleteFrom('web_sessions').where('id_hash', '=', a.idHash));
const TAKE_LOGIN = queryTemplate((db, a: { idHash: string }) => db.deleteFrom('web_logins').where('id_hash', '=', a.idHash).returningAll());

/**
 * Web console sessions and sign-ins in progress, kept in the database so that any instance
 * serves any browser. Outside the core's transactions: a session is web adapter state (the
 * signing in and out is audited through the core).
 */
export class WebSessions {
  constructor(private readonly db: Db) {}

  async insertSession(session: StoredWebSession): Promise<void> {
    await this.db.insertInto('web_sessions').values({
      id_hash: session.idHash, principal_id: session.principalId, identity: session.identity, method: session.method,
      auth_time: session.authTime, acr: session.acr, csrf_token: session.csrfToken, created_at: session.createdAt,
      last_seen_at: session.lastSeenAt, expires_at: session.expiresAt,
    }).execute();
  }

  async getSession(idHash: string): Promise<StoredWebSession | undefined> {
    const row = await GET_SESSION.first(this.db, { idHash });
    return row && toSession(row);
  }

  /** Records activity (moves the idle timeout); never moves it back. */
  async touchSession(idHash: string, at: string): Promise<void> {
    await TOUCH_SESSION.affected(this.db, { idHash, at });
  }

  /** Ends a session; false when there was none. */
  async deleteSession(idHash: string): Promise<boolean> {
    return (await DELETE_SESSION.affected(this.db, { idHash })) > 0n;
  }

  /** Removes sessions past their absolute end or idle since before `idleBefore`, and sign-ins past their end. */
  async purge(now: string, idleBefore: string): Promise<number> {
    const sessions = await this.db.deleteFrom('web_sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<', idleBefore)])).executeTakeFirst();
    const logins = await this.db.deleteFrom('web_logins').where('expires_at', '<=', now).executeTakeFirst();
    return Number(sessions.numDeletedRows) + Number(logins.numDeletedRows);
  }

  async insertLogin(login: StoredWebLogin): Promise<void> {
    await this.db.insertInto('web_logins').values({
      id_hash: login.idHash, state: login.state, nonce: login.nonce, code_verifier: login.codeVerifier, return_to: login.returnTo,
      step_up: login.stepUp ? 1 : 0, created_at: login.createdAt, expires_at: login.expiresAt,
    }).execute();
  }

  /** Reads and removes a sign-in in progress: each is used at most once, whichever instance gets the answer. */
  async takeLogin(idHash: string): Promise<StoredWebLogin | undefined> {
    const row: WebLoginsTable | undefined = await TAKE_LOGIN.first(this.db, { idHash });
    return row && {
      idHash: row.id_hash, state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier, returnTo: row.return_to,
      stepUp: row.step_up === 1, createdAt: row.created_at, expiresAt: row.expires_at,
    };
  }
}
