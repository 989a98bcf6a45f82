import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './audit.js';
import type { AccessRequest } from './model.js';

type SignedFields = Pick<AccessRequest,
  'id' | 'requesterId' | 'target' | 'durationSeconds' | 'reason' | 'ticket' | 'createdAt' | 'deadlineAt' | 'change'>;

/** HMAC-SHA256 over the fields a requester asked for, so a tampered row is detectable. */
export function signRequest(key: string, request: SignedFields): string {
  const { id, requesterId, target, durationSeconds, reason, ticket, createdAt, deadlineAt, change } = request;
  return createHmac('sha256', key)
    .update(canonicalJson({ id, requesterId, target, durationSeconds, reason, ticket, createdAt, deadlineAt, change }))
    .digest('hex');
}

export function verifyRequestSignature(key: string, request: SignedFields & { signature: string }): boolean {
  const expected = Buffer.from(signRequest(key, request), 'hex');
  const actual = Buffer.from(request.signature, 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
