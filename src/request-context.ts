import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * The HTTP request being served, carried through everything it causes on this event loop:
 * log lines get its id, and the outbox stores it with the deliveries it queues so the
 * dispatcher's log lines can be traced back to the request.
 */
const context = new AsyncLocalStorage<{ requestId: string }>();

// Accept a caller's id (a load balancer's or a client's) only if it is short and plain.
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function runWithRequestId<T>(given: string | undefined, work: (requestId: string) => T): T {
  const requestId = given !== undefined && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
  return context.run({ requestId }, () => work(requestId));
}

export function currentRequestId(): string | undefined {
  return context.getStore()?.requestId;
}
