/**
 * The few typed errors of Elevate. Each has a stable `code` that adapters map to a reply
 * (and, for the REST API, a status). Messages are written for the person who will read them.
 * A use case that throws one of these has changed nothing: its transaction is rolled back.
 */
export type ErrorCode = 'invalid_input' | 'not_allowed' | 'not_found' | 'conflict' | 'not_supported';

export abstract class ElevateError extends Error {
  abstract readonly code: ErrorCode;
  /** Extra facts for machine readers (e.g. the closest targets of an unknown one). */
  readonly details: Record<string, unknown>;
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** The input is malformed or out of range; repeating it unchanged will fail again. */
export class InvalidInputError extends ElevateError {
  readonly code = 'invalid_input' as const;
}

/** The actor may not do this (not an approver, not an admin, own request…). */
export class NotAllowedError extends ElevateError {
  readonly code = 'not_allowed' as const;
}

/** The named thing does not exist (or is not visible to the actor). */
export class NotFoundError extends ElevateError {
  readonly code = 'not_found' as const;
}

/** The state changed under the actor: already decided, already exists, no longer active. */
export class ConflictError extends ElevateError {
  readonly code = 'conflict' as const;
}

/** The operation exists but not in this configuration (PAM disabled, platform absent…). */
export class NotSupportedError extends ElevateError {
  readonly code = 'not_supported' as const;
}

export function isElevateError(error: unknown): error is ElevateError {
  return error instanceof ElevateError;
}

/**
 * A record changed behind Elevate's back: its signature no longer matches (DESIGN rule 10). A
 * conflict for whoever asked (nothing is done with the record); `runChange` audits it as
 * `integrity.violation` and alerts the admins and the audit feed the first time it is seen.
 */
export class IntegrityViolation extends ConflictError {
  constructor(readonly record: { kind: 'request' | 'grant'; id: string }, reason = 'its signature does not match its content') {
    super(`${record.kind} ${record.id} was changed outside Elevate (${reason}): nothing was done with it; the admins have been alerted`, { integrity: record });
  }
}
